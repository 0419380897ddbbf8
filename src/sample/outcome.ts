import { shuffled, type Rng } from '../core/index.ts';
import type { ClassOutcome, SamplingCandidate, SamplingInput, SamplingOutcome } from './types.ts';

/** The eligible candidates of each class, sorted by id (so draws depend only on the seed). */
export function candidatesByClass(input: SamplingInput): Map<number, SamplingCandidate[]> {
  const by = new Map<number, SamplingCandidate[]>(input.classes.map((c) => [c, []]));
  for (const cand of input.candidates) by.get(cand.classIdx)?.push(cand);
  for (const list of by.values()) list.sort((a, b) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  return by;
}

/** The parent's images of a class split into still eligible (sorted) and dropped. */
export function splitPrevious(input: SamplingInput, classIdx: number, eligible: ReadonlyMap<string, SamplingCandidate>): { kept: string[]; dropped: string[] } {
  const prev = [...(input.previous?.get(classIdx) ?? [])].sort();
  return { kept: prev.filter((id) => eligible.has(id)), dropped: prev.filter((id) => !eligible.has(id)) };
}

/** Assembles the outcome: shuffles all chosen images with `rng` (after all per-class draws). */
export function finish(
  strategy: string,
  parameters: Record<string, unknown>,
  input: SamplingInput,
  classes: ClassOutcome[],
  rng: Rng,
  invalidClasses: readonly number[] = [],
): SamplingOutcome {
  const images = classes.flatMap((c) => c.imageIds.map((imageId) => ({ imageId, classIdx: c.classIdx })));
  const shortClasses = classes.filter((c) => c.short > 0 || invalidClasses.includes(c.classIdx)).map((c) => c.classIdx);
  return {
    strategy,
    parameters: { perClass: input.perClass, ...parameters },
    seed: rng.seed,
    images: shuffled(images, rng),
    classes,
    valid: shortClasses.length === 0,
    shortClasses,
  };
}

/** Checks the common inputs; throws on misuse. */
export function checkInput(input: SamplingInput): void {
  if (!Number.isInteger(input.perClass) || input.perClass < 0) throw new RangeError(`perClass must be a non-negative integer, got ${input.perClass}`);
  for (const c of input.candidates) {
    if (!(c.frequency >= 0 && c.frequency <= 1)) throw new RangeError(`frequency of ${c.imageId} must be in [0, 1], got ${c.frequency}`);
  }
}
