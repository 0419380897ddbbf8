/** `retest import | analyze | report` through their command-line definitions, in-process. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairModels } from '../../src/analyze/index.ts';
import { RetestError } from '../../src/core/errors.ts';
import { loadPublishedTables } from '../../src/import/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { runCli } from './helpers.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retest-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('retest analyze --published (no store)', () => {
  it('--json prints exactly the specified object', async () => {
    const out = await runCli([
      'analyze',
      '--published',
      '--original',
      'imagenet-val',
      '--new',
      'imagenetv2-matched-frequency',
      '--exclude',
      'fv_*',
      '--resamples',
      '2000',
      '--json',
      '--db',
      join(dir, 'none.db'),
    ]);
    expect(out.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(out) as Record<string, any>;
    expect(Object.keys(json)).toEqual(['original', 'new', 'metric', 'models', 'fits', 'rank_correlation']);
    expect([json.original, json.new, json.metric]).toEqual(['imagenet-val', 'imagenetv2-matched-frequency', 'top1']);
    expect(json.models).toHaveLength(64);
    const resnet50 = json.models.find((m: { model: string }) => m.model === 'resnet50');
    expect(Object.keys(resnet50)).toEqual(['model', 'original', 'new', 'gap', 'effective_robustness']);
    expect(resnet50.original).toMatchObject({ correct: 38065, n: 50000, accuracy: 0.7613 });
    expect(resnet50.new).toMatchObject({ correct: 6333, n: 10000, accuracy: 0.6333 });
    expect(resnet50.original.ci95).toHaveLength(2);
    expect(Object.keys(json.fits)).toEqual(['linear', 'probit', 'logit']);
    expect(Object.keys(json.fits.linear)).toEqual(['slope', 'intercept', 'slope_ci95', 'intercept_ci95', 'r2']);
    expect(json.fits.linear.slope).toBeGreaterThanOrEqual(1.08);
    expect(json.fits.linear.slope).toBeLessThanOrEqual(1.14);
    expect(Object.keys(json.rank_correlation)).toEqual(['spearman', 'kendall']);
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
  });

  it('prints a readable table, the mean drop and the fits', async () => {
    const out = await runCli(['analyze', '--published', '--new', 'cifar10.1-v4', '--resamples', '2000', '--db', join(dir, 'none.db')]);
    expect(out).toContain('cifar10-test → cifar10.1-v4 (top-1): 30 models (0 yours, 30 published)');
    expect(out).toMatch(/mean drop: 8\.1\d points/);
    expect(out).toMatch(/linear\s+slope 1\.6\d\d \[/);
    expect(out).toContain('Kendall τ-b');
  });

  it("--published timm adds timm's 1,556 models, --published recht2019 timm both, named in the source column", async () => {
    const timm = JSON.parse(
      await runCli(['analyze', '--published', 'timm', '--new', 'imagenetv2-matched-frequency', '--resamples', '200', '--json', '--db', join(dir, 'none.db')]),
    ) as { models: unknown[] };
    expect(timm.models).toHaveLength(1556);
    const both = JSON.parse(
      await runCli([
        'analyze',
        '--published',
        'recht2019',
        'timm',
        '--new',
        'imagenetv2-matched-frequency',
        '--resamples',
        '200',
        '--json',
        '--db',
        join(dir, 'none.db'),
      ]),
    ) as { models: unknown[] };
    expect(both.models).toHaveLength(1556 + 67);
    const text = await runCli([
      'analyze',
      '--published',
      'recht2019',
      'timm',
      '--new',
      'imagenetv2-matched-frequency',
      '--include',
      'resnet50',
      'resnet50.tv_in1k@224',
      '--resamples',
      '200',
      '--db',
      join(dir, 'none.db'),
    ]);
    expect(text).toMatch(/^resnet50\s+published\s+76\.13/m);
    expect(text).toMatch(/^resnet50\.tv_in1k@224\s+timm\s+/m);
    await expect(runCli(['analyze', '--published', 'timmy', '--new', 'imagenetv2-matched-frequency', '--db', join(dir, 'none.db')])).rejects.toThrow(
      /no bundled published results named "timmy"/,
    );
  });

  it('refuses an unknown test set with a usage error naming it', async () => {
    await expect(runCli(['analyze', '--published', '--original', 'imagenet-val', '--new', 'imagenetv3', '--db', join(dir, 'none.db')])).rejects.toThrow(
      RetestError,
    );
    await expect(runCli(['analyze', '--published', '--original', 'imagenet-val', '--new', 'imagenetv3', '--db', join(dir, 'none.db')])).rejects.toThrow(
      /no results for test set "imagenetv3"/,
    );
  });
});

describe('retest import csv → report --pair on your own test sets', () => {
  it('imports generic CSVs and reports a pair of custom sets without the published cloud', async () => {
    const db = join(dir, 'toy.db');
    const labels = join(dir, 'toy-labels.csv');
    writeFileSync(labels, `image_id,label\n${Array.from({ length: 20 }, (_, i) => `img${i},${i % 4}`).join('\n')}\n`);
    // model m answers correctly on the first `right` images of each set
    const csv = (model: string, set: string, right: number) => {
      const file = join(dir, `${model}-${set}.csv`);
      writeFileSync(file, `image_id,top1\n${Array.from({ length: 20 }, (_, i) => `img${i},${i < right ? i % 4 : (i + 1) % 4}`).join('\n')}\n`);
      return file;
    };
    for (const [model, o, n] of [
      ['a', 12, 9],
      ['b', 15, 12],
      ['c', 18, 16],
    ] as const) {
      await runCli(['import', 'csv', csv(model, 'orig', o), '--dataset', 'toy-orig', '--model', model, '--labels', labels, '--db', db]);
      await runCli(['import', 'csv', csv(model, 'new', n), '--dataset', 'toy-new', '--model', model, '--labels', labels, '--db', db]);
    }
    const json = JSON.parse(
      await runCli(['report', '--no-published', '--pair', 'toy-orig:toy-new', '--out', join(dir, 'toy-report'), '--resamples', '500', '--db', db, '--json']),
    ) as { pairs: { title: string; models: number; your_models: number; mean_drop_points: number }[] };
    expect(json.pairs).toHaveLength(1);
    expect(json.pairs[0]).toMatchObject({ title: 'toy-orig → toy-new', models: 3, your_models: 3 });
    expect(json.pairs[0]!.mean_drop_points).toBeCloseTo(((3 + 3 + 2) / 3 / 20) * 100, 10);
    await expect(runCli(['report', '--no-published', '--out', join(dir, 'nothing'), '--db', db])).rejects.toThrow(/nothing to report/);
  }, 120_000);

  it("fits every model with --fit-exclude ''", async () => {
    const json = JSON.parse(
      await runCli([
        'report',
        '--pair',
        'imagenet-val:imagenetv2-matched-frequency',
        '--fit-exclude',
        '',
        '--out',
        join(dir, 'all-fit'),
        '--resamples',
        '500',
        '--db',
        join(dir, 'none.db'),
        '--json',
      ]),
    ) as { pairs: { models_in_fit: number; linear: { slope: number } }[] };
    expect(json.pairs[0]!.models_in_fit).toBe(67);
    expect(json.pairs[0]!.linear.slope).toBeCloseTo(0.968, 3);
  }, 120_000);
});

describeWithData('retest import → analyze → report on real predictions', () => {
  const db = () => join(dir, 'real.db');

  it("imports one model of the ImageNetV2 authors' layout and skips it the second time", async () => {
    const args = [
      'import',
      'imagenetv2',
      join(SHARED_DATA, 'imagenetv2-predictions'),
      '--metadata',
      join(SHARED_DATA, 'imagenet'),
      '--include',
      'resnet50',
      '--db',
      db(),
      '--json',
    ];
    const json = JSON.parse(await runCli(args)) as {
      format: string;
      runs: { model: string; dataset: string; top1_correct: number; top5_correct: number; skipped: boolean }[];
    };
    expect(json.format).toBe('imagenetv2-npy');
    expect(json.runs.map((r) => [r.dataset, r.top1_correct, r.top5_correct, r.skipped])).toEqual([
      ['imagenet-val', 38065, 46431, false],
      ['imagenetv2-threshold0.7', 7270, 9200, false],
      ['imagenetv2-matched-frequency', 6333, 8465, false],
      ['imagenetv2-top-images', 7809, 9468, false],
    ]);
    const again = JSON.parse(await runCli(args)) as { runs: { skipped: boolean }[] };
    expect(again.runs.every((r) => r.skipped)).toBe(true);
  }, 120_000);

  it('imports the CIFAR-10.1 layout as text', async () => {
    const out = await runCli([
      'import',
      'cifar10.1',
      join(SHARED_DATA, 'cifar10.1-predictions'),
      '--metadata',
      SHARED_DATA,
      '--include',
      'wrn_28_10',
      'resnet_basic_32',
      '--db',
      db(),
    ]);
    expect(out).toMatch(/imported wrn_28_10\s+cifar10-test\s+top-1 9\d{3}\/10000/);
    expect(out).toContain('6 run(s) imported, 0 already present');
  }, 120_000);

  it('analyzes the store alone, with top-5, selection frequencies and per-class accuracy', async () => {
    const top5 = JSON.parse(
      await runCli(['analyze', '--new', 'imagenetv2-matched-frequency', '--metric', 'top5', '--resamples', '500', '--json', '--db', db()]),
    ) as { models: { model: string; original: { correct: number }; new: { correct: number } }[]; fits: { linear: unknown } };
    expect(top5.models.map((m) => [m.model, m.original.correct, m.new.correct])).toEqual([['resnet50', 46431, 8465]]);
    expect(top5.fits.linear).toBeNull(); // one model: no line
    const freq = JSON.parse(
      await runCli([
        'analyze',
        '--new',
        'cifar10.1-v6',
        '--resamples',
        '500',
        '--json',
        '--db',
        db(),
        '--frequencies',
        join(SHARED_DATA, 'cifar10h', 'cifar10h-counts.npy'),
        '--per-class',
      ]),
    ) as {
      selection_frequency: { test_set: string; models: string[]; bins: { images: number; meanAccuracy: number | null }[] }[];
      per_class: { classes: { class: number; gap: number | null }[] };
    };
    expect(freq.selection_frequency[0]!.test_set).toBe('cifar10-test');
    expect(freq.selection_frequency[0]!.models).toEqual(['resnet_basic_32', 'wrn_28_10']);
    const bins = freq.selection_frequency[0]!.bins;
    expect(bins.reduce((s, b) => s + b.images, 0)).toBe(10000);
    expect(bins[4]!.meanAccuracy!).toBeGreaterThan(bins[2]!.meanAccuracy!);
    expect(freq.per_class.classes).toHaveLength(10);
  }, 120_000);

  it("reports the user's models highlighted against the published cloud", async () => {
    const out = join(dir, 'rep');
    const json = JSON.parse(
      await runCli([
        'report',
        '--out',
        out,
        '--resamples',
        '1000',
        '--db',
        db(),
        '--json',
        '--frequencies',
        `cifar10-test=${join(SHARED_DATA, 'cifar10h', 'cifar10h-counts.npy')}`,
      ]),
    ) as { pairs: { new: string; models: number; your_models: number }[]; files: string[] };
    expect(json.pairs.map((p) => [p.new, p.models, p.your_models])).toEqual([
      ['cifar10.1-v4', 30, 2],
      ['cifar10.1-v6', 30, 2],
      ['imagenetv2-matched-frequency', 67, 1],
      ['imagenetv2-threshold0.7', 67, 1],
      ['imagenetv2-top-images', 67, 1],
    ]);
    expect(json.files).toContain('specs/cifar10-test__cifar10.1-v4.frequency-cifar10-test.vl.json');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<tr class="yours"><td>resnet50</td>');
    expect(html).toContain('resnet50 (yours): original 76.13%');
    expect(html).toContain('<figure class="frequency" data-test-set="cifar10-test">');
  }, 180_000);

  it("places the user's model among timm's 1,556: effective robustness under both fits and its percentile", async () => {
    const out = join(dir, 'rep-cloud');
    const json = JSON.parse(
      await runCli(['report', '--out', out, '--pair', 'imagenet-val:imagenetv2-matched-frequency', '--resamples', '500', '--db', db(), '--json']),
    ) as { clouds: { collection: string; models: number; your_models: number; models_in_fit: number }[] };
    expect(json.clouds).toEqual([expect.objectContaining({ collection: 'timm', models: 1557, your_models: 1, models_in_fit: 1556 })]);
    // The timm fit and every timm model's residual, by hand (linear axes: the report's default).
    const timm = pairModels(loadPublishedTables(['timm']), { original: 'imagenet-val', new: 'imagenetv2-matched-frequency', metric: 'top1' });
    const xs = timm.map((p) => p.original.correct / p.original.n),
      ys = timm.map((p) => p.new.correct / p.new.n);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length,
      my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const a = my - b * mx;
    const er = 0.6333 - (a + b * 0.7613);
    const percentile = (100 * xs.filter((x, i) => ys[i]! - (a + b * x) < er).length) / xs.length;
    const rows = readFileSync(join(out, 'tables', 'imagenet-val__imagenetv2-matched-frequency.cloud-timm.yours.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(rows[0]).toBe('model,original_accuracy,new_accuracy,fit_collection,fit_models,effective_robustness,percentile');
    const [, , , collection, fitModels, effective, pctile] = rows[1]!.split(',');
    expect([rows[1]!.split(',')[0], collection, fitModels]).toEqual(['resnet50', 'timm', '1556']);
    expect(Number(effective)).toBeCloseTo(er, 6);
    expect(Number(pctile)).toBeCloseTo(percentile, 2);
    // The paper's fit: its 64 CNNs less resnet50, which is now yours (your per-image run replaces the published numbers).
    expect(rows[2]!.split(',').slice(0, 5)).toEqual(['resnet50', '0.761300', '0.633300', 'recht2019', '63']);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<tr class="yours"><td>resnet50</td><td>76.13</td><td>63.33</td>');
    expect(html).toMatch(/<th>percentile among timm's 1556<\/th>/);
  }, 180_000);
});
