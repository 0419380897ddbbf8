/**
 * Ordinary least squares for one predictor, from closed-form sums. Degenerate input (fewer than
 * two points, or all x equal) has no line: the answer is `undefined`, never NaN.
 */
import type { LineFit } from './types.ts';

export function olsFit(x: ArrayLike<number>, y: ArrayLike<number>): LineFit | undefined {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`olsFit: x has ${n} values, y has ${y.length}`);
  if (n < 2) return undefined;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0,
    sxy = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx,
      dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return { slope, intercept, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : null };
}
