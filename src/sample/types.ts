/**
 * Contracts of the sampling stage (DESIGN §1.6): strategies that pick the new test set from the
 * eligible candidates, eligibility, and revisions. Strategies are pure: plain data and a seeded
 * `Rng` in, plain data out — same inputs + seed ⇒ identical output.
 */
import type { Rng } from '../core/index.ts';
import type { HistogramRounding } from './largest-remainder.ts';

/** An eligible candidate as the strategies see it. */
export interface SamplingCandidate {
  /** `images.id`. */
  imageId: string;
  /** The class it was collected for (and its frequency is for). */
  classIdx: number;
  /** Selection frequency for that class, in [0, 1]. */
  frequency: number;
  /** Number of valid answers behind the frequency. */
  answers: number;
}

/** What every strategy gets. */
export interface SamplingInput {
  /** Classes to fill, in order (every class of the workspace, normally). */
  classes: readonly number[];
  /** Images wanted per class (10 for ImageNetV2, 200 for CIFAR-10.1 v6). */
  perClass: number;
  /** The eligible candidates (ineligible ones must not be here). */
  candidates: readonly SamplingCandidate[];
  /** The parent revision's images per class; those still eligible are kept ("carry-over"). */
  previous?: ReadonlyMap<number, readonly string[]>;
  /** Raw reference histograms per class (5 bin counts of the original test set's images); MatchedFrequency only. */
  referenceHistograms?: ReadonlyMap<number, readonly number[]>;
}

/** An image moved into a lower bin because that bin ran short (MatchedFrequency's upward sampling). */
export interface UpwardSample {
  /** The image taken. */
  imageId: string;
  /** Bin it was short in. */
  toBin: number;
  /** Bin it came from (the next higher non-empty one). */
  fromBin: number;
}

/** What happened in one class. */
export interface ClassOutcome {
  /** Class index. */
  classIdx: number;
  /** Images chosen, in selection order (carry-over first; bins low→high for MatchedFrequency). */
  imageIds: string[];
  /** How many were wanted. */
  target: number;
  /** target − chosen (0 unless the class ran out of eligible candidates). */
  short: number;
  /** Images kept from the parent revision. */
  carriedOver: string[];
  /** Parent images no longer eligible (dropped). */
  dropped: string[];
  /** MatchedFrequency: images wanted per bin after rounding. */
  binTargets?: number[];
  /** MatchedFrequency: upward-sampled images. */
  upward?: UpwardSample[];
  /** Why the class is short or otherwise unusual, in words. */
  notes: string[];
}

/** The result of a strategy. */
export interface SamplingOutcome {
  /** Strategy name ('matched-frequency', 'threshold', 'top-images'). */
  strategy: string;
  /** The parameters used (as recorded in the revision). */
  parameters: Record<string, unknown>;
  /** The seed of the Rng. */
  seed: number;
  /** All chosen images, shuffled with the same Rng (the released order). */
  images: { imageId: string; classIdx: number }[];
  /** Per class, in input order. */
  classes: ClassOutcome[];
  /** True when every class got `perClass` images (and every MatchedFrequency class had a reference histogram). */
  valid: boolean;
  /** Classes with short > 0 (or no reference histogram). */
  shortClasses: number[];
}

/** Parameters of MatchedFrequency. */
export interface MatchedFrequencyParams {
  /** Bin upper edges (default [0.2, 0.4, 0.6, 0.8]; the last bin includes 1.0). */
  bins?: readonly number[];
  /** Borrow from the next higher non-empty bin when a bin runs short (default true, as ImageNetV2 did). */
  upwardSampling?: boolean;
  /** A class's histogram needs at least this many reference images, else the revision is invalid (default 20). */
  minReferenceImages?: number;
  /**
   * How the reference histogram is scaled to `perClass` bin targets: 'authors-float64' (default,
   * the ImageNetV2 code's float64 arithmetic, bit for bit) or 'exact-integer' (exact remainders,
   * ties to the higher bin; not the authors' rule). See `roundHistogram`.
   */
  rounding?: HistogramRounding;
}

/** Parameters of Threshold. */
export interface ThresholdParams {
  /** τ: candidates with frequency ≥ τ are drawn from (0.7 for Threshold0.7). */
  tau: number;
  /** Per-class τ overrides (class index → τ). */
  perClassTau?: Readonly<Record<number, number>>;
}

/** A sampling strategy: one small interface for all three. */
export interface SamplingStrategy<P> {
  /** Name recorded in revisions. */
  readonly name: string;
  /** Runs it. Pure. */
  sample(input: SamplingInput, params: P, rng: Rng): SamplingOutcome;
}

/** Why a candidate is not eligible. */
export type ExclusionReason = 'blacklisted' | 'few_answers' | 'exact_duplicate' | 'near_duplicate' | 'unreviewed';
