/**
 * Seeded bootstrap of the OLS line: resample the models with replacement, refit, and keep every
 * slope and intercept. The inner loop uses closed-form sums over typed arrays and allocates
 * nothing per resample, so the paper's 100,000 resamples over ~70 models take milliseconds.
 * Indices are floor(u·n) from a xoshiro128** stream seeded by `rng` (bias ≤ n/2³², ~1e-8 for 67 models).
 * Resamples whose x values are all equal have no line and are skipped (counted in `skipped`).
 */
import type { Rng } from '../core/rng.ts';
import { percentileInterval, quantileInPlace } from './quantile.ts';

export interface BootstrapLines {
  /** Slopes of the resamples that had a line. */
  slopes: Float64Array;
  /** Intercepts, same order. */
  intercepts: Float64Array;
  /** Resamples drawn. */
  resamples: number;
  /** Resamples without a line (all x equal). */
  skipped: number;
}

export function bootstrapLines(x: ArrayLike<number>, y: ArrayLike<number>, resamples: number, rng: Rng): BootstrapLines {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`bootstrapLines: x has ${n} values, y has ${y.length}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrapLines: resamples must be a positive integer, got ${resamples}`);
  const xs = Float64Array.from(x),
    ys = Float64Array.from(y);
  const slopes = new Float64Array(resamples),
    intercepts = new Float64Array(resamples);
  let kept = 0;
  if (n >= 2) {
    // Centre once so the sums stay well conditioned (x and y are about 0.5 ± 0.3 in linear scale, up to ±4 in probit).
    let cx = 0,
      cy = 0;
    for (let i = 0; i < n; i++) {
      cx += xs[i]!;
      cy += ys[i]!;
    }
    cx /= n;
    cy /= n;
    for (let i = 0; i < n; i++) {
      xs[i] = xs[i]! - cx;
      ys[i] = ys[i]! - cy;
    }
    // The resample indices come from a xoshiro128** stream seeded with four words of `rng`, kept in
    // local variables so the hot loop stays in registers (the same generator as core/rng.ts).
    let s0 = rng.int(4294967296) | 0,
      s1 = rng.int(4294967296) | 0,
      s2 = rng.int(4294967296) | 0,
      s3 = rng.int(4294967296) | 0;
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
    const scale = n / 4294967296;
    for (let r = 0; r < resamples; r++) {
      let sx = 0,
        sy = 0,
        sxx = 0,
        sxy = 0;
      for (let j = 0; j < n; j++) {
        const m = Math.imul(s1, 5);
        const out = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
        const i = (out * scale) | 0; // floor(u·n) with u = out / 2^32 (exact: a power-of-two scale); bias ≤ n / 2^32
        const xi = xs[i]!,
          yi = ys[i]!;
        sx += xi;
        sy += yi;
        sxx += xi * xi;
        sxy += xi * yi;
      }
      const vxx = sxx - (sx * sx) / n;
      if (!(vxx > 1e-12 * (sxx + 1e-300))) continue;
      const slope = (sxy - (sx * sy) / n) / vxx;
      slopes[kept] = slope;
      intercepts[kept] = cy + sy / n - slope * (cx + sx / n);
      kept++;
    }
  }
  return { slopes: slopes.subarray(0, kept), intercepts: intercepts.subarray(0, kept), resamples, skipped: resamples - kept };
}

/** Percentile 95 % intervals of slope and intercept; undefined when no resample had a line. Does not modify `lines`. */
export function lineIntervals(lines: BootstrapLines, level = 0.95): { slope: [number, number]; intercept: [number, number] } | undefined {
  const slope = percentileInterval(Float64Array.from(lines.slopes), level);
  const intercept = percentileInterval(Float64Array.from(lines.intercepts), level);
  return slope && intercept ? { slope, intercept } : undefined;
}

/**
 * The pointwise band of the bootstrap lines at each x of `grid` (in the fit's scale): for each x,
 * the central `level` interval of slope·x + intercept over the resamples.
 */
export function lineBand(lines: BootstrapLines, grid: ArrayLike<number>, level = 0.95): { x: number; lower: number; upper: number }[] {
  const m = lines.slopes.length;
  if (m === 0) return [];
  const values = new Float64Array(m);
  const out: { x: number; lower: number; upper: number }[] = [];
  for (let g = 0; g < grid.length; g++) {
    const xg = grid[g]!;
    for (let r = 0; r < m; r++) values[r] = lines.slopes[r]! * xg + lines.intercepts[r]!;
    const lower = quantileInPlace(values, (1 - level) / 2) as number;
    const upper = quantileInPlace(values, 1 - (1 - level) / 2) as number;
    out.push({ x: xg, lower, upper });
  }
  return out;
}
