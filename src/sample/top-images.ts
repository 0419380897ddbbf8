import type { Rng } from '../core/index.ts';
import { candidatesByClass, checkInput, finish, splitPrevious } from './outcome.ts';
import type { ClassOutcome, SamplingCandidate, SamplingInput, SamplingOutcome, SamplingStrategy } from './types.ts';

/**
 * TopImages (DESIGN §1.6; `sample_best`): per class, the `perClass` eligible candidates ranked by
 * selection frequency, then number of answers, then membership in the parent revision, then image
 * id — all descending, as the original sorted — deterministic. The Rng only shuffles the final order.
 */
export function topImages(input: SamplingInput, _params: Record<string, never>, rng: Rng): SamplingOutcome {
  checkInput(input);
  const byClass = candidatesByClass(input);
  const outcomes: ClassOutcome[] = [];
  for (const classIdx of input.classes) {
    const cands = byClass.get(classIdx) ?? [];
    const eligible = new Map(cands.map((c) => [c.imageId, c]));
    const { kept, dropped } = splitPrevious(input, classIdx, eligible);
    const inPrev = new Set(kept);
    const ranked = [...cands].sort((a, b) => compare(b, a, inPrev));
    const chosen = ranked.slice(0, input.perClass).map((c) => c.imageId);
    const short = input.perClass - chosen.length;
    const notes = short > 0 ? [`only ${chosen.length} eligible candidates`] : [];
    outcomes.push({ classIdx, imageIds: chosen, target: input.perClass, short, carriedOver: chosen.filter((id) => inPrev.has(id)), dropped, notes });
  }
  return finish('top-images', {}, input, outcomes, rng);
}

/** Ascending order by (frequency, answers, in parent, id). */
function compare(a: SamplingCandidate, b: SamplingCandidate, inPrev: ReadonlySet<string>): number {
  return (
    a.frequency - b.frequency ||
    a.answers - b.answers ||
    Number(inPrev.has(a.imageId)) - Number(inPrev.has(b.imageId)) ||
    (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0)
  );
}

export const topImagesStrategy: SamplingStrategy<Record<string, never>> = { name: 'top-images', sample: topImages };
