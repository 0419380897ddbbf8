import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTestSets } from '../../src/analyze/index.ts';
import type { ModelPair } from '../../src/analyze/index.ts';
import { buildReport, csvTable, frequencySpec, latexTable, markdownTable, renderSvg, scatterSpec } from '../../src/report/index.ts';

const pairs: ModelPair[] = [
  { model: 'alpha', source: 'published', original: { correct: 600, n: 1000 }, new: { correct: 480, n: 1000 } },
  { model: 'beta', source: 'published', original: { correct: 700, n: 1000 }, new: { correct: 590, n: 1000 } },
  { model: 'gamma_1', source: 'store', original: { correct: 760, n: 1000 }, new: { correct: 660, n: 1000 } },
  { model: 'delta', source: 'published', original: { correct: 820, n: 1000 }, new: { correct: 730, n: 1000 } },
  { model: 'fv_x', source: 'published', original: { correct: 300, n: 1000 }, new: { correct: 240, n: 1000 } },
];
const comparison = compareTestSets(pairs, { original: 'orig', new: 'new', metric: 'top1', resamples: 2000, seed: 0, inFit: (m) => !m.startsWith('fv_') });

describe('scatter spec', () => {
  const spec = scatterSpec(comparison, { title: 'Toy → Toy v2', originalLabel: 'orig', newLabel: 'new', axes: 'linear' });
  const layers = spec.layer as { name: string; data: { values: Record<string, unknown>[] } }[];

  it('has one point per model, error bars, y = x, the fit and its band', () => {
    expect(layers.map((l) => l.name)).toEqual(['band', 'diagonal', 'fit', 'xerr', 'yerr', 'points', 'labels']);
    const points = layers.find((l) => l.name === 'points')!.data.values;
    expect(points).toHaveLength(5);
    const gamma = points.find((p) => p.model === 'gamma_1')!;
    expect(gamma).toMatchObject({ x: 76, y: 66, inFit: true });
    expect(gamma.xlo as number).toBeLessThan(76);
    expect(gamma.yhi as number).toBeGreaterThan(66);
    expect(points.find((p) => p.model === 'fv_x')!.inFit).toBe(false);
    expect(layers.find((l) => l.name === 'labels')!.data.values.map((p) => p.model)).toEqual(['gamma_1']);
    expect(layers.find((l) => l.name === 'fit')!.data.values).toHaveLength(60);
    expect(layers.find((l) => l.name === 'band')!.data.values).toHaveLength(60);
  });

  it('is stable (snapshot)', async () => {
    await expect(`${JSON.stringify(spec, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/toy.scatter.vl.json');
  });

  it('supports probit-spaced axes labelled in percent', () => {
    const probit = scatterSpec(comparison, { title: 't', originalLabel: 'o', newLabel: 'n', axes: 'probit' });
    const fit = (probit.layer as { name: string; encoding: { x: { axis: { values: number[]; labelExpr: string } } } }[]).find((l) => l.name === 'fit')!;
    expect(fit.encoding.x.axis.values.length).toBeGreaterThan(2);
    expect(fit.encoding.x.axis.labelExpr).toContain("'50'");
  });
});

describe('rendered SVG', () => {
  it('is deterministic, rounded, with one titled point per model and the fit line', async () => {
    const spec = scatterSpec(comparison, { title: 'Toy → Toy v2', originalLabel: 'orig', newLabel: 'new', axes: 'linear' });
    const a = await renderSvg(spec, 'toy');
    const b = await renderSvg(spec, 'toy');
    expect(a).toBe(b);
    expect(a.startsWith('<svg')).toBe(true);
    expect(a).not.toMatch(/\d\.\d{3,}/);
    const points = a.match(/<g class="mark-symbol role-mark points_marks"[^>]*>(.*?)<\/g>/)![1]!;
    expect(points.match(/<path /g)).toHaveLength(5);
    expect(points.match(/<title>/g)).toHaveLength(5);
    expect(points).toContain('<title>gamma_1 (yours): original 76.00% [');
    expect(a).toMatch(/<g class="mark-line role-mark fit_marks"[^>]*><path [^>]*d="M[^"]+"/);
    expect(a).not.toMatch(/id="clip\d/); // prefixed
    await expect(a).toMatchFileSnapshot('__snapshots__/toy.scatter.svg');
  });

  it('renders accuracy by selection frequency', async () => {
    const spec = frequencySpec(
      {
        testSet: 'orig',
        source: 'f.npy',
        models: ['a', 'b'],
        bins: [
          { lower: 0, upper: 0.5, images: 10, accuracy: [0.5, 0.6], meanAccuracy: 0.55 },
          { lower: 0.5, upper: 1, images: 90, accuracy: [0.9, 0.95], meanAccuracy: 0.925 },
        ],
      },
      'Accuracy by selection frequency',
    );
    const svg = await renderSvg(spec, 'f');
    expect(svg).toContain('mean_marks');
    expect(svg).toContain('0.5–1.0: mean accuracy 92.50% over 2 models, 90 images');
  });
});

describe('tables', () => {
  it('Markdown, CSV and LaTeX are stable (snapshots)', async () => {
    const md = markdownTable(comparison);
    expect(md).toContain('| gamma_1 | yours | 76.00 [');
    expect(md).toContain('| fv_x † | published |');
    const csv = csvTable(comparison);
    expect(csv.split('\n')[0]).toBe(
      'model,source,in_fit,original_correct,original_n,original_accuracy,original_ci_low,original_ci_high,new_correct,new_n,new_accuracy,new_ci_low,new_ci_high,gap,error_ratio,effective_robustness',
    );
    expect(csv.trim().split('\n')).toHaveLength(6);
    const tex = latexTable(comparison, 'Toy: 95% intervals');
    expect(tex).toContain('gamma\\_1 & yours & 76.00');
    expect(tex).toContain('\\caption{Toy: 95\\% intervals}');
    await expect(md).toMatchFileSnapshot('__snapshots__/toy.md');
    await expect(csv).toMatchFileSnapshot('__snapshots__/toy.csv');
    await expect(tex).toMatchFileSnapshot('__snapshots__/toy.tex');
  });
});

describe('buildReport from the bundled published results alone', () => {
  let dir: string;
  let summary: Awaited<ReturnType<typeof buildReport>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'retest-report-'));
    summary = await buildReport({ out: join(dir, 'report'), store: null, published: true, resamples: 2000, fitExclude: ['fv_*'] });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('covers CIFAR-10 → v4, v6 and ImageNet → each ImageNetV2 set', () => {
    expect(summary.pairs.map((p) => [p.original, p.new, p.models, p.yourModels])).toEqual([
      ['cifar10-test', 'cifar10.1-v4', 30, 0],
      ['cifar10-test', 'cifar10.1-v6', 30, 0],
      ['imagenet-val', 'imagenetv2-matched-frequency', 67, 0],
      ['imagenet-val', 'imagenetv2-threshold0.7', 67, 0],
      ['imagenet-val', 'imagenetv2-top-images', 67, 0],
    ]);
    const mf = summary.pairs[2]!;
    expect(mf.modelsInFit).toBe(64);
    expect(mf.linear!.slope).toBeCloseTo(1.1098, 4);
    expect(summary.pairs[0]!.meanDropPoints!).toBeCloseTo(8.1, 1);
  });

  it('writes the page, tables, specs, plots and analyses', () => {
    for (const f of [
      'index.html',
      'summary.md',
      'tables/imagenet-val__imagenetv2-matched-frequency.tex',
      'specs/cifar10-test__cifar10.1-v4.scatter.vl.json',
      'plots/cifar10-test__cifar10.1-v6.scatter.svg',
      'analysis/imagenet-val__imagenetv2-top-images.json',
    ]) {
      expect(summary.files).toContain(f);
      expect(existsSync(join(dir, 'report', f))).toBe(true);
    }
    const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    // Since the timm cloud panel: the only scripts are inline (the bundled Vega runtime, its starter)
    // and JSON data blocks; nothing is fetched (test/report/cloud.test.ts checks the scripts' hashes).
    expect(html).not.toMatch(/<script[^>]* src=|<link |src="http|href="http/);
    expect(html.match(/<script>/g)).toHaveLength(2);
    expect(html.match(/<section class="pair"/g)).toHaveLength(5);
    expect(html).toContain('Recht, Roelofs, Schmidt, Shankar');
    const analysis = JSON.parse(readFileSync(join(dir, 'report', 'analysis', 'cifar10-test__cifar10.1-v4.json'), 'utf8')) as {
      models: Record<string, unknown>[];
      fits: Record<string, Record<string, unknown>>;
    };
    expect(analysis.models).toHaveLength(30);
    // The analysis file is wire format (snake_case), like retest analyze --json.
    expect(Object.keys(analysis)).toEqual(['original', 'new', 'metric', 'models', 'fits', 'rank_correlation']);
    expect(Object.keys(analysis.models[0]!)).toEqual(['model', 'original', 'new', 'gap', 'effective_robustness']);
    expect(Object.keys(analysis.fits.linear!)).toEqual(['slope', 'intercept', 'slope_ci95', 'intercept_ci95', 'r2']);
  });

  it('is byte-for-byte reproducible', async () => {
    await buildReport({ out: join(dir, 'again'), store: null, published: true, resamples: 2000, fitExclude: ['fv_*'] });
    for (const f of ['index.html', 'specs/imagenet-val__imagenetv2-matched-frequency.scatter.vl.json', 'tables/cifar10-test__cifar10.1-v6.csv']) {
      expect(readFileSync(join(dir, 'again', f), 'utf8')).toBe(readFileSync(join(dir, 'report', f), 'utf8'));
    }
  }, 120_000);
});
