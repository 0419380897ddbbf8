/**
 * How precisely n images measure an accuracy: the exact Clopper–Pearson interval of
 * k = round(accuracy × n) correct out of n, and its half-width. Inverse: the fewest images whose
 * interval is no wider than a target (searched, because the exact interval is not a formula).
 */
import { clopperPearson } from '../analyze/index.ts';
import type { AccuracyPrecision } from './types.ts';

export function accuracyPrecision(n: number, accuracy: number, level = 0.95): AccuracyPrecision {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`accuracyPrecision: n must be a positive integer, got ${n}`);
  if (!(accuracy >= 0 && accuracy <= 1)) throw new RangeError(`accuracyPrecision: accuracy must be in [0, 1], got ${accuracy}`);
  const correct = Math.round(accuracy * n);
  const interval = clopperPearson(correct, n, 1 - level);
  return { n, accuracy, correct, level, interval, halfWidth: (interval[1] - interval[0]) / 2 };
}

/**
 * The fewest images n such that every n' ≥ n has a half-width ≤ `halfWidth` at `accuracy`
 * (rounding k makes the exact width wobble by a little; the answer is where it stays below).
 * Starts from the normal approximation z²·p(1−p)/h² and searches around it.
 */
export function imagesForHalfWidth(halfWidth: number, accuracy: number, level = 0.95): number {
  if (!(halfWidth > 0 && halfWidth < 0.5)) throw new RangeError(`imagesForHalfWidth: half-width must be in (0, 0.5), got ${halfWidth}`);
  const ok = (n: number) => accuracyPrecision(n, accuracy, level).halfWidth <= halfWidth;
  // An upper bound that is surely wide enough: grow until ok for a stretch.
  let hi = 8;
  while (!ok(hi) || !ok(hi + 1) || !ok(hi * 2)) hi *= 2;
  let lo = 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  // Walk up past any wobble just above the first n that is ok.
  let n = lo;
  for (let k = n; k < n + 64; k++) if (!ok(k)) n = k + 1;
  return n;
}
