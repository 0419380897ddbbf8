/**
 * `retest eval` with several models and test sets: the six CIFAR-10 models × the 1,000 exact test
 * images as a .bin and as PNGs in a class-index tree. One command gives each model's single-run
 * counts; killed with SIGKILL half-way it resumes (finished cells answer from the store, the others
 * continue) to exactly the predictions of a clean run; `retest runs` lists the provenance.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/index.ts';
import { resolveDataset } from '../../src/datasets/index.ts';
import { evaluate } from '../../src/evaluate/index.ts';
import { readCifarBin } from '../../src/formats/index.ts';
import { encodePng } from '../../src/formats/image-io.ts';
import { openResultsStore } from '../helpers/results.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
const env = { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') };

function retest(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every prediction of the store, by (model, test set) and position. */
function allPredictions(db: string): string[] {
  const handle = new Database(db, { readonly: true });
  const rows = handle
    .prepare(`SELECT m.name AS model, d.name AS dataset, p.idx, i.image_id AS "imageId", p.topk, p.scores, p.error FROM predictions p JOIN runs r ON r.id = p.run_id
      JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id JOIN images i ON i.dataset_id = d.id AND i.idx = p.idx ORDER BY m.name, d.name, p.idx`)
    .all() as Record<string, unknown>[];
  handle.close();
  return rows.map((r) => JSON.stringify(r));
}

function countPredictions(db: string): number {
  try {
    const handle = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (handle.prepare('SELECT count(*) AS n FROM predictions').get() as { n: number }).n;
    } finally {
      handle.close();
    }
  } catch {
    return 0; // not created (or not migrated) yet
  }
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);

describeWithData('a matrix of the six CIFAR-10 models × the .bin and its PNGs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-matrix-'));
  const bin = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
  const tree = join(dir, 'test_png');
  const models = readdirSync(join(SHARED_MODELS, 'cifar10'))
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => join(SHARED_MODELS, 'cifar10', f));
  const names = models.map((m) => m.split('/').pop()!.replace('.onnx', ''));
  const single = new Map<string, { top1: number; top5: number | null }>();
  const args = (db: string) => [
    'eval',
    '--model',
    join(SHARED_MODELS, 'cifar10', '*.onnx'),
    '--dataset',
    bin,
    tree,
    '--db',
    db,
    '--batch-size',
    '50',
    '--threads',
    '1',
    '--decode-concurrency',
    '2',
    '--json',
  ];

  beforeAll(async () => {
    // The same 1,000 images as PNGs in folders named by class index (written with sharp).
    const arrays = readCifarBin(bin);
    for (let c = 0; c < 10; c++) mkdirSync(join(tree, String(c)), { recursive: true });
    for (let i = 0; i < arrays.count; i++) {
      writeFileSync(
        join(tree, String(arrays.labels[i]), `test_${String(i).padStart(4, '0')}.png`),
        await encodePng({ data: arrays.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 }),
      );
    }
    // Each model alone (one run each, in-process) on the .bin: the counts the matrix must give on both sets.
    const dataset = await resolveDataset(bin, { dataDir: undefined, cacheDir: dir });
    for (const [i, model] of models.entries()) {
      const store = await openResultsStore(join(dir, `single-${i}.db`));
      const s = await evaluate({ store, dataset, modelPath: model, options: { batchSize: 200, threads: 1 } });
      await store.close();
      single.set(names[i]!, { top1: s.top1.correct, top5: s.top5?.correct ?? null });
    }
  }, 240_000);

  it("one command: 12 cells, each with its model's single-run counts; the PNG cells equal the .bin cells", () => {
    expect([...single.entries()].map(([name, c]) => `${name} ${c.top1}`)).toEqual([
      'akamaster_resnet20 915',
      'akamaster_resnet32 928',
      'akamaster_resnet44 933',
      'akamaster_resnet56 926',
      'convnetjs_cifar10_demo 756',
      'mlperf_tiny_resnet8 881',
    ]);
    const db = join(dir, 'clean.db');
    const r = retest(args(db));
    expect(r.stderr).not.toMatch(/bug/);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(13);
    const cells = out.slice(0, 12);
    const summary = out[12]!;
    expect(summary).toMatchObject({
      summary: true,
      cells: 12,
      models: 6,
      datasets: 2,
      from_store: 0,
      evaluated: 12,
      predictions: 12_000,
      provider: 'cpu',
      batch_size: 50,
    });
    for (const cell of cells) {
      const expected = single.get(cell.model)!;
      expect({
        model: cell.model,
        n: cell.n,
        failed: cell.failed,
        top1: cell.top1.correct,
        top5: cell.top5.correct,
        provider: cell.provider,
        from_store: cell.from_store,
      }).toEqual({ model: cell.model, n: 1000, failed: 0, top1: expected.top1, top5: expected.top5, provider: 'cpu', from_store: false });
    }
    expect(new Set(cells.map((c) => c.dataset))).toEqual(new Set(['test_batch_first1000', 'test_png']));
    // Same pixels, same predictions: the PNG cells' rows equal the .bin cells' rows, model by model.
    // (The tree lists images by class folder, so positions differ: rows are matched by image, test_0042.png ↔ record 42.)
    type Row = { model: string; dataset: string; imageId: string; topk: string; scores: string };
    const rows = allPredictions(db).map((r) => JSON.parse(r) as Row);
    const key = (r: Row) => `${r.model} ${Number(r.imageId.replace('test_', ''))} ${r.topk} ${r.scores}`;
    const png = rows
      .filter((r) => r.dataset === 'test_png')
      .map(key)
      .sort();
    expect(png).toHaveLength(6000);
    expect(png).toEqual(
      rows
        .filter((r) => r.dataset === 'test_batch_first1000')
        .map(key)
        .sort(),
    );

    // Provenance of every run: model hash, preprocessing, provider, retest version, content identity.
    const runs = JSON.parse(retest(['runs', '--db', db, '--json']).stdout).runs as Record<string, any>[];
    expect(runs).toHaveLength(12);
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const run of runs) {
      const file = models[names.indexOf(run.model)]!;
      expect(run).toMatchObject({ status: 'done', predicted: 1000, providers: ['cpu'], retestVersions: [version], modelPath: file, datasetVersion: 1 });
      expect(run.modelSha256).toBe(sha256Hex(readFileSync(file)));
      expect(run.datasetContentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(run.preprocessing).toMatchObject({ size: [32, 32], interpolation: 'bilinear', resampler: 'pillow' });
    }
    expect(new Set(runs.map((r) => r.datasetContentHash)).size).toBe(2);
    const text = retest(['runs', '--db', db, '--model', 'akamaster_resnet56']).stdout;
    expect(text.match(/^run \d+/gm)).toHaveLength(2);
    expect(text).toContain('provider      cpu');
  }, 300_000);

  it('killed with SIGKILL mid-matrix, the rerun answers finished cells from the store and resumes the rest to the clean predictions', async () => {
    const db = join(dir, 'killed.db');
    const child = spawn(process.execPath, [BIN, ...args(db)], { stdio: 'ignore', env });
    // The .bin group (6 cells) finishes at 6,000 predictions; kill during the PNG group.
    let written = 0;
    for (let i = 0; i < 3000 && written < 6_000 + 900; i++) {
      await new Promise((r) => setTimeout(r, 40));
      written = countPredictions(db);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = countPredictions(db);
    expect(partial).toBeGreaterThan(6_000);
    expect(partial).toBeLessThan(12_000);

    const resumed = retest(args(db));
    expect(resumed.code).toBe(0);
    const out = lines(resumed.stdout);
    const cells = out.slice(0, 12);
    const fromStore = cells.filter((c) => c.from_store);
    // Every .bin cell had finished; at least one PNG cell had not.
    expect(fromStore.filter((c) => c.dataset === 'test_batch_first1000')).toHaveLength(6);
    expect(cells.filter((c) => !c.from_store).length).toBeGreaterThan(0);
    expect(out[12]).toMatchObject({ summary: true, cells: 12, from_store: fromStore.length, predictions: 12_000 - partial });
    for (const cell of cells) expect(cell.top1.correct).toBe(single.get(cell.model)!.top1);
    expect(allPredictions(db)).toEqual(allPredictions(join(dir, 'clean.db')));

    // Everything finished: the whole matrix answers from the store.
    const again = lines(retest(args(db)).stdout);
    expect(again.slice(0, 12).every((c) => c.from_store)).toBe(true);
    expect(again[12]).toMatchObject({ from_store: 12, evaluated: 0, predictions: 0 });
  }, 300_000);

  it('refuses a glob that matches nothing, two models of one name, and --threads with a GPU', () => {
    const none = retest(['eval', '--model', join(dir, 'nothing', '*.onnx'), '--dataset', bin, '--db', join(dir, 'x.db')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('matches no file');
    const threads = retest(['eval', '--model', models[0]!, '--dataset', bin, '--device', 'cuda', '--threads', '2', '--db', join(dir, 'x.db')]);
    expect(threads.code).toBe(2);
    expect(threads.stderr).toContain('--threads applies to the CPU provider only');
    mkdirSync(join(dir, 'copy'), { recursive: true });
    copyFileSync(models[0]!, join(dir, 'copy', 'akamaster_resnet20.onnx'));
    const twice = retest(['eval', '--model', models[0]!, join(dir, 'copy', 'akamaster_resnet20.onnx'), '--dataset', bin, '--db', join(dir, 'x.db')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('two models of the matrix are named "akamaster_resnet20"');
    // This machine's onnxruntime-node has no CUDA library (.npmrc skips it): an error with the install command, not a CPU run.
    const cuda = retest(['eval', '--model', models[0]!, '--dataset', bin, '--device', 'cuda', '--db', join(dir, 'cuda.db')]);
    if (cuda.code !== 0) {
      expect(cuda.code).toBe(2);
      expect(cuda.stderr).toContain('has no cuda execution provider');
      expect(cuda.stderr).toContain('--onnxruntime-node-install=cuda12');
      expect(countPredictions(join(dir, 'cuda.db'))).toBe(0);
    }
    const device = retest(['eval', '--model', models[0]!, '--dataset', bin, '--device', 'tpu', '--db', join(dir, 'x.db')]);
    expect(device.code).toBe(2);
    expect(device.stderr).toContain('unknown device "tpu"');
  });
});
