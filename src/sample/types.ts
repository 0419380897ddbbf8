/**
 * Contracts of the sampling stage (DESIGN §1.6): strategies that pick the new test set from the
 * eligible candidates, eligibility, and revisions. Strategies are pure: plain data and a seeded
 * `Rng` in, plain data out — same inputs + seed ⇒ identical output.
 */
import type { Rng } from '../core/index.ts';
import type { SelectionFrequency } from '../label/index.ts';
import type { SqlDialect } from '../store/index.ts';
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
  images: {
    /** images.id of the chosen image. */
    imageId: string;
    /** Class index it was chosen for. */
    classIdx: number;
  }[];
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

/** A candidate a person excluded from sampling. */
export interface BlacklistEntry {
  /** The image's id. */
  imageId: string;
  /** Why (free text, never empty). */
  reason: string;
  /** Who decided (a name, 'dashboard', 'cli', …). */
  by: string;
  /** ISO time of the decision. */
  at: string;
}

/** One image of a stored revision. */
export interface RevisionImage {
  /** Release order (0-based; shuffled with the revision's seed). */
  position: number;
  /** The image's id. */
  imageId: string;
  /** Its class. */
  classIdx: number;
  /** Selection frequency it was sampled with. */
  frequency: number;
  /** Valid answers behind that frequency. */
  answers: number;
  /** Kept from the parent revision rather than drawn anew. */
  carriedOver: boolean;
}

/** A stored revision without its images. */
export interface RevisionSummary {
  /** Revision id (increasing). */
  id: number;
  /** Strategy name. */
  function: string;
  /** Parameters as recorded. */
  parameters: Record<string, unknown>;
  /** Seed. */
  seed: number;
  /** Parent revision id, or null. */
  parentId: number | null;
  /** Every class full (and, for MatchedFrequency, every histogram from enough images). */
  valid: boolean;
  /** Short classes. */
  shortClasses: number[];
  /** ISO time. */
  createdAt: string;
  /** Images in the revision. */
  size: number;
}

/** A stored revision with its images in release order. */
export interface Revision extends Omit<RevisionSummary, 'size'> {
  /** Images in release order. */
  images: RevisionImage[];
}

/** What `SampleStore.addRevision` writes (the id is given by the store). */
export interface NewRevision extends Omit<Revision, 'id'> {
  /** Per-class outcome and exclusion counts, kept as the revision's report (JSON). */
  report: unknown;
}

/**
 * The sampling stage's own tables (blacklist, revisions and their images). Every method is one
 * read or one transaction; one SQL implementation (./sql-sample-store.ts) runs on both backends.
 */
export interface SampleStore {
  /** 'sqlite' or 'postgres'. */
  readonly backend: SqlDialect;
  /** Where the store is (file path or redacted URL), for messages. */
  readonly location: string;
  /** Adds entries, replacing the reason, who and time of an image already listed; one transaction. Returns the number written. */
  blacklist(entries: readonly BlacklistEntry[]): Promise<number>;
  /** Removes entries; returns how many existed. */
  unblacklist(imageIds: readonly string[]): Promise<number>;
  /** Every entry, ordered by image id. */
  listBlacklist(): Promise<BlacklistEntry[]>;
  /** Stores a revision with its images in one transaction; returns it with its new id. */
  addRevision(revision: NewRevision): Promise<Revision>;
  /** A revision by id, or the latest (optionally the latest of one function); undefined when there is none. */
  getRevision(which: number | 'latest', options?: { function?: string }): Promise<Revision | undefined>;
  /** Every revision, newest first, without images. */
  listRevisions(): Promise<RevisionSummary[]>;
}

/**
 * What sampling reads from the stages before it; the composition root (src/app/workspace.ts)
 * wires it to the image catalog, the near-duplicate review and the labelling answers.
 */
export interface SamplingSources {
  /** The workspace's class indices, in order. */
  classes(): Promise<number[]>;
  /** Every candidate with its class and exact-duplicate link, ordered by class then id. */
  candidates(): Promise<{ imageId: string; classIdx: number; exactDuplicateOf: string | null }[]>;
  /** Near-duplicate state per searched candidate ('clear', 'pending' or 'duplicate'); unsearched candidates are absent. */
  nearDuplicateStatus(): Promise<Map<string, 'clear' | 'pending' | 'duplicate'>>;
  /** Selection frequencies of every image and class pair with at least one valid answer (both roles). */
  frequencies(): Promise<readonly SelectionFrequency[]>;
}
