/**
 * Answers per image for a target standard error of a selection frequency: a frequency is the mean
 * of n yes/no answers, so SE = √(f (1 − f) / n) and n = ⌈f (1 − f) / se²⌉ (f = 0.5 is the worst
 * case). Over many images with frequencies fᵢ, the root-mean-square SE reaches the target at
 * n = ⌈mean(fᵢ (1 − fᵢ)) / se²⌉.
 */
import type { AnswersForError } from './types.ts';

export function answersForError(standardError: number, frequency = 0.5): AnswersForError {
  if (!(standardError > 0 && standardError <= 0.5)) throw new RangeError(`answersForError: the standard error must be in (0, 0.5], got ${standardError}`);
  if (!(frequency >= 0 && frequency <= 1)) throw new RangeError(`answersForError: the frequency must be in [0, 1], got ${frequency}`);
  // The small tolerance keeps 0.25 / 0.05² = 100 at 100 despite floating point.
  return { standardError, frequency, answers: Math.max(1, Math.ceil((frequency * (1 - frequency)) / standardError ** 2 - 1e-9)) };
}

/** Answers per image so that the root-mean-square SE over the given frequencies is ≤ the target. */
export function answersForMeanError(standardError: number, frequencies: readonly number[]): number | null {
  if (frequencies.length === 0) return null;
  const meanVariance = frequencies.reduce((s, f) => s + f * (1 - f), 0) / frequencies.length;
  return Math.max(1, Math.ceil(meanVariance / standardError ** 2 - 1e-9));
}
