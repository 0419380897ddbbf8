import { describe, expect, it } from 'vitest';
import {
  accuracyByFrequency,
  averageRanks,
  bootstrapLines,
  fromScale,
  globToRegExp,
  kendallTauB,
  lineBand,
  lineIntervals,
  modelMatcher,
  normalCdf,
  olsFit,
  perClassAccuracy,
  quantileInPlace,
  spearman,
  toScale,
} from '../../src/analyze/index.ts';
import { createRng } from '../../src/core/rng.ts';

describe('olsFit', () => {
  it('recovers an exact line', () => {
    const fit = olsFit([0.1, 0.4, 0.7, 0.9], [0.05, 0.5, 0.95, 1.25]);
    expect(fit?.slope).toBeCloseTo(1.5, 12);
    expect(fit?.intercept).toBeCloseTo(-0.1, 12);
    expect(fit?.r2).toBeCloseTo(1, 12);
  });
  it('matches a hand computation with noise', () => {
    // x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6, intercept 2.2, R² 0.6
    const fit = olsFit([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(fit?.slope).toBeCloseTo(0.6, 12);
    expect(fit?.intercept).toBeCloseTo(2.2, 12);
    expect(fit?.r2).toBeCloseTo(0.6, 12);
  });
  it('has no line for degenerate input (undefined, never NaN)', () => {
    expect(olsFit([], [])).toBeUndefined();
    expect(olsFit([0.5], [0.4])).toBeUndefined();
    expect(olsFit([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])).toBeUndefined();
    expect(olsFit([0.1, 0.2], [0.3, 0.3])?.r2).toBeNull();
  });
});

describe('quantileInPlace', () => {
  // numpy.quantile (linear interpolation) of [3, 1, 4, 1, 5, 9, 2, 6]
  it.each([
    [0, 1.0],
    [0.025, 1.0],
    [0.3, 2.1],
    [0.5, 3.5],
    [0.975, 8.475000000000001],
    [1, 9.0],
  ])('p=%f matches numpy', (p, expected) => {
    expect(quantileInPlace(Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]), p)).toBeCloseTo(expected, 12);
  });
  it('is undefined on empty input and linear on constant input', () => {
    expect(quantileInPlace(new Float64Array(0), 0.5)).toBeUndefined();
    const constant = new Float64Array(200_000).fill(0.25);
    expect(quantileInPlace(constant, 0.975)).toBe(0.25);
  });
});

describe('bootstrapLines', () => {
  const x = [0.56, 0.58, 0.7, 0.71, 0.72, 0.74, 0.76, 0.77, 0.78, 0.82, 0.83];
  const y = [0.44, 0.45, 0.57, 0.59, 0.59, 0.62, 0.63, 0.65, 0.67, 0.72, 0.72];

  it('is reproducible from the seed and differs across seeds', () => {
    const a = bootstrapLines(x, y, 2000, createRng(7));
    const b = bootstrapLines(x, y, 2000, createRng(7));
    const c = bootstrapLines(x, y, 2000, createRng(8));
    expect(Array.from(a.slopes)).toEqual(Array.from(b.slopes));
    expect(Array.from(a.slopes)).not.toEqual(Array.from(c.slopes));
  });

  it('centres its intervals on the OLS fit', () => {
    const fit = olsFit(x, y)!;
    const lines = bootstrapLines(x, y, 20_000, createRng(1));
    const intervals = lineIntervals(lines)!;
    expect(intervals.slope[0]).toBeLessThan(fit.slope);
    expect(intervals.slope[1]).toBeGreaterThan(fit.slope);
    expect(intervals.intercept[0]).toBeLessThan(fit.intercept);
    expect(intervals.intercept[1]).toBeGreaterThan(fit.intercept);
    // each refit is a valid OLS line of some resample: slope·mean(x) + intercept stays near mean(y)
    const band = lineBand(lines, [0.7]);
    expect(band[0]!.lower).toBeLessThan(fit.slope * 0.7 + fit.intercept);
    expect(band[0]!.upper).toBeGreaterThan(fit.slope * 0.7 + fit.intercept);
  });

  it('skips resamples without a line and gives none for a single model', () => {
    const two = bootstrapLines([0.1, 0.9], [0.1, 0.8], 1000, createRng(3));
    expect(two.skipped).toBeGreaterThan(300); // both draws equal half of the time
    expect(two.skipped).toBeLessThan(700);
    expect(two.slopes.every((s) => Math.abs(s - 0.875) < 1e-12)).toBe(true);
    const one = bootstrapLines([0.5], [0.4], 100, createRng(3));
    expect(one.slopes.length).toBe(0);
    expect(lineIntervals(one)).toBeUndefined();
    expect(lineBand(one, [0.5])).toEqual([]);
  });
});

describe('scales', () => {
  it('probit is the standard normal quantile and round-trips', () => {
    expect(toScale('probit', 0.975)).toBeCloseTo(1.959963984540054, 12);
    // scipy.stats.norm.cdf values
    expect(normalCdf(1.2)).toBeCloseTo(0.8849303297782918, 14);
    expect(normalCdf(-3.5)).toBeCloseTo(0.00023262907903552502, 15);
    expect(normalCdf(6)).toBeCloseTo(0.9999999990134123, 15);
    for (const a of [0.01, 0.2, 0.5, 0.76, 0.99]) {
      expect(fromScale('probit', toScale('probit', a))).toBeCloseTo(a, 12);
      expect(fromScale('logit', toScale('logit', a))).toBeCloseTo(a, 12);
    }
    expect(toScale('logit', 0.5)).toBe(0);
    expect(toScale('linear', 0.3)).toBe(0.3);
  });
  it('keeps accuracies of exactly 0 and 1 finite', () => {
    expect(Number.isFinite(toScale('probit', 0))).toBe(true);
    expect(Number.isFinite(toScale('logit', 1))).toBe(true);
  });
});

describe('rank correlation', () => {
  // scipy.stats.spearmanr / kendalltau (tau-b), with ties
  it('matches scipy with ties', () => {
    const x = [0.5, 0.7, 0.7, 0.9, 0.2, 0.6],
      y = [0.4, 0.65, 0.6, 0.85, 0.25, 0.6];
    expect(spearman(x, y)).toBeCloseTo(0.9558823529411764, 12);
    expect(kendallTauB(x, y)).toBeCloseTo(0.9285714285714286, 12);
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(kendallTauB([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.7378647873726218, 12);
  });
  it('averages tied ranks', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
  });
  it('is undefined for fewer than two models or a constant ranking', () => {
    expect(spearman([0.5], [0.4])).toBeUndefined();
    expect(kendallTauB([0.5, 0.5], [0.1, 0.2])).toBeUndefined();
  });
  it('is 1 and −1 for identical and reversed orders', () => {
    expect(kendallTauB([1, 2, 3], [10, 20, 30])).toBe(1);
    expect(spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12);
  });
});

describe('accuracyByFrequency', () => {
  it('bins images by frequency, the last bin closed, unknown frequencies left out', () => {
    const freq = [0.1, 0.3, 0.5, 0.7, 0.9, 1.0, Number.NaN, 0.2];
    const correct = [Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 1]), Uint8Array.from([0, 1, 0, 1, 1, 0, 0, 0])];
    const bins = accuracyByFrequency(freq, correct);
    expect(bins.map((b) => b.images)).toEqual([1, 2, 1, 1, 2]);
    expect(bins[1]!.accuracy).toEqual([0.5, 0.5]); // 0.3 and 0.2
    expect(bins[4]!.accuracy).toEqual([1, 0.5]);
    expect(bins[4]!.upper).toBe(1);
    expect(bins[0]!.meanAccuracy).toBe(0);
  });
  it('reports empty bins as null, not NaN', () => {
    const bins = accuracyByFrequency([0.9], [Uint8Array.from([1])]);
    expect(bins[0]).toMatchObject({ images: 0, accuracy: [null], meanAccuracy: null });
  });
  it('refuses mismatched lengths and non-increasing edges', () => {
    expect(() => accuracyByFrequency([0.5, 0.6], [Uint8Array.from([1])])).toThrow(RangeError);
    expect(() => accuracyByFrequency([0.5], [Uint8Array.from([1])], [0, 0.5, 0.5, 1])).toThrow(RangeError);
  });
});

describe('perClassAccuracy', () => {
  it('counts per class and reports an empty class as n = 0, accuracy null', () => {
    const rows = perClassAccuracy([0, 0, 1, 1, 1], [1, 0, 1, 1, 0], 3);
    expect(rows).toEqual([
      { classIndex: 0, n: 2, correct: 1, accuracy: 0.5 },
      { classIndex: 1, n: 3, correct: 2, accuracy: 2 / 3 },
      { classIndex: 2, n: 0, correct: 0, accuracy: null },
    ]);
    expect(() => perClassAccuracy([3], [1], 3)).toThrow(RangeError);
  });
});

describe('model selection', () => {
  it('matches globs on whole names', () => {
    expect(globToRegExp('fv_*').test('fv_64k')).toBe(true);
    expect(globToRegExp('fv_*').test('xfv_64k')).toBe(false);
    expect(globToRegExp('resnet?').test('resnet5')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    const keep = modelMatcher({ include: ['resnet*', 'vgg16'], exclude: ['resnet152'] });
    expect(['resnet50', 'resnet152', 'vgg16', 'alexnet'].filter(keep)).toEqual(['resnet50', 'vgg16']);
  });
});
