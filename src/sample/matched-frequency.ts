import { FREQUENCY_EDGES, frequencyBin, sampleWithoutReplacement, type Rng } from '../core/index.ts';
import { roundHistogram, type HistogramRounding } from './largest-remainder.ts';
import { candidatesByClass, checkInput, finish, splitPrevious } from './outcome.ts';
import type { ClassOutcome, MatchedFrequencyParams, SamplingCandidate, SamplingInput, SamplingOutcome, SamplingStrategy, UpwardSample } from './types.ts';

/**
 * MatchedFrequency (DESIGN §1.6; the ImageNetV2 default, `sample_wnid_histogram`). Per class:
 * 1. the reference histogram is scaled to `perClass` bin targets by `roundHistogram` — by default the
 *    authors' float64 arithmetic, bit for bit (`rounding: 'exact-integer'` for exact remainders);
 * 2. the parent's still-eligible images are kept per bin, up to the bin's target (a random subset if more);
 * 3. each bin is filled at random from the class's other eligible candidates in that bin;
 * 4. with upward sampling, each slot still open (lowest bin first) takes one random candidate
 *    from the next higher bin that has candidates left (a parent image first, if one is there);
 * 5. a slot no bin can fill leaves the class short — reported in `short` and `shortClasses`.
 * A class without reference images gets nothing and is reported; fewer than `minReferenceImages`
 * reference images make the outcome invalid (noted) but the class is still sampled.
 */
export function matchedFrequency(input: SamplingInput, params: MatchedFrequencyParams, rng: Rng): SamplingOutcome {
  checkInput(input);
  const edges = params.bins ?? FREQUENCY_EDGES;
  const upwardSampling = params.upwardSampling ?? true;
  const minReferenceImages = params.minReferenceImages ?? 20;
  const rounding = params.rounding ?? 'authors-float64';
  if (rounding !== 'authors-float64' && rounding !== 'exact-integer')
    throw new RangeError(`rounding must be 'authors-float64' or 'exact-integer', got ${String(rounding)}`);
  const settings: ClassSettings = { edges, upwardSampling, minReferenceImages, rounding };
  const byClass = candidatesByClass(input);
  const outcomes: ClassOutcome[] = [];
  const invalid: number[] = [];
  for (const classIdx of input.classes) {
    const { outcome, valid } = sampleClass(input, classIdx, byClass.get(classIdx) ?? [], settings, rng);
    outcomes.push(outcome);
    if (!valid) invalid.push(classIdx);
  }
  return finish('matched-frequency', { bins: [...edges], upwardSampling, minReferenceImages, rounding }, input, outcomes, rng, invalid);
}

interface ClassSettings {
  edges: readonly number[];
  upwardSampling: boolean;
  minReferenceImages: number;
  rounding: HistogramRounding;
}

/** Steps 1–5 for one class; `valid` is false without a histogram or with too few reference images. */
function sampleClass(
  input: SamplingInput,
  classIdx: number,
  cands: readonly SamplingCandidate[],
  settings: ClassSettings,
  rng: Rng,
): { outcome: ClassOutcome; valid: boolean } {
  const numBins = settings.edges.length + 1;
  const eligible = new Map(cands.map((c) => [c.imageId, c]));
  const { kept, dropped } = splitPrevious(input, classIdx, eligible);
  const hist = input.referenceHistograms?.get(classIdx);
  const histTotal = hist ? hist.reduce((a, b) => a + b, 0) : 0;
  if (!hist || histTotal === 0) {
    const notes = ['no reference images with enough answers: no histogram to match'];
    return {
      valid: false,
      outcome: {
        classIdx,
        imageIds: [],
        target: input.perClass,
        short: input.perClass,
        carriedOver: [],
        dropped,
        binTargets: new Array(numBins).fill(0),
        upward: [],
        notes,
      },
    };
  }
  if (hist.length !== numBins) throw new RangeError(`reference histogram of class ${classIdx} has ${hist.length} bins, expected ${numBins}`);
  const notes: string[] = [];
  const valid = histTotal >= settings.minReferenceImages;
  if (!valid) notes.push(`reference histogram from only ${histTotal} images (want ≥ ${settings.minReferenceImages})`);
  const target = roundHistogram(hist, input.perClass, settings.rounding);
  const binOfId = (id: string) => frequencyBin(eligible.get(id)!.frequency, settings.edges);
  const chosen = carryOver(kept, binOfId, target, rng);
  const carriedOver = chosen.flat();
  const pools = fillBins(cands, new Set(carriedOver), settings.edges, target, chosen, rng);
  const { upward, short } = sampleUpward(target, chosen, pools, new Set(kept), settings.upwardSampling, rng);
  if (short > 0)
    notes.push(
      `${short} of ${input.perClass} slots could not be filled: no eligible candidates left in the bin${settings.upwardSampling ? ' or any higher bin' : ''}`,
    );
  return { valid, outcome: { classIdx, imageIds: chosen.flat(), target: input.perClass, short, carriedOver, dropped, binTargets: target, upward, notes } };
}

/** 2. The parent's still-eligible images, per bin, up to the bin's target (a random subset if more). */
function carryOver(kept: readonly string[], binOfId: (id: string) => number, target: readonly number[], rng: Rng): string[][] {
  const chosen: string[][] = target.map(() => []);
  const prevByBin: string[][] = target.map(() => []);
  for (const id of kept) prevByBin[binOfId(id)]!.push(id);
  for (let b = 0; b < target.length; b++) {
    const prev = prevByBin[b]!;
    chosen[b]!.push(...(prev.length <= target[b]! ? prev : sampleWithoutReplacement(prev, target[b]!, rng)));
  }
  return chosen;
}

/** 3. Each bin filled at random from its own candidates (not carried over); answers what is left per bin. */
function fillBins(
  cands: readonly SamplingCandidate[],
  carried: ReadonlySet<string>,
  edges: readonly number[],
  target: readonly number[],
  chosen: string[][],
  rng: Rng,
): string[][] {
  const pools: string[][] = target.map(() => []);
  for (const c of cands) if (!carried.has(c.imageId)) pools[frequencyBin(c.frequency, edges)]!.push(c.imageId);
  for (let b = 0; b < target.length; b++) {
    const need = target[b]! - chosen[b]!.length;
    if (need <= 0) continue;
    const pool = pools[b]!;
    if (need >= pool.length) {
      chosen[b]!.push(...pool);
      pools[b] = [];
    } else {
      const draw = sampleWithoutReplacement(pool, need, rng);
      const drawn = new Set(draw);
      chosen[b]!.push(...draw);
      pools[b] = pool.filter((id) => !drawn.has(id));
    }
  }
  return pools;
}

/** 4–5. Each open slot (lowest bin first) takes one candidate from the next higher bin with any left, a parent image first; else it stays short. */
function sampleUpward(
  target: readonly number[],
  chosen: string[][],
  pools: string[][],
  previous: ReadonlySet<string>,
  upwardSampling: boolean,
  rng: Rng,
): { upward: UpwardSample[]; short: number } {
  const upward: UpwardSample[] = [];
  let short = 0;
  for (let b = 0; b < target.length; b++) {
    const need = target[b]! - chosen[b]!.length;
    for (let k = 0; k < need; k++) {
      const next = upwardSampling ? pools.findIndex((pool, i) => i > b && pool.length > 0) : -1;
      if (next < 0) {
        short += 1;
        continue;
      }
      const pool = pools[next]!;
      const fromPrev = pool.filter((id) => previous.has(id));
      const pick = fromPrev.length > 0 ? fromPrev[0]! : pool[rng.int(pool.length)]!;
      pools[next] = pool.filter((id) => id !== pick);
      chosen[b]!.push(pick);
      upward.push({ imageId: pick, toBin: b, fromBin: next });
    }
  }
  return { upward, short };
}

export const matchedFrequencyStrategy: SamplingStrategy<MatchedFrequencyParams> = { name: 'matched-frequency', sample: matchedFrequency };
