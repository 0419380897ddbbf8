/**
 * Exact (Clopper–Pearson) binomial confidence interval:
 * lower = Beta⁻¹(α/2; k, n−k+1), 0 when k = 0; upper = Beta⁻¹(1−α/2; k+1, n−k), 1 when k = n.
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';

/** The 1 − alpha interval for k successes in n trials. n = 0 gives [0, 1] (nothing is known). */
export function clopperPearson(k: number, n: number, alpha = 0.05): [number, number] {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new RangeError(`clopperPearson: need integers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`clopperPearson: alpha must be in (0, 1), got ${alpha}`);
  if (n === 0) return [0, 1];
  const lower = k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const upper = k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lower, upper];
}
