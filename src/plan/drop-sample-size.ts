/**
 * Images needed to detect a drop d = p1 − p2 in accuracy between two independent test sets, with a
 * two-sided test of equal proportions at level α and power 1 − β (normal approximation, pooled
 * variance under H0 — the textbook sample size, e.g. Fleiss, Statistical Methods for Rates and
 * Proportions, without continuity correction):
 *
 *   power(n1, n2) = Φ( (|d| − z_{1−α/2} σ0) / σ1 ),
 *   σ0 = √( p̄ (1 − p̄) (1/n1 + 1/n2) ),  p̄ = (n1 p1 + n2 p2) / (n1 + n2),
 *   σ1 = √( p1 (1 − p1) / n1 + p2 (1 − p2) / n2 ).
 *
 * With both sets the same size this solves in closed form:
 *   n = ( z_{1−α/2} √(2 p̄ q̄) + z_{1−β} √(p1 q1 + p2 q2) )² / d²,  p̄ = (p1 + p2) / 2.
 * With the original set's size fixed (50,000 for ImageNet) the new set's size is searched.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { normalCdf } from '../analyze/index.ts';
import type { DropSampleSize } from './types.ts';

function check(p1: number, drop: number, alpha: number, power: number): void {
  if (!(p1 > 0 && p1 < 1)) throw new RangeError(`dropSampleSize: the original accuracy must be in (0, 1), got ${p1}`);
  if (!(drop !== 0 && p1 - drop > 0 && p1 - drop < 1))
    throw new RangeError(`dropSampleSize: the drop must be non-zero and leave an accuracy in (0, 1), got ${drop}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`dropSampleSize: alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`dropSampleSize: power must be in (0, 1), got ${power}`);
}

/** The power of the two-sided test at sizes n1, n2. */
export function dropTestPower(p1: number, drop: number, n1: number, n2: number, alpha = 0.05): number {
  const p2 = p1 - drop;
  const pBar = (n1 * p1 + n2 * p2) / (n1 + n2);
  const sigma0 = Math.sqrt(pBar * (1 - pBar) * (1 / n1 + 1 / n2));
  const sigma1 = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return normalCdf((Math.abs(drop) - normalQuantile(1 - alpha / 2, 0, 1) * sigma0) / sigma1);
}

/** Equal sizes, closed form (not rounded). */
export function equalSizeForDrop(p1: number, drop: number, alpha = 0.05, power = 0.8): number {
  check(p1, drop, alpha, power);
  const p2 = p1 - drop;
  const pBar = (p1 + p2) / 2;
  const za = normalQuantile(1 - alpha / 2, 0, 1),
    zb = normalQuantile(power, 0, 1);
  return (za * Math.sqrt(2 * pBar * (1 - pBar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / drop ** 2;
}

const LIMIT = 1e9;

export function dropSampleSize(options: { originalAccuracy: number; drop: number; alpha?: number; power?: number; originalN?: number | null }): DropSampleSize {
  const alpha = options.alpha ?? 0.05,
    power = options.power ?? 0.8;
  const p1 = options.originalAccuracy,
    d = options.drop;
  check(p1, d, alpha, power);
  const originalN = options.originalN ?? null;
  if (originalN === null) {
    const n = Math.ceil(equalSizeForDrop(p1, d, alpha, power) - 1e-9);
    return { originalAccuracy: p1, drop: d, alpha, power, originalN, newN: n, achievedPower: dropTestPower(p1, d, n, n, alpha) };
  }
  if (!Number.isInteger(originalN) || originalN < 1) throw new RangeError(`dropSampleSize: originalN must be a positive integer, got ${originalN}`);
  const ok = (n2: number) => dropTestPower(p1, d, originalN, n2, alpha) >= power;
  if (!ok(LIMIT)) return { originalAccuracy: p1, drop: d, alpha, power, originalN, newN: null, achievedPower: null };
  let lo = 1,
    hi = LIMIT;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return { originalAccuracy: p1, drop: d, alpha, power, originalN, newN: lo, achievedPower: dropTestPower(p1, d, originalN, lo, alpha) };
}
