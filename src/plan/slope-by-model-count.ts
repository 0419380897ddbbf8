/**
 * How well m models pin down the trend: draw m of the given models with replacement (seeded),
 * fit the least-squares line of new vs original accuracy (in the given scale), repeat, and take the
 * central interval of the slopes. The interval of the full set of n models is the paper's
 * bootstrap; smaller m shows what a study with fewer models can expect to know.
 */
import { olsFit, percentileInterval, quantileInPlace, toScale } from '../analyze/index.ts';
import type { Scale } from '../analyze/index.ts';
import type { Rng } from '../core/index.ts';
import type { SlopeAtModelCount } from './types.ts';

export function slopeByModelCount(
  models: readonly { original: number; new: number }[],
  counts: readonly number[],
  options: { resamples: number; rng: Rng; scale?: Scale; level?: number },
): SlopeAtModelCount[] {
  const scale = options.scale ?? 'linear';
  const level = options.level ?? 0.95;
  if (!Number.isInteger(options.resamples) || options.resamples < 1)
    throw new RangeError(`slopeByModelCount: resamples must be a positive integer, got ${options.resamples}`);
  const x = models.map((m) => toScale(scale, m.original));
  const y = models.map((m) => toScale(scale, m.new));
  const n = models.length;
  return counts.map((m) => {
    if (!Number.isInteger(m) || m < 2) throw new RangeError(`slopeByModelCount: a model count must be an integer ≥ 2, got ${m}`);
    const slopes = new Float64Array(options.resamples);
    let kept = 0;
    const xs = new Float64Array(m),
      ys = new Float64Array(m);
    if (n >= 1) {
      for (let r = 0; r < options.resamples; r++) {
        for (let j = 0; j < m; j++) {
          const i = options.rng.int(n);
          xs[j] = x[i]!;
          ys[j] = y[i]!;
        }
        // A draw of one model m times has no line; test it exactly (the mean of equal values can
        // round, leaving a tiny variance that would give a meaningless slope).
        let distinct = false;
        for (let j = 1; j < m && !distinct; j++) distinct = xs[j] !== xs[0];
        const fit = distinct ? olsFit(xs, ys) : undefined;
        if (fit) slopes[kept++] = fit.slope;
      }
    }
    const got = slopes.subarray(0, kept);
    const interval = percentileInterval(Float64Array.from(got), level) ?? null;
    const median = quantileInPlace(Float64Array.from(got), 0.5) ?? null;
    return { models: m, median, interval, halfWidth: interval ? (interval[1] - interval[0]) / 2 : null, draws: kept };
  });
}
