/**
 * The report's cloud panel: your models against a published collection (timm's 1,556 by default)
 * with its own fit and the paper's, your effective robustness under each and your percentile
 * among each collection; an interactive plot whose renderer is inside the page (scripts allowed
 * only by their sha256), plus the static SVG. Numbers are checked against fits worked out here.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTestSets, pairModels, percentileRank } from '../../src/analyze/index.ts';
import type { CountRecord } from '../../src/analyze/index.ts';
import { loadPublishedTables, readAccuracyTable, writeAccuracyTables } from '../../src/import/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { buildReport, cloudAnalysisJson, cloudCollections, cloudPanel, cloudSpec, interactiveCloudSpec } from '../../src/report/index.ts';

const rec = (model: string, source: CountRecord['source'], collection: string | undefined, o: number, n: number): CountRecord[] => [
  { model, testSet: 'orig', n: 1000, top1Correct: o, top5Correct: null, source, ...(collection ? { collection } : {}) },
  { model, testSet: 'new', n: 1000, top1Correct: n, top5Correct: null, source, ...(collection ? { collection } : {}) },
];
const records: CountRecord[] = [
  ...rec('t1', 'published', 'timm', 600, 500),
  ...rec('t2', 'published', 'timm', 700, 610),
  ...rec('t3', 'published', 'timm', 800, 720),
  ...rec('t4', 'published', 'timm', 650, 540),
  ...rec('t5', 'published', 'timm', 750, 670),
  ...rec('r1', 'published', 'recht2019', 550, 440),
  ...rec('r2', 'published', 'recht2019', 720, 600),
  ...rec('r3', 'published', 'recht2019', 810, 700),
  ...rec('fv_a', 'published', 'recht2019', 300, 200),
  ...rec('mine', 'store', undefined, 760, 690),
  { model: 'half', testSet: 'orig', n: 1000, top1Correct: 500, top5Correct: null, source: 'table', collection: 'other' },
];

/** Least squares by hand: y = a + b·x. */
function line(points: [number, number][]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n,
    my = points.reduce((s, p) => s + p[1], 0) / n;
  const b = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return { a: my - b * mx, b };
}

describe('cloudPanel', () => {
  const panel = cloudPanel(records, {
    original: 'orig',
    new: 'new',
    metric: 'top1',
    scale: 'linear',
    collection: 'timm',
    keep: () => true,
    outOfFit: (m) => m.startsWith('fv_'),
    resamples: 500,
  })!;
  const timm: [number, number][] = [
    [0.6, 0.5],
    [0.7, 0.61],
    [0.8, 0.72],
    [0.65, 0.54],
    [0.75, 0.67],
  ];
  const paper: [number, number][] = [
    [0.55, 0.44],
    [0.72, 0.6],
    [0.81, 0.7],
  ];

  it("fits the cloud over its own models only, and the paper over the paper's (fv_* out)", () => {
    const t = line(timm),
      r = line(paper);
    expect(panel.cloud.analysis.fits.linear!.slope).toBeCloseTo(t.b, 12);
    expect(panel.cloud.analysis.fits.linear!.intercept).toBeCloseTo(t.a, 12);
    expect(panel.cloud.inFit.filter(Boolean)).toHaveLength(5);
    expect(panel.referenceCollection).toBe('recht2019');
    expect(panel.reference!.analysis.fits.linear!.slope).toBeCloseTo(r.b, 12);
    expect(panel.reference!.analysis.models.map((m) => m.model).sort()).toEqual(['fv_a', 'mine', 'r1', 'r2', 'r3']);
  });

  it('places your model under each fit: effective robustness and percentile among the fitted models', () => {
    const t = line(timm),
      r = line(paper);
    expect(panel.yours).toHaveLength(1);
    const [underTimm, underPaper] = panel.yours[0]!.under;
    const erMine = 0.69 - (t.a + t.b * 0.76);
    expect(underTimm!.effectiveRobustness).toBeCloseTo(erMine, 12);
    const erTimm = timm.map(([x, y]) => y - (t.a + t.b * x));
    const below = erTimm.filter((e) => e < erMine).length;
    expect(underTimm).toMatchObject({ collection: 'timm', fitModels: 5, percentile: (100 * below) / 5 });
    expect(below).toBe(5); // 0.69 at 0.76 is above every timm model's residual
    expect(underPaper!.effectiveRobustness).toBeCloseTo(0.69 - (r.a + r.b * 0.76), 12);
    expect(underPaper).toMatchObject({ collection: 'recht2019', fitModels: 3 });
  });

  it("writes the panel's analysis file in snake_case throughout (collection, reference, the analysis, reference fits, yours)", () => {
    const wire = cloudAnalysisJson(panel);
    expect(Object.keys(wire)).toEqual([
      'collection',
      'reference_collection',
      'original',
      'new',
      'metric',
      'models',
      'fits',
      'rank_correlation',
      'reference_fits',
      'yours',
    ]);
    expect(wire.reference_fits!.linear!.slope).toBe(panel.reference!.analysis.fits.linear!.slope);
    const [mine] = wire.yours;
    expect(Object.keys(mine!)).toEqual(['model', 'original', 'new', 'under']);
    expect(mine!.under.map((u) => Object.keys(u))).toEqual([
      ['collection', 'fit_models', 'effective_robustness', 'percentile'],
      ['collection', 'fit_models', 'effective_robustness', 'percentile'],
    ]);
    expect(mine!.under[0]).toEqual({
      collection: 'timm',
      fit_models: 5,
      effective_robustness: panel.yours[0]!.under[0]!.effectiveRobustness,
      percentile: panel.yours[0]!.under[0]!.percentile,
    });
    expect(JSON.stringify(wire)).not.toMatch(/"[a-z]+[A-Z][A-Za-z]*":/); // no camelCase key anywhere
  });

  it('finds the collections with both sets of a pair (not a table with one side only)', () => {
    expect(cloudCollections(records, { original: 'orig', new: 'new' }, ['recht2019'])).toEqual(['timm']);
    expect(
      cloudPanel(records, { original: 'orig', new: 'new', metric: 'top1', scale: 'linear', collection: 'other', keep: () => true, outOfFit: () => false }),
    ).toBeNull();
  });

  it('percentileRank counts ties half and has no rank among nothing', () => {
    expect(percentileRank([1, 2, 3, 4], 3)).toBe(62.5);
    expect(percentileRank([1, 1], 1)).toBe(50);
    expect(percentileRank([], 1)).toBeUndefined();
  });

  it("draws the cloud, the paper's models, both fits and your model; the browser spec adds zoom and a find box", () => {
    const spec = cloudSpec(panel, { title: 't', originalLabel: 'orig', newLabel: 'new', axes: 'linear' });
    const layers = spec.layer as { name: string; data: { values: { model?: string }[] }; params?: unknown[] }[];
    expect(layers.map((l) => l.name)).toEqual([
      'cloudband',
      'diagonal',
      'cloud',
      'reference',
      'referencefit',
      'cloudfit',
      'yourxerr',
      'youryerr',
      'yours',
      'yourlabels',
    ]);
    const of = (name: string) => layers.find((l) => l.name === name)!.data.values;
    expect(of('cloud').map((p) => p.model)).toEqual(['t1', 't4', 't2', 't5', 't3']);
    expect(of('reference').map((p) => p.model)).toEqual(['fv_a', 'r1', 'r2', 'r3']);
    expect(of('yours').map((p) => p.model)).toEqual(['mine']);
    expect(of('cloudfit')).toHaveLength(60);
    expect(of('referencefit')).toHaveLength(60);
    const browser = interactiveCloudSpec(spec);
    expect((browser.params as { name: string }[]).map((p) => p.name)).toEqual(['find']);
    expect((browser.layer as { name: string; params?: { bind: string }[] }[]).find((l) => l.name === 'cloud')!.params![0]!.bind).toBe('scales');
    expect(spec.params).toBeUndefined(); // the static plot has nothing interactive
  });
});

describe("the default report's timm panel", () => {
  let dir: string;
  let summary: Awaited<ReturnType<typeof buildReport>>;
  let html: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'retest-cloud-'));
    summary = await buildReport({ out: join(dir, 'a'), store: null, published: true, resamples: 500, fitExclude: ['fv_*'] });
    html = readFileSync(join(dir, 'a', 'index.html'), 'utf8');
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const slug = 'imagenet-val__imagenetv2-matched-frequency.cloud-timm';

  it("adds one cloud panel, on ImageNet → MatchedFrequency, fitted over timm's 1,556 models", () => {
    expect(summary.pairs).toHaveLength(5);
    expect(summary.clouds.map((c) => [c.original, c.new, c.collection, c.models, c.yourModels, c.modelsInFit])).toEqual([
      ['imagenet-val', 'imagenetv2-matched-frequency', 'timm', 1556, 0, 1556],
    ]);
    const timm = compareTestSets(pairModels(loadPublishedTables(['timm']), { original: 'imagenet-val', new: 'imagenetv2-matched-frequency', metric: 'top1' }), {
      original: 'imagenet-val',
      new: 'imagenetv2-matched-frequency',
      metric: 'top1',
      resamples: 500,
    });
    expect(summary.clouds[0]!.linear!.slope).toBe(timm.analysis.fits.linear!.slope);
    expect(summary.clouds[0]!.probit!.slope).toBe(timm.analysis.fits.probit!.slope);
    for (const f of [
      `plots/${slug}.svg`,
      `specs/${slug}.vl.json`,
      `specs/${slug}.interactive.vl.json`,
      `tables/${slug}.csv`,
      `tables/${slug}.yours.csv`,
      `analysis/${slug}.json`,
    ])
      expect(summary.files).toContain(f);
    const analysis = JSON.parse(readFileSync(join(dir, 'a', 'analysis', `${slug}.json`), 'utf8')) as {
      collection: string;
      reference_collection: string;
      models: unknown[];
      reference_fits: { linear: { slope: number } };
      yours: unknown[];
    };
    expect([analysis.collection, analysis.reference_collection, analysis.models.length, analysis.yours.length]).toEqual(['timm', 'recht2019', 1556, 0]);
    expect(analysis.reference_fits.linear.slope).toBeCloseTo(1.1098, 4); // the paper's 64 CNNs
  });

  it('carries its renderer inline, allowed by hash: no other script, no request', () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toMatch(/^\/\*! Vega \d+\.\d+\.\d+ /);
    expect(scripts[0]).toContain('Redistribution and use in source and binary forms'); // vega's BSD-3-Clause notice
    const csp = html.match(/Content-Security-Policy" content="([^"]+)"/)![1]!;
    const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
    expect(csp).toBe(`default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${hashes.join(' ')} 'unsafe-eval'`);
    expect(html).not.toMatch(/https?:\/\/[^"'\s]*\.(js|css)\b/);
  });

  it('embeds the compiled Vega spec with one point per timm model, and keeps the static SVG', () => {
    const block = html.match(new RegExp(`<script type="application/json" id="${slug.replace(/\./g, '\\.')}-vega">([\\s\\S]*?)</script>`))![1]!;
    const vega = JSON.parse(block) as { $schema: string; signals: { name: string }[]; data: { name: string; values?: { description?: string }[] }[] };
    expect(vega.$schema).toBe('https://vega.github.io/schema/vega/v6.json');
    expect(vega.signals.map((s) => s.name)).toContain('find');
    const described = vega.data.flatMap((d) => d.values ?? []).filter((v) => v.description?.includes(' (timm'));
    expect(described).toHaveLength(1556);
    const svg = readFileSync(join(dir, 'a', 'plots', `${slug}.svg`), 'utf8');
    const cloud = svg.match(/<g class="mark-symbol role-mark cloud_marks"[^>]*>(.*?)<\/g>/)![1]!;
    expect(cloud.match(/<title>/g)).toHaveLength(1556);
    expect(cloud).toContain('<title>resnet50.a1_in1k@224 (timm): original ');
    const reference = svg.match(/<g class="mark-symbol role-mark reference_marks"[^>]*>(.*?)<\/g>/)![1]!;
    expect(reference.match(/<title>/g)).toHaveLength(67);
    expect(html).toContain(`<figure class="cloud" data-vega="${slug}-vega"><div class="interactive"></div><div class="static"><svg`);
    expect(html).toContain('No models of yours on this pair yet');
  });

  it('is byte-for-byte reproducible, and absent with --published recht2019 (no script at all)', async () => {
    await buildReport({ out: join(dir, 'b'), store: null, published: true, resamples: 500, fitExclude: ['fv_*'] });
    expect(readFileSync(join(dir, 'b', 'index.html'), 'utf8')).toBe(html);
    expect(readFileSync(join(dir, 'b', 'plots', `${slug}.svg`), 'utf8')).toBe(readFileSync(join(dir, 'a', 'plots', `${slug}.svg`), 'utf8'));
    const paperOnly = await buildReport({ out: join(dir, 'c'), store: null, published: ['recht2019'], resamples: 500, fitExclude: ['fv_*'] });
    expect(paperOnly.clouds).toEqual([]);
    const plain = readFileSync(join(dir, 'c', 'index.html'), 'utf8');
    expect(plain).not.toContain('<script');
    expect(plain).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"");
  }, 120_000);

  it('shows timm alone as a cloud-only section with --published timm', async () => {
    const only = await buildReport({ out: join(dir, 'd'), store: null, published: ['timm'], resamples: 200 });
    expect(only.pairs).toEqual([]);
    expect(only.clouds.map((c) => c.models)).toEqual([1556]);
    const page = readFileSync(join(dir, 'd', 'index.html'), 'utf8');
    expect(page.match(/<section class="pair"/g)).toHaveLength(1);
    expect(page).not.toContain('Recht, Roelofs');
    expect(page).toContain('PyTorch Image Models (timm)');
  }, 120_000);
});

describe('an imported accuracy table as its own cloud', () => {
  it("gets a cloud panel of its collection beside the paper's models", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-cloud-table-'));
    try {
      const file = join(dir, 'board.csv');
      writeFileSync(file, 'model,val,v2\nm1,70.0,57.0\nm2,75.0,62.5\nm3,80.0,68.0\nm4,85.0,\n');
      const store = await openResultsStore(join(dir, 'r.db'));
      try {
        await writeAccuracyTables(
          store,
          [readAccuracyTable(file, { key: ['model'], wide: true, map: { val: 'imagenet-val', v2: 'imagenetv2-matched-frequency' } })],
          { collection: 'board' },
        );
        const summary = await buildReport({
          out: join(dir, 'out'),
          store,
          published: ['recht2019'],
          resamples: 200,
          pairs: [{ original: 'imagenet-val', new: 'imagenetv2-matched-frequency' }],
          fitExclude: ['fv_*'],
        });
        expect(summary.pairs.map((p) => p.models)).toEqual([67]); // the main panel: the paper's models only
        expect(summary.clouds.map((c) => [c.collection, c.models, c.modelsInFit])).toEqual([['board', 3, 3]]); // m4 has no v2: left out
        expect(summary.clouds[0]!.linear!.slope).toBeCloseTo(
          line([
            [0.7, 0.57],
            [0.75, 0.625],
            [0.8, 0.68],
          ]).b,
          12,
        );
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
