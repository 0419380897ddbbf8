/**
 * Adaptive answer allocation (pure): given every candidate's answers so far, which images get
 * follow-up answers and how many. Rules, in order:
 * 1. an image whose tasks are still collecting answers waits;
 * 2. an image below `minAnswers` (the authors' 10) is brought up to it first — eligibility is
 *    unchanged: no image is ever used with fewer;
 * 3. an image stops when more answers cannot change its bin: even all-yes or all-no answers up
 *    to `maxAnswers` would leave selected/answers in the same bin (or it is at `maxAnswers`);
 * 4. it also stops when its bin is settled: the posterior probability (empirical-Bayes prior over
 *    the pool, frequency-prior.ts) that its frequency lies across a bin edge or τ from its current
 *    estimate is at most `epsilon` — its posterior interval does not straddle an edge;
 * 5. the others straddle an edge: each gets `step` more answers (fewer at the cap), most likely
 *    misplaced first, until `budget` answers are scheduled.
 * Raw answers are never touched: the selection frequency stays selected / answers over all of them.
 */
import { FREQUENCY_EDGES } from '../core/frequency-bins.ts';
import { binAgainst, fitFrequencyPrior, misplacementProbability, type FrequencyPrior } from './frequency-prior.ts';

/** One candidate's answers for the class it was collected for. */
export type { ImageTally } from './types.ts';
import type { ImageTally } from './types.ts';

/** How allocation decides. */
export interface AdaptiveOptions {
  /** The values a frequency is placed against: MatchedFrequency's bin edges, and τ for Threshold. */
  edges: readonly number[];
  /** Answers every image needs before it can be eligible (10). */
  minAnswers: number;
  /** Most answers one image gets. */
  maxAnswers: number;
  /** Answers per follow-up. */
  step: number;
  /** Misplacement probability above which an image straddles an edge. */
  epsilon: number;
  /** Answers this allocation may schedule. */
  budget: number;
}

export const DEFAULT_ADAPTIVE: Omit<AdaptiveOptions, 'budget'> = { edges: FREQUENCY_EDGES, minAnswers: 10, maxAnswers: 40, step: 5, epsilon: 0.01 };

/** A follow-up for one image. */
export interface FollowUp {
  imageId: string;
  classIdx: number;
  /** More answers to ask for. */
  extra: number;
  /** 'min-answers': below the eligibility minimum; 'straddles': its bin is still uncertain. */
  reason: 'min-answers' | 'straddles';
  /** Posterior probability of being in the wrong bin now (null for 'min-answers'). */
  misplacement: number | null;
}

/** What an allocation decided. */
export interface Allocation {
  followUps: FollowUp[];
  /** Answers scheduled (Σ extra ≤ budget). */
  scheduled: number;
  /** Images that wait for answers already asked for. */
  waiting: number;
  /** Images whose bin more answers (up to the cap) cannot change, or at the cap. */
  fixed: number;
  /** Images whose bin is settled (misplacement ≤ epsilon). */
  settled: number;
  /** Images that straddle an edge (with or without a follow-up, budget permitting). */
  straddling: number;
  /** Straddling or below-minimum images left without a follow-up because the budget ran out. */
  unfunded: number;
}

/** Whether any answers up to `max` could move selected/answers to another bin. */
export function canChangeBin(answers: number, selected: number, max: number, edges: readonly number[]): boolean {
  if (answers >= max) return false;
  const here = binAgainst(selected / answers, edges);
  // With t more answers the estimate lies in [k/(n+t), (k+t)/(n+t)]; over t ≤ max − n that spans [k/max, (k + max − n)/max].
  return binAgainst(selected / max, edges) !== here || binAgainst((selected + max - answers) / max, edges) !== here;
}

function validate(o: AdaptiveOptions): void {
  const bad = (field: string, value: unknown) => new RangeError(`allocateFollowUps: ${field} is invalid: ${String(value)}`);
  if (!Number.isInteger(o.minAnswers) || o.minAnswers < 1) throw bad('minAnswers', o.minAnswers);
  if (!Number.isInteger(o.maxAnswers) || o.maxAnswers < o.minAnswers) throw bad('maxAnswers (must be ≥ minAnswers)', o.maxAnswers);
  if (!Number.isInteger(o.step) || o.step < 1) throw bad('step', o.step);
  if (!(o.epsilon > 0 && o.epsilon < 1)) throw bad('epsilon', o.epsilon);
  if (!(o.budget >= 0)) throw bad('budget', o.budget);
  for (let i = 0; i < o.edges.length; i++)
    if (!(o.edges[i]! > 0 && o.edges[i]! < 1 && (i === 0 || o.edges[i]! > o.edges[i - 1]!))) throw bad('edges (increasing, inside (0, 1))', o.edges.join(','));
}

export function allocateFollowUps(images: readonly ImageTally[], options: AdaptiveOptions, prior: FrequencyPrior = fitFrequencyPrior(images)): Allocation {
  validate(options);
  const cache = new Map<string, number>();
  const misplaced = (n: number, k: number) => {
    const key = `${n}/${k}`;
    let v = cache.get(key);
    if (v === undefined) {
      v = misplacementProbability(prior, n, k, options.edges);
      cache.set(key, v);
    }
    return v;
  };
  const below: ImageTally[] = [];
  const straddle: { image: ImageTally; p: number }[] = [];
  let waiting = 0,
    fixed = 0,
    settled = 0;
  for (const image of images) {
    if (image.waiting) {
      waiting++;
      continue;
    }
    if (image.answers < options.minAnswers) {
      below.push(image);
      continue;
    }
    if (!canChangeBin(image.answers, image.selected, options.maxAnswers, options.edges)) {
      fixed++;
      continue;
    }
    const p = misplaced(image.answers, image.selected);
    if (p <= options.epsilon) {
      settled++;
      continue;
    }
    straddle.push({ image, p });
  }
  const byId = (a: ImageTally, b: ImageTally) => a.classIdx - b.classIdx || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0);
  below.sort(byId);
  straddle.sort((a, b) => b.p - a.p || byId(a.image, b.image));
  const followUps: FollowUp[] = [];
  let left = options.budget,
    unfunded = 0;
  for (const image of below) {
    const extra = options.minAnswers - image.answers;
    if (extra > left) {
      unfunded++;
      continue;
    }
    followUps.push({ imageId: image.imageId, classIdx: image.classIdx, extra, reason: 'min-answers', misplacement: null });
    left -= extra;
  }
  for (const { image, p } of straddle) {
    const extra = Math.min(options.step, options.maxAnswers - image.answers, left);
    if (extra <= 0) {
      unfunded++;
      continue;
    }
    followUps.push({ imageId: image.imageId, classIdx: image.classIdx, extra, reason: 'straddles', misplacement: p });
    left -= extra;
  }
  return { followUps, scheduled: options.budget - left, waiting, fixed, settled, straddling: straddle.length, unfunded };
}
