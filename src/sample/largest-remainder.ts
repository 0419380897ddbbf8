/**
 * Scaling a histogram of counts to `target` items (MatchedFrequency's bin targets, DESIGN §1.6).
 *
 * - 'authors-float64' (default): the ImageNetV2 code's `round_histogram`, operation for operation in
 *   IEEE doubles: fractional = target·h / Σh (the product first, then the division), floor,
 *   remainder = fractional − floor, and the target − Σfloor missing items go one each to the bins in
 *   descending order of (remainder, bin index). Float noise decides apparent ties: [4,1,1,0,0] to 10
 *   gives [7,1,2,0,0] (6.666…67 − 6 leaves a larger remainder than 1.666…67 − 1).
 * - 'exact-integer': the same rule on exact remainders ((target·h) mod Σh), ties to the higher bin:
 *   [4,1,1,0,0] → [6,2,2,0,0]. Not what the authors did; offered for users who want the rounding
 *   to depend on the counts only.
 * An all-zero histogram (or target 0) gives all zeros.
 */
export type HistogramRounding = 'authors-float64' | 'exact-integer';

export function roundHistogram(histogram: readonly number[], target: number, rounding: HistogramRounding = 'authors-float64'): number[] {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0 || target === 0) return histogram.map(() => 0);
  let floors: number[];
  let remainders: number[];
  if (rounding === 'exact-integer') {
    floors = histogram.map((h) => Math.floor((target * h) / total));
    remainders = histogram.map((h) => (target * h) % total);
  } else {
    const fractional = histogram.map((h) => (target * h) / total);
    floors = fractional.map((f) => Math.floor(f));
    remainders = fractional.map((f, i) => f - floors[i]!);
  }
  let left = target - floors.reduce((a, b) => a + b, 0);
  const order = histogram.map((_, i) => i).sort((a, b) => remainders[b]! - remainders[a]! || b - a);
  for (const i of order) {
    if (left <= 0) break;
    floors[i] = floors[i]! + 1;
    left -= 1;
  }
  return floors;
}
