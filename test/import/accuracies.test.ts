/**
 * `retest import accuracies`: published per-model accuracy tables. timm's two real files (bundled
 * in data/published/timm, byte-identical to ../shared's) import as 1,556 models keyed by
 * model@img_size, and the ImageNet → MatchedFrequency fit over them equals a least-squares fit
 * computed here, from the file, by hand. A wide table with empty cells leaves those models out of
 * the pairs that lack them. Bad tables give errors naming file, line and column.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccuracyCell, readAccuracyTable, timmFiles } from '../../src/import/index.ts';
import { countRows, openResultsStore, queryRow } from '../helpers/results.ts';
import { catchError, rejection } from '../helpers/errors.ts';
import { runCli } from '../report/helpers.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'retest-accuracies-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** model@img_size → top-1 percent, read with nothing but split(','): the first three columns are never quoted. */
function top1ByHand(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]!.split(',').slice(0, 3)).toEqual(['model', 'img_size', 'top1']);
  for (const line of lines.slice(1)) {
    const [model, size, top1] = line.split(',');
    out.set(`${model}@${size}`, Number(top1));
  }
  return out;
}

describe("timm's results tables", () => {
  const db = () => join(dir, 'timm.db');
  const files = timmFiles();

  it('are the published files, unchanged', () => {
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(sha(files.imagenet)).toBe('30972bf7c7ab451bbd4480ec6116b13d0a84441c57bbc946896fd312264acfcd');
    expect(sha(files.matchedFrequency)).toBe('1d066d8897c40224b14f3cf1d02029c49ebdc56b761ba9a3841bd3bdd3bd0a8e');
  });

  it('import as 1,556 models by model + img_size, percent detected, n from the known sizes', async () => {
    const a = JSON.parse(
      await runCli([
        'import',
        'accuracies',
        files.imagenet,
        '--key',
        'model,img_size',
        '--test-set',
        'imagenet-val',
        '--value',
        'top1',
        '--top5',
        'top5',
        '--collection',
        'timm',
        '--db',
        db(),
        '--json',
      ]),
    ) as Record<string, any>;
    expect(a).toMatchObject({
      format: 'accuracies',
      collection: 'timm',
      kind: 'published accuracy',
      models: 1556,
      imported: 1556,
      skipped: 0,
      test_sets: { 'imagenet-val': 1556 },
    });
    expect(a.columns).toEqual([
      {
        column: 'top1',
        test_set: 'imagenet-val',
        metric: 'top1',
        units: 'percent',
        units_reason: 'value above 1',
        n: 50000,
        n_source: 'known',
        measured: 1556,
        empty: 0,
        range: [a.columns[0].range[0], 90.056],
      },
      {
        column: 'top5',
        test_set: 'imagenet-val',
        metric: 'top5',
        units: 'percent',
        units_reason: 'value above 1',
        n: 50000,
        n_source: 'known',
        measured: 1556,
        empty: 0,
        range: [a.columns[1].range[0], a.columns[1].range[1]],
      },
    ]);
    const b = JSON.parse(
      await runCli([
        'import',
        'accuracies',
        files.matchedFrequency,
        '--key',
        'model,img_size',
        '--test-set',
        'imagenetv2-matched-frequency',
        '--value',
        'top1',
        '--top5',
        'top5',
        '--collection',
        'timm',
        '--db',
        db(),
        '--json',
      ]),
    ) as Record<string, any>;
    expect(b).toMatchObject({ models: 1556, imported: 1556, test_sets: { 'imagenetv2-matched-frequency': 1556 } });
    expect(b.columns[0]).toMatchObject({ n: 10000, n_source: 'known', units: 'percent' });
    // Only 1,266 distinct names: the key needs img_size.
    expect(new Set([...top1ByHand(files.imagenet).keys()].map((k) => k.split('@')[0])).size).toBe(1266);
    // A second import is skipped, not doubled.
    const again = JSON.parse(
      await runCli([
        'import',
        'accuracies',
        files.matchedFrequency,
        '--key',
        'model,img_size',
        '--test-set',
        'imagenetv2-matched-frequency',
        '--value',
        'top1',
        '--collection',
        'timm',
        '--db',
        db(),
        '--json',
      ]),
    ) as Record<string, any>;
    expect([again.imported, again.skipped]).toEqual([0, 1556]);
  }, 60_000);

  it('are stored as "published accuracy" with counts round(accuracy × n), and no per-image run', async () => {
    const row = await queryRow(
      db(),
      "SELECT n, top1_correct AS c, top5_correct AS c5, top1_accuracy AS a, kind, units, source_line AS line FROM published_accuracies WHERE model = 'eva02_large_patch14_448.mim_m38m_ft_in22k_in1k@448' AND test_set = 'imagenet-val'",
    );
    // 90.056 % of 50,000 = 45,028; 99.054 % = 49,527
    expect(row).toEqual({ n: 50000, c: 45028, c5: 49527, a: 0.90056, kind: 'published accuracy', units: 'percent', line: 2 });
    expect(await countRows(db(), 'published_accuracies')).toBe(2 * 1556);
    const store = await openResultsStore(db());
    try {
      expect(await store.listScores()).toEqual([]); // nothing per image is claimed
      expect(await store.listDatasets()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('analyze fits ImageNet → MatchedFrequency over the 1,556 exactly as a fit computed from the files', async () => {
    const json = JSON.parse(
      await runCli(['analyze', '--original', 'imagenet-val', '--new', 'imagenetv2-matched-frequency', '--resamples', '200', '--json', '--db', db()]),
    ) as {
      models: { model: string; original: { correct: number; n: number }; new: { correct: number } }[];
      fits: { linear: { slope: number; intercept: number; r2: number } };
    };
    expect(json.models).toHaveLength(1556);
    const val = top1ByHand(files.imagenet),
      v2 = top1ByHand(files.matchedFrequency);
    expect([...val.keys()].sort()).toEqual([...v2.keys()].sort());
    let sx = 0,
      sy = 0,
      sxx = 0,
      sxy = 0,
      syy = 0,
      n = 0;
    for (const [model, top1] of val) {
      const x = Math.round((top1 * 50000) / 100) / 50000;
      const y = Math.round((v2.get(model)! * 10000) / 100) / 10000;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      syy += y * y;
      n++;
    }
    const vxx = sxx - (sx * sx) / n,
      vxy = sxy - (sx * sy) / n,
      vyy = syy - (sy * sy) / n;
    const slope = vxy / vxx;
    expect(n).toBe(1556);
    expect(json.fits.linear.slope).toBeCloseTo(slope, 9);
    expect(json.fits.linear.intercept).toBeCloseTo(sy / n - slope * (sx / n), 9);
    expect(json.fits.linear.r2).toBeCloseTo((vxy * vxy) / (vxx * vyy), 9);
    expect(json.fits.linear.slope).toBeGreaterThan(1.1); // timm's cloud: steeper than 1, as the paper found
    const resnet = json.models.find((m) => m.model === 'resnet50.a1_in1k@224')!;
    expect([resnet.original.correct, resnet.new.correct]).toEqual([
      Math.round(val.get('resnet50.a1_in1k@224')! * 500),
      Math.round(v2.get('resnet50.a1_in1k@224')! * 100),
    ]);
    const text = await runCli(['analyze', '--new', 'imagenetv2-matched-frequency', '--resamples', '200', '--db', db(), '--include', 'resnet50.*']);
    expect(text).toMatch(/models \(0 yours, \d+ from imported accuracy tables, 0 published\)/);
    expect(text).toMatch(/resnet50\.a1_in1k@224\s+timm\s+/);
  }, 60_000);

  it('claim no per-image metric: --per-class finds no per-image model', async () => {
    const json = JSON.parse(
      await runCli([
        'analyze',
        '--new',
        'imagenetv2-matched-frequency',
        '--resamples',
        '100',
        '--per-class',
        '--json',
        '--db',
        db(),
        '--include',
        'resnet50.a1_in1k@224',
      ]),
    ) as { models: unknown[]; per_class: { models: string[]; classes: unknown[] } };
    expect(json.models).toHaveLength(1);
    expect(json.per_class).toEqual({ models: [], classes: [] });
  });

  it('with --key model alone, refuse the table: names repeat', () => {
    const e = catchError(() => readAccuracyTable(files.imagenet, { key: ['model'], testSet: 'imagenet-val', value: 'top1' }));
    expect(e.message).toMatch(/^model ".+" appears twice$/);
    expect(e.record).toMatch(/^line \d+$/);
    expect(e.hint).toContain('--key model,img_size');
  });
});

describe('a wide table with empty cells', () => {
  const table = () => {
    const file = join(dir, 'wide.csv');
    writeFileSync(
      file,
      [
        'model,val,v2,a44,params,notes',
        'alpha,76.13,63.33,,25.6,first',
        'beta,80.00,,77.00,11.7,',
        'gamma,70.5%,58.10,68.20,5.0,x',
        'delta,-,50.00,60.00,1.0,y',
        'eps,65.00,52.00,62.50,2.0,z',
      ].join('\n'),
    );
    return file;
  };

  it('reads each numeric column as a test set, percent per column, empty cells as not measured', () => {
    const t = readAccuracyTable(table(), {
      key: ['model'],
      wide: true,
      map: { val: 'imagenet-val', v2: 'imagenetv2-matched-frequency', a44: 'imagenetv2-threshold0.7' },
      skip: ['params'],
    });
    expect(t.models).toEqual(['alpha', 'beta', 'gamma', 'delta', 'eps']);
    expect(t.columns.map((c) => [c.column, c.testSet, c.units, c.unitsReason, c.n, c.measured, c.empty])).toEqual([
      ['val', 'imagenet-val', 'percent', 'percent sign', 50000, 4, 1],
      ['v2', 'imagenetv2-matched-frequency', 'percent', 'value above 1', 10000, 4, 1],
      ['a44', 'imagenetv2-threshold0.7', 'percent', 'value above 1', 10000, 4, 1],
    ]);
    expect(t.ignored).toEqual([
      { column: 'params', reason: 'skipped (--skip)' },
      { column: 'notes', reason: 'not numeric (line 2: "first")' },
    ]);
    const byKey = new Map(t.entries.map((e) => [`${e.model}|${e.testSet}`, e]));
    expect(byKey.get('alpha|imagenet-val')).toMatchObject({ top1Correct: 38065, top1Accuracy: 0.7613, top5Correct: null, line: 2, column: 'val' });
    expect(byKey.get('gamma|imagenet-val')).toMatchObject({ top1Correct: 35250 });
    expect(byKey.has('alpha|imagenetv2-threshold0.7')).toBe(false); // empty, not 0
    expect(byKey.has('delta|imagenet-val')).toBe(false); // '-'
    expect(t.entries).toHaveLength(12);
  });

  it('imports, and leaves models out of exactly the pairs that lack them', async () => {
    const db = join(dir, 'wide.db');
    const out = await runCli([
      'import',
      'accuracies',
      table(),
      '--key',
      'model',
      '--wide',
      '--map',
      'val=imagenet-val',
      '--map',
      'v2=imagenetv2-matched-frequency',
      '--map',
      'a44=imagenetv2-threshold0.7',
      '--skip',
      'params',
      '--db',
      db,
    ]);
    expect(out).toContain(
      'column "val" → imagenet-val top-1: percent (percent sign; values 65…80), n = 50,000 (known size), 4 measured, 1 empty (not measured)',
    );
    expect(out).toContain('column "notes" not read: not numeric');
    expect(out).toContain(
      '12 published accuracies imported (4 on imagenet-val, 4 on imagenetv2-matched-frequency, 4 on imagenetv2-threshold0.7), 0 already present, as collection "imported"',
    );
    const pairOf = async (newSet: string) =>
      (JSON.parse(await runCli(['analyze', '--new', newSet, '--resamples', '100', '--json', '--db', db])) as { models: { model: string }[] }).models
        .map((m) => m.model)
        .sort();
    expect(await pairOf('imagenetv2-matched-frequency')).toEqual(['alpha', 'eps', 'gamma']); // beta: no v2; delta: no val
    expect(await pairOf('imagenetv2-threshold0.7')).toEqual(['beta', 'eps', 'gamma']); // alpha: no a44
  });

  it('detects a fraction column beside percent ones, and takes --n for an unknown set', () => {
    const file = join(dir, 'mixed.csv');
    writeFileSync(file, 'name,size,imagenet-val,my-v2\nm1,224,0.7613,61.0\nm2,224,0.80,64.5\n');
    const t = readAccuracyTable(file, { key: ['name', 'size'], wide: true, n: { 'my-v2': 2000 } });
    expect(t.columns.map((c) => [c.testSet, c.units, c.unitsReason, c.n, c.nSource])).toEqual([
      ['imagenet-val', 'fraction', 'all values ≤ 1', 50000, 'known'],
      ['my-v2', 'percent', 'value above 1', 2000, 'given'],
    ]);
    expect(t.entries.map((e) => [e.model, e.testSet, e.top1Correct])).toEqual([
      ['m1@224', 'imagenet-val', 38065],
      ['m1@224', 'my-v2', 1220],
      ['m2@224', 'imagenet-val', 40000],
      ['m2@224', 'my-v2', 1290],
    ]);
    const forced = readAccuracyTable(file, { key: ['name'], wide: true, skip: ['size', 'my-v2'], units: 'percent' });
    expect(forced.entries.map((e) => e.top1Correct)).toEqual([381, 400]); // 0.7613 % of 50,000
  });
});

describe('bad accuracy tables', () => {
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('name the line and column of a bad value', () => {
    const e1 = catchError(() =>
      readAccuracyTable(write('nan.csv', 'model,top1\na,76.1\nb,seventy\n'), { key: ['model'], testSet: 'imagenet-val', value: 'top1' }),
    );
    expect([e1.message, e1.record, e1.field, e1.received]).toEqual(['not a number', 'line 3', 'top1', '"seventy"']);
    const e2 = catchError(() =>
      readAccuracyTable(write('range.csv', 'model,top1\na,76.1\nb,101\n'), { key: ['model'], testSet: 'imagenet-val', value: 'top1' }),
    );
    expect([e2.message, e2.record, e2.field, e2.received]).toEqual(['an accuracy outside [0, 100]', 'line 3', 'top1', '101']);
    const e3 = catchError(() => readAccuracyTable(write('neg.csv', 'model,top1\na,0.5\nb,-0.1\n'), { key: ['model'], testSet: 'imagenet-val', value: 'top1' }));
    expect([e3.message, e3.record]).toEqual(['an accuracy outside [0, 1]', 'line 3']);
    const e4 = catchError(() =>
      readAccuracyTable(write('wide-range.csv', 'model,imagenet-val,param_count\na,76.1,25557.03\n'), { key: ['model'], wide: true }),
    );
    expect(e4.field).toBe('param_count');
    expect(e4.hint).toContain('--skip param_count');
  });

  it('refuse missing columns, an unknown set size, an empty key and a bad option mix', async () => {
    const file = write('ok.csv', 'model,top1\na,76.1\n,70\n');
    const missing = catchError(() => readAccuracyTable(file, { key: ['model'], testSet: 'imagenet-val', value: 'acc' }));
    expect([missing.kind, missing.field, missing.expected]).toEqual(['usage', '--value', 'one of model, top1']);
    const size = catchError(() => readAccuracyTable(file, { key: ['model'], testSet: 'imagenet-sketch', value: 'top1' }));
    expect([size.kind, size.field]).toEqual(['usage', '--n']);
    expect(size.message).toBe('the number of images of test set "imagenet-sketch" is not known');
    const key = catchError(() => readAccuracyTable(file, { key: ['model'], testSet: 'imagenet-val', value: 'top1' }));
    expect([key.message, key.record]).toEqual(['empty model key', 'line 3']);
    const both = catchError(() => readAccuracyTable(file, { key: ['model'], wide: true, testSet: 'x', value: 'top1' }));
    expect(both.kind).toBe('usage');
    const e = await rejection(runCli(['import', 'accuracies', file, '--test-set', 'imagenet-val', '--value', 'top1', '--db', join(dir, 'bad.db')]));
    expect(e.field).toBe('--key');
    const n = await rejection(
      runCli(['import', 'accuracies', file, '--key', 'model', '--test-set', 'x', '--value', 'top1', '--n', 'x=ten', '--db', join(dir, 'bad.db')]),
    );
    expect([n.field, n.received]).toEqual(['--n', '"x=ten"']);
  });

  it('leave the store untouched when any value is bad', async () => {
    const db = join(dir, 'atomic.db');
    await expect(
      runCli([
        'import',
        'accuracies',
        write('half.csv', 'model,top1\na,76.1\nb,x\n'),
        '--key',
        'model',
        '--test-set',
        'imagenet-val',
        '--value',
        'top1',
        '--db',
        db,
      ]),
    ).rejects.toThrow(/not a number/);
    await (await openResultsStore(db)).close();
    const t = await queryRow(db, "SELECT name FROM sqlite_master WHERE name = 'published_accuracies'");
    expect(t === undefined || (await countRows(db, 'published_accuracies')) === 0).toBe(true);
  });
});

describe('parseAccuracyCell', () => {
  it('reads numbers, percent signs and the empty spellings', () => {
    expect(parseAccuracyCell('76.13')).toEqual({ value: 76.13, percentSign: false });
    expect(parseAccuracyCell(' 76.1% ')).toEqual({ value: 76.1, percentSign: true });
    expect(parseAccuracyCell('.5')).toEqual({ value: 0.5, percentSign: false });
    expect(parseAccuracyCell('0')).toEqual({ value: 0, percentSign: false }); // a measured 0 is not empty
    for (const empty of ['', '  ', '-', '—', 'n/a', 'NA', 'NaN', 'null']) expect(parseAccuracyCell(empty)).toBeNull();
    for (const bad of ['0x10', '76,1', '1.2.3', 'Infinity', '7 6']) expect(parseAccuracyCell(bad)).toBe('not a number');
  });
});
