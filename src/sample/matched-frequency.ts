import { FREQUENCY_EDGES, frequencyBin, sampleWithoutReplacement, type Rng } from '../core/index.ts';
import { roundHistogram } from './largest-remainder.ts';
import { candidatesByClass, checkInput, finish, splitPrevious } from './outcome.ts';
import type { ClassOutcome, MatchedFrequencyParams, SamplingInput, SamplingOutcome, SamplingStrategy, UpwardSample } from './types.ts';

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
  if (rounding !== 'authors-float64' && rounding !== 'exact-integer') throw new RangeError(`rounding must be 'authors-float64' or 'exact-integer', got ${String(rounding)}`);
  const numBins = edges.length + 1;
  const byClass = candidatesByClass(input);
  const outcomes: ClassOutcome[] = [];
  const invalid: number[] = [];
  for (const classIdx of input.classes) {
    const cands = byClass.get(classIdx) ?? [];
    const eligible = new Map(cands.map((c) => [c.imageId, c]));
    const { kept, dropped } = splitPrevious(input, classIdx, eligible);
    const hist = input.referenceHistograms?.get(classIdx);
    const histTotal = hist ? hist.reduce((a, b) => a + b, 0) : 0;
    const notes: string[] = [];
    if (!hist || histTotal === 0) {
      outcomes.push({ classIdx, imageIds: [], target: input.perClass, short: input.perClass, carriedOver: [], dropped, binTargets: new Array(numBins).fill(0), upward: [], notes: ['no reference images with enough answers: no histogram to match'] });
      invalid.push(classIdx);
      continue;
    }
    if (hist.length !== numBins) throw new RangeError(`reference histogram of class ${classIdx} has ${hist.length} bins, expected ${numBins}`);
    if (histTotal < minReferenceImages) {
      notes.push(`reference histogram from only ${histTotal} images (want ≥ ${minReferenceImages})`);
      invalid.push(classIdx);
    }
    const target = roundHistogram(hist, input.perClass, rounding);
    const bin = (id: string) => frequencyBin(eligible.get(id)!.frequency, edges);

    // 2. carry-over, per bin.
    const chosen: string[][] = Array.from({ length: numBins }, () => []);
    const prevByBin: string[][] = Array.from({ length: numBins }, () => []);
    for (const id of kept) prevByBin[bin(id)]!.push(id);
    for (let b = 0; b < numBins; b++) {
      const prev = prevByBin[b]!;
      chosen[b]!.push(...(prev.length <= target[b]! ? prev : sampleWithoutReplacement(prev, target[b]!, rng)));
    }
    const carriedOver = chosen.flat();
    const carried = new Set(carriedOver);

    // 3. fill each bin from its own candidates.
    const pools: string[][] = Array.from({ length: numBins }, () => []);
    for (const c of cands) if (!carried.has(c.imageId)) pools[frequencyBin(c.frequency, edges)]!.push(c.imageId);
    for (let b = 0; b < numBins; b++) {
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

    // 4. upward sampling.
    const upward: UpwardSample[] = [];
    let short = 0;
    const previous = new Set(kept);
    for (let b = 0; b < numBins; b++) {
      const need = target[b]! - chosen[b]!.length;
      for (let k = 0; k < need; k++) {
        let taken = false;
        if (upwardSampling) {
          for (let next = b + 1; next < numBins; next++) {
            const pool = pools[next]!;
            if (pool.length === 0) continue;
            const fromPrev = pool.filter((id) => previous.has(id));
            const pick = fromPrev.length > 0 ? fromPrev[0]! : pool[rng.int(pool.length)]!;
            pools[next] = pool.filter((id) => id !== pick);
            chosen[b]!.push(pick);
            upward.push({ imageId: pick, toBin: b, fromBin: next });
            taken = true;
            break;
          }
        }
        if (!taken) short += 1;
      }
    }
    if (short > 0) notes.push(`${short} of ${input.perClass} slots could not be filled: no eligible candidates left in the bin${upwardSampling ? ' or any higher bin' : ''}`);
    outcomes.push({ classIdx, imageIds: chosen.flat(), target: input.perClass, short, carriedOver, dropped, binTargets: target, upward, notes });
  }
  return finish('matched-frequency', { bins: [...edges], upwardSampling, minReferenceImages, rounding }, input, outcomes, rng, invalid);
}

export const matchedFrequencyStrategy: SamplingStrategy<MatchedFrequencyParams> = { name: 'matched-frequency', sample: matchedFrequency };
