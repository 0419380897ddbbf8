import { createRng, usageError } from '../core/index.ts';
import { referenceHistograms } from '../label/index.ts';
import { eligibility, readEligibilityInput, type EligibilityReport } from './eligibility.ts';
import { matchedFrequency } from './matched-frequency.ts';
import { threshold } from './threshold.ts';
import { topImages } from './top-images.ts';
import type {
  MatchedFrequencyParams,
  Revision,
  RevisionSummary,
  SampleStore,
  SamplingInput,
  SamplingOutcome,
  SamplingSources,
  ThresholdParams,
} from './types.ts';

/** Which strategy a revision runs, with its parameters. */
export type StrategyChoice =
  | { function: 'matched-frequency'; params?: MatchedFrequencyParams }
  | { function: 'threshold'; params: ThresholdParams }
  | { function: 'top-images'; params?: Record<string, never> };

/** Options of `createRevision`. */
export interface CreateRevisionOptions {
  /** The strategy. */
  strategy: StrategyChoice;
  /** Images per class. */
  perClass: number;
  /** Seed of the draws and of the final shuffle. */
  seed: number;
  /** Parent revision id (its still-eligible images are kept); null/undefined: start fresh. */
  parent?: number | null;
  /** Minimum valid answers per candidate (default 10). */
  minAnswers?: number;
  /** Minimum valid answers per reference image in the histogram (default 10). */
  minReferenceAnswers?: number;
  /** See `eligibility`. */
  requireDedup?: boolean;
  /** Creation time (default now). */
  now?: Date | string;
}

/** What a revision is read from and written to. */
export interface SamplingStores {
  /** The sampling stage's own tables. */
  sample: SampleStore;
  /** The stages before sampling (catalog, near-duplicate review, answers). */
  sources: SamplingSources;
}

/** The strategy input from the workspace: eligible candidates, reference histograms, the parent's images. */
export async function samplingInput(
  stores: SamplingStores,
  options: Pick<CreateRevisionOptions, 'perClass' | 'parent' | 'minAnswers' | 'minReferenceAnswers' | 'requireDedup'>,
): Promise<{ input: SamplingInput; eligibility: EligibilityReport }> {
  const [classes, all] = await Promise.all([stores.sources.classes(), stores.sources.frequencies()]);
  const elig = eligibility(await readEligibilityInput(stores.sources, stores.sample, all), {
    minAnswers: options.minAnswers ?? 10,
    requireDedup: options.requireDedup ?? true,
  });
  const minRef = options.minReferenceAnswers ?? 10;
  const refs = all.filter((f) => f.role === 'reference' && f.answers >= minRef);
  const histograms = new Map(referenceHistograms(refs, classes).map((h) => [h.classIdx, h.counts]));
  const input: SamplingInput = { classes, perClass: options.perClass, candidates: elig.eligible, referenceHistograms: histograms };
  if (options.parent !== undefined && options.parent !== null) {
    const parent = await getRevision(stores.sample, options.parent);
    const previous = new Map<number, string[]>();
    for (const im of parent.images) {
      let list = previous.get(im.classIdx);
      if (!list) {
        list = [];
        previous.set(im.classIdx, list);
      }
      list.push(im.imageId);
    }
    input.previous = previous;
  }
  return { input, eligibility: elig };
}

/** Runs a strategy on the workspace. Pure given the workspace state. */
export function runStrategy(input: SamplingInput, strategy: StrategyChoice, seed: number): SamplingOutcome {
  const rng = createRng(seed);
  switch (strategy.function) {
    case 'matched-frequency':
      return matchedFrequency(input, strategy.params ?? {}, rng);
    case 'threshold':
      return threshold(input, strategy.params, rng);
    case 'top-images':
      return topImages(input, {}, rng);
  }
}

/**
 * Samples a new revision (DESIGN §1.6) and stores it with its function, parameters, seed, parent,
 * validity and time, in one transaction. With a parent, the parent's still-eligible images are kept
 * and only the gaps are re-sampled.
 */
export async function createRevision(
  stores: SamplingStores,
  options: CreateRevisionOptions,
): Promise<{ revision: Revision; outcome: SamplingOutcome; eligibility: EligibilityReport }> {
  if (!Number.isInteger(options.seed)) throw usageError('--seed must be an integer', { field: 'seed', received: String(options.seed) });
  const { input, eligibility: elig } = await samplingInput(stores, options);
  const outcome = runStrategy(input, options.strategy, options.seed);
  const freq = new Map(elig.eligible.map((c) => [c.imageId, c]));
  const carried = new Set(outcome.classes.flatMap((c) => c.carriedOver));
  const parameters = {
    ...outcome.parameters,
    minAnswers: options.minAnswers ?? 10,
    minReferenceAnswers: options.minReferenceAnswers ?? 10,
    requireDedup: options.requireDedup ?? true,
  };
  const report = { classes: outcome.classes, exclusions: elig.counts };
  const createdAt = new Date(options.now ?? Date.now()).toISOString();
  const revision = await stores.sample.addRevision({
    function: outcome.strategy,
    parameters,
    seed: options.seed,
    parentId: options.parent ?? null,
    valid: outcome.valid,
    shortClasses: outcome.shortClasses,
    createdAt,
    report,
    images: outcome.images.map((im, position) => {
      const f = freq.get(im.imageId)!;
      return { position, imageId: im.imageId, classIdx: im.classIdx, frequency: f.frequency, answers: f.answers, carriedOver: carried.has(im.imageId) };
    }),
  });
  return { revision, outcome, eligibility: elig };
}

/** A stored revision by id, or the latest (optionally of one function); a usage error when there is none. */
export async function getRevision(store: SampleStore, which: number | 'latest', options: { function?: string } = {}): Promise<Revision> {
  const revision = await store.getRevision(which, options);
  if (!revision)
    throw usageError(which === 'latest' ? 'no sample revision yet' : `no sample revision ${which}`, {
      field: 'revision',
      hint: 'create one with `retest sample matched-frequency|threshold|top-images`',
    });
  return revision;
}

/** All revisions, newest first, without their images. */
export function listRevisions(store: SampleStore): Promise<RevisionSummary[]> {
  return store.listRevisions();
}
