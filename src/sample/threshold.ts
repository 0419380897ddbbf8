import { sampleWithoutReplacement, type Rng } from '../core/index.ts';
import { candidatesByClass, checkInput, finish, splitPrevious } from './outcome.ts';
import type { ClassOutcome, SamplingInput, SamplingOutcome, SamplingStrategy, ThresholdParams } from './types.ts';

/**
 * Threshold τ (DESIGN §1.6; `sample_above_threshold`, Threshold0.7 with τ = 0.7): per class, the
 * parent's still-eligible images with frequency ≥ τ are kept (a random subset if more than
 * `perClass`), the rest is a uniform draw among the other eligible candidates with frequency ≥ τ
 * (the class's override in `perClassTau` when given). A class with too few is short and reported.
 */
export function threshold(input: SamplingInput, params: ThresholdParams, rng: Rng): SamplingOutcome {
  checkInput(input);
  if (!(params.tau >= 0 && params.tau <= 1)) throw new RangeError(`tau must be in [0, 1], got ${params.tau}`);
  for (const [c, t] of Object.entries(params.perClassTau ?? {})) {
    if (!(t >= 0 && t <= 1)) throw new RangeError(`tau of class ${c} must be in [0, 1], got ${t}`);
  }
  const byClass = candidatesByClass(input);
  const outcomes: ClassOutcome[] = [];
  for (const classIdx of input.classes) {
    const tau = params.perClassTau?.[classIdx] ?? params.tau;
    const above = (byClass.get(classIdx) ?? []).filter((c) => c.frequency >= tau);
    const eligible = new Map(above.map((c) => [c.imageId, c]));
    const { kept, dropped } = splitPrevious(input, classIdx, eligible);
    const carriedOver = kept.length <= input.perClass ? kept : sampleWithoutReplacement(kept, input.perClass, rng);
    const carried = new Set(carriedOver);
    const pool = above.map((c) => c.imageId).filter((id) => !carried.has(id));
    const need = input.perClass - carriedOver.length;
    const drawn = need >= pool.length ? pool : sampleWithoutReplacement(pool, need, rng);
    const short = input.perClass - carriedOver.length - drawn.length;
    const notes = short > 0 ? [`only ${carriedOver.length + drawn.length} eligible candidates with frequency ≥ ${tau}`] : [];
    outcomes.push({ classIdx, imageIds: [...carriedOver, ...drawn], target: input.perClass, short, carriedOver, dropped, notes });
  }
  const parameters: Record<string, unknown> = { tau: params.tau };
  if (params.perClassTau && Object.keys(params.perClassTau).length > 0) parameters.perClassTau = params.perClassTau;
  return finish('threshold', parameters, input, outcomes, rng);
}

export const thresholdStrategy: SamplingStrategy<ThresholdParams> = { name: 'threshold', sample: threshold };
