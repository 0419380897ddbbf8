import { describe, expect, it } from 'vitest';
import { analysisJson, compareTestSets, errorRatio, pairModels } from '../../src/analyze/index.ts';
import type { CountRecord, ModelPair } from '../../src/analyze/index.ts';
import { loadPublished } from '../../src/import/index.ts';

const published = loadPublished();

function analyze(original: string, newSet: string, exclude: string[] = [], resamples = 100_000) {
  const pairs = pairModels(published, { original, new: newSet, metric: 'top1', exclude });
  return compareTestSets(pairs, { original, new: newSet, metric: 'top1', resamples, seed: 0 });
}

describe('the bundled published results (Recht et al. 2019)', () => {
  it('hold 67 ImageNet models × 4 sets and 30 CIFAR-10 models × 3 sets', () => {
    const count = (set: string) => published.filter((r) => r.testSet === set).length;
    expect(['imagenet-val', 'imagenetv2-matched-frequency', 'imagenetv2-threshold0.7', 'imagenetv2-top-images'].map(count)).toEqual([67, 67, 67, 67]);
    expect(['cifar10-test', 'cifar10.1-v4', 'cifar10.1-v6'].map(count)).toEqual([30, 30, 30]);
    expect(published.find((r) => r.model === 'resnet50' && r.testSet === 'imagenet-val')).toMatchObject({ n: 50000, top1Correct: 38065, top5Correct: 46431 });
  });

  it('ImageNet → MatchedFrequency over the 64 CNNs: linear slope in [1.08, 1.14], mean drop ≈ 12.0 points', () => {
    const c = analyze('imagenet-val', 'imagenetv2-matched-frequency', ['fv_*']);
    expect(c.analysis.models).toHaveLength(64);
    const linear = c.analysis.fits.linear!;
    expect(linear.slope).toBeGreaterThanOrEqual(1.08);
    expect(linear.slope).toBeLessThanOrEqual(1.14);
    expect(linear.slope).toBeCloseTo(1.1098, 4);
    expect(c.meanGap! * 100).toBeCloseTo(12.0, 1);
    // the interval is the 100,000-resample bootstrap's and contains the estimate
    expect(linear.slopeCi95![0]).toBeLessThan(linear.slope);
    expect(linear.slopeCi95![1]).toBeGreaterThan(linear.slope);
    expect(linear.r2!).toBeGreaterThan(0.99);
    expect(c.analysis.fits.probit!.slope).toBeCloseTo(0.968, 3);
    expect(c.analysis.rankCorrelation.spearman!).toBeGreaterThan(0.99);
  });

  it('ImageNet → Threshold0.7 drops ≈ 3 points and → TopImages ≈ −2 (models do better)', () => {
    expect(analyze('imagenet-val', 'imagenetv2-threshold0.7', ['fv_*'], 200).meanGap! * 100).toBeCloseTo(3.1, 1);
    expect(analyze('imagenet-val', 'imagenetv2-top-images', ['fv_*'], 200).meanGap! * 100).toBeCloseTo(-2.2, 1);
  });

  it('CIFAR-10 → CIFAR-10.1 v4 over the 30 models: slope ≈ 1.6, mean drop ≈ 8.1 points', () => {
    const c = analyze('cifar10-test', 'cifar10.1-v4', [], 20_000);
    expect(c.analysis.models).toHaveLength(30);
    expect(c.analysis.fits.linear!.slope).toBeCloseTo(1.6, 1);
    expect(c.meanGap! * 100).toBeCloseTo(8.1, 1);
  });

  it('is deterministic for a seed', () => {
    const a = analyze('cifar10-test', 'cifar10.1-v6', [], 5000);
    const b = analyze('cifar10-test', 'cifar10.1-v6', [], 5000);
    expect(a.analysis).toEqual(b.analysis);
  });
});

describe('compareTestSets', () => {
  const pairs: ModelPair[] = [
    { model: 'a', source: 'published', original: { correct: 60, n: 100 }, new: { correct: 50, n: 100 } },
    { model: 'b', source: 'store', original: { correct: 70, n: 100 }, new: { correct: 62, n: 100 } },
    { model: 'c', source: 'published', original: { correct: 80, n: 100 }, new: { correct: 70, n: 100 } },
  ];

  it('gives per-model estimates, gaps and effective robustness against the fit', () => {
    const c = compareTestSets(pairs, { original: 'o', new: 'n', metric: 'top1', resamples: 500 });
    expect(c.analysis.models.map((m) => m.model)).toEqual(['a', 'b', 'c']);
    const b = c.analysis.models[1]!;
    expect(b.gap).toBeCloseTo(0.08, 12);
    // fit through (0.6,0.5),(0.7,0.62),(0.8,0.7): slope 1.0, intercept −0.0933…; at 0.7 → 0.60667
    expect(c.analysis.fits.linear!.slope).toBeCloseTo(1.0, 12);
    expect(b.effectiveRobustness).toBeCloseTo(0.62 - (0.7 - 0.28 / 3), 12);
    expect(c.sources).toEqual(['published', 'store', 'published']);
    expect(Object.keys(c.analysis)).toEqual(['original', 'new', 'metric', 'models', 'fits', 'rankCorrelation']);
    expect(Object.keys(b)).toEqual(['model', 'original', 'new', 'gap', 'effectiveRobustness']);
    expect(Object.keys(b.original)).toEqual(['correct', 'n', 'accuracy', 'ci95']);
    expect(Object.keys(c.analysis.fits.probit!)).toEqual(['slope', 'intercept', 'slopeCi95', 'interceptCi95', 'r2']);
    // The wire form (retest analyze --json, the report's analysis files): snake_case, same values, same order.
    const wire = analysisJson(c.analysis);
    expect(Object.keys(wire)).toEqual(['original', 'new', 'metric', 'models', 'fits', 'rank_correlation']);
    expect(Object.keys(wire.models[1]!)).toEqual(['model', 'original', 'new', 'gap', 'effective_robustness']);
    expect(Object.keys(wire.fits.probit!)).toEqual(['slope', 'intercept', 'slope_ci95', 'intercept_ci95', 'r2']);
    expect([wire.models[1]!.effective_robustness, wire.fits.linear!.slope_ci95, wire.rank_correlation]).toEqual([
      b.effectiveRobustness,
      c.analysis.fits.linear!.slopeCi95,
      c.analysis.rankCorrelation,
    ]);
  });

  it('keeps models out of the fit on request but still rates them', () => {
    const c = compareTestSets([...pairs, { model: 'fv', source: 'published', original: { correct: 20, n: 100 }, new: { correct: 19, n: 100 } }], {
      original: 'o',
      new: 'n',
      metric: 'top1',
      resamples: 200,
      inFit: (m) => m !== 'fv',
    });
    expect(c.inFit).toEqual([false, true, true, true]);
    expect(c.analysis.fits.linear!.slope).toBeCloseTo(1.0, 12);
    expect(c.analysis.models[0]!.effectiveRobustness).toBeCloseTo(0.19 - (0.2 - 0.28 / 3), 12);
  });

  it('answers degenerate input with nulls, not NaN', () => {
    const one = compareTestSets(pairs.slice(0, 1), { original: 'o', new: 'n', metric: 'top1', resamples: 10 });
    expect(one.analysis.fits).toEqual({ linear: null, probit: null, logit: null });
    expect(one.analysis.models[0]!.effectiveRobustness).toBeNull();
    expect(one.analysis.rankCorrelation).toEqual({ spearman: null, kendall: null });
    const two = compareTestSets(pairs.slice(0, 2), { original: 'o', new: 'n', metric: 'top1', resamples: 10 });
    expect(two.analysis.fits.linear!.slopeCi95).toBeNull();
    expect(compareTestSets([], { original: 'o', new: 'n', metric: 'top1', resamples: 10 }).meanGap).toBeNull();
  });

  it('gives the error ratio, null when the original has no errors', () => {
    expect(errorRatio({ original: { accuracy: 0.9 }, new: { accuracy: 0.8 } })).toBeCloseTo(2, 12);
    expect(errorRatio({ original: { accuracy: 1 }, new: { accuracy: 0.8 } })).toBeNull();
  });

  it('refuses a model listed twice', () => {
    expect(() => compareTestSets([pairs[0]!, pairs[0]!], { original: 'o', new: 'n', metric: 'top1' })).toThrow(/twice/);
  });
});

describe('pairModels', () => {
  const rec = (model: string, testSet: string, top1Correct: number, source: 'store' | 'published', top5Correct: number | null = null): CountRecord => ({
    model,
    testSet,
    n: 100,
    top1Correct,
    top5Correct,
    source,
  });

  it("prefers the user's complete pair and never mixes sources", () => {
    const pairs = pairModels(
      [
        rec('m', 'o', 70, 'published'),
        rec('m', 'n', 60, 'published'),
        rec('m', 'o', 71, 'store'),
        rec('m', 'n', 61, 'store'),
        rec('half', 'o', 50, 'store'),
        rec('half', 'o', 52, 'published'),
        rec('half', 'n', 40, 'published'),
      ],
      { original: 'o', new: 'n', metric: 'top1' },
    );
    expect(pairs).toEqual([
      { model: 'half', source: 'published', original: { correct: 52, n: 100 }, new: { correct: 40, n: 100 } },
      { model: 'm', source: 'store', original: { correct: 71, n: 100 }, new: { correct: 61, n: 100 } },
    ]);
  });

  it('skips models without the metric and applies include/exclude', () => {
    const records = [rec('a', 'o', 70, 'store', 90), rec('a', 'n', 60, 'store', 80), rec('b', 'o', 70, 'store'), rec('b', 'n', 60, 'store')];
    expect(pairModels(records, { original: 'o', new: 'n', metric: 'top5' }).map((p) => p.model)).toEqual(['a']);
    expect(pairModels(records, { original: 'o', new: 'n', metric: 'top1', exclude: ['a'] }).map((p) => p.model)).toEqual(['b']);
  });
});
