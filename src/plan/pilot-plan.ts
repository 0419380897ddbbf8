/**
 * What a pilot (a workspace with some answers) says about each class's candidates: with the
 * pilot's share of labelled candidates per frequency bin, how short MatchedFrequency and
 * Threshold τ will fall when every collected candidate is labelled, and how many more candidates
 * would close the gap (the ImageNetV2 authors widened date windows and went up to 1,400
 * candidates for hard classes by hand). Pure: plain counts in, a plan out; the simulation behind
 * `expectedShortfall` draws from a seeded `Rng`.
 *
 * Assumptions, said in the docs too: unlabelled candidates have the labelled ones' distribution;
 * every candidate stays eligible (near-duplicates and blacklisting only lower the counts).
 */
import { FREQUENCY_EDGES, frequencyBin, type Rng } from '../core/index.ts';
import { roundHistogram } from '../sample/index.ts';
import type { ClassPlan, PilotPlan } from './types.ts';
import { candidatesToFill, upwardFillShortfall } from './upward-fill.ts';

/** One class of the pilot, as read from the workspace. */
export interface PilotClass {
  /** Class index. */
  classIdx: number;
  /** Candidates collected. */
  candidates: number;
  /** Selection frequencies of the candidates with enough answers. */
  frequencies: readonly number[];
  /** Reference images per frequency bin (the original test set's histogram); null when none has enough answers. */
  referenceHistogram: readonly number[] | null;
}

export interface PilotPlanOptions {
  /** Images wanted per class. */
  perClass: number;
  /** Threshold τ (default 0.7). */
  tau?: number;
  /** Bin upper edges (default 0.2, 0.4, 0.6, 0.8). */
  edges?: readonly number[];
  /** Answers a candidate needed to be counted (recorded in the plan). */
  minAnswers: number;
  /** Multinomial draws behind the expected shortfall (default 1,000). */
  draws?: number;
  rng: Rng;
}

/** Mean MatchedFrequency shortfall and the share of draws that are short, over multinomial draws of `candidates` bins. */
function simulateShortfall(
  targets: readonly number[],
  share: readonly number[],
  candidates: number,
  draws: number,
  rng: Rng,
): { mean: number; shortProbability: number } {
  const cumulative: number[] = [];
  let acc = 0;
  for (const s of share) cumulative.push((acc += s));
  const counts = new Array<number>(share.length);
  let total = 0,
    short = 0;
  for (let d = 0; d < draws; d++) {
    counts.fill(0);
    for (let c = 0; c < candidates; c++) {
      const u = rng.next() * acc;
      let b = 0;
      while (b < cumulative.length - 1 && u >= cumulative[b]!) b++;
      counts[b] = counts[b]! + 1;
    }
    const s = upwardFillShortfall(targets, counts);
    total += s;
    if (s > 0) short++;
  }
  return { mean: total / draws, shortProbability: short / draws };
}

export function planFromPilot(classes: readonly PilotClass[], options: PilotPlanOptions): PilotPlan {
  const edges = [...(options.edges ?? FREQUENCY_EDGES)];
  const tau = options.tau ?? 0.7;
  const draws = options.draws ?? 1000;
  if (!Number.isInteger(options.perClass) || options.perClass < 1)
    throw new RangeError(`planFromPilot: perClass must be a positive integer, got ${options.perClass}`);
  const plans: ClassPlan[] = classes.map((c) => planClass(c, { edges, tau, draws, perClass: options.perClass, rng: options.rng }));
  return {
    perClass: options.perClass,
    tau,
    minAnswers: options.minAnswers,
    edges,
    draws,
    classes: plans,
    totals: {
      shortClasses: plans.filter((p) => (p.moreCandidates ?? 0) > 0 || (p.binTargets !== null && p.binShare !== null && p.moreCandidates === null)).length,
      moreCandidates: plans.reduce((s, p) => s + (p.moreCandidates ?? 0), 0),
      thresholdShortClasses: plans.filter((p) => (p.thresholdMoreCandidates ?? 0) > 0 || (p.binShare !== null && p.thresholdMoreCandidates === null)).length,
      thresholdMoreCandidates: plans.reduce((s, p) => s + (p.thresholdMoreCandidates ?? 0), 0),
    },
  };
}

/** The settings every class is planned with (defaults applied). */
interface ClassPlanSettings {
  edges: readonly number[];
  tau: number;
  draws: number;
  perClass: number;
  rng: Rng;
}

/** One class's plan: its pilot's bin shares, then what MatchedFrequency and Threshold would be short of. */
function planClass(c: PilotClass, { edges, tau, draws, perClass, rng }: ClassPlanSettings): ClassPlan {
  const notes: string[] = [];
  const labelled = c.frequencies.length;
  const binCounts = Array.from({ length: edges.length + 1 }, () => 0);
  for (const f of c.frequencies) binCounts[frequencyBin(f, edges)]! += 1;
  const binShare = labelled > 0 ? binCounts.map((k) => k / labelled) : null;
  const aboveTau = labelled > 0 ? c.frequencies.filter((f) => f >= tau).length / labelled : null;
  if (labelled === 0) notes.push('no candidate with enough answers yet: label some first');
  const binTargets = c.referenceHistogram && c.referenceHistogram.reduce((a, b) => a + b, 0) > 0 ? roundHistogram(c.referenceHistogram, perClass) : null;
  if (!binTargets) notes.push('no reference histogram: MatchedFrequency has nothing to match');
  const matched = binShare && binTargets ? matchedFrequencyShortfall(c.candidates, binShare, binTargets, draws, rng, notes) : null;
  const expectedAboveTau = aboveTau === null ? null : aboveTau * c.candidates;
  const thresholdShortfall = expectedAboveTau === null ? null : Math.max(0, perClass - expectedAboveTau);
  let thresholdMoreCandidates: number | null = null;
  if (aboveTau !== null) {
    if (aboveTau > 0) thresholdMoreCandidates = Math.max(0, Math.ceil(perClass / aboveTau - 1e-9) - c.candidates);
    else notes.push(`no pilot candidate reaches τ = ${tau}: more candidates of the same kind cannot fill Threshold`);
  }
  return {
    classIdx: c.classIdx,
    candidates: c.candidates,
    labelled,
    binShare,
    binTargets,
    expectedPerBin: matched?.expectedPerBin ?? null,
    shortfallAtExpected: matched?.shortfallAtExpected ?? null,
    expectedShortfall: matched?.expectedShortfall ?? null,
    shortProbability: matched?.shortProbability ?? null,
    moreCandidates: matched?.moreCandidates ?? null,
    expectedAboveTau,
    thresholdShortfall,
    thresholdMoreCandidates,
    notes,
  };
}

/**
 * MatchedFrequency's shortfall for a class whose candidates fall into the bins as the pilot's did:
 * at the expected counts, simulated over `draws`, and how many more candidates would fill it
 * (null, with a note added to `notes`, when no number of candidates can).
 */
function matchedFrequencyShortfall(
  candidates: number,
  binShare: number[],
  binTargets: number[],
  draws: number,
  rng: Rng,
  notes: string[],
): Pick<ClassPlan, 'expectedPerBin' | 'shortfallAtExpected' | 'expectedShortfall' | 'shortProbability' | 'moreCandidates'> {
  const expectedPerBin = binShare.map((s) => s * candidates);
  const shortfallAtExpected = upwardFillShortfall(binTargets, expectedPerBin);
  const sim = simulateShortfall(binTargets, binShare, candidates, draws, rng);
  const total = candidatesToFill(binTargets, binShare);
  let moreCandidates: number | null = null;
  if (total === null) notes.push('the pilot has no candidate in the bins a slot needs: more candidates of the same kind cannot fill it');
  else moreCandidates = Math.max(0, total - candidates);
  return { expectedPerBin, shortfallAtExpected, expectedShortfall: sim.mean, shortProbability: sim.shortProbability, moreCandidates };
}
