/**
 * A test set's identity covers its content: the same name with other pixels (a CIFAR `.bin`, an
 * NPY pair) or a changed or added image file is a new version, evaluated again — never answered
 * from the old file's results, never mixed with them; a run interrupted on the old content is not
 * resumed on the new one.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetContentHash, FILE_HASHES_DB, FileHashCache, loadPath, openFileHashCache } from '../../src/datasets/index.ts';
import { evaluateRun } from '../../src/evaluate/index.ts';
import { readCifarBin, writeCifar101, writeCifarBin, type CifarArrays } from '../../src/formats/index.ts';
import { encodePng } from '../../src/formats/image-io.ts';
import { countRows, openResultsStore } from '../helpers/results.ts';
import { rejection } from '../helpers/errors.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
const COUNT = 200;

function retest(args: string[], cache: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: cache } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same images with every pixel inverted: same ids and labels, other content. */
function inverted(arrays: CifarArrays): CifarArrays {
  return { ...arrays, pixels: arrays.pixels.map((v) => 255 - v) };
}

describe('datasetContentHash and the file-hash cache', () => {
  it('changes with one pixel, one file byte, or one added file; a file is read once per size and mtime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-identity-unit-'));
    const cache = new FileHashCache(join(dir, 'hashes.db'));
    const images = [
      { imageId: '0', label: 1 },
      { imageId: '1', label: 2 },
    ];
    const pixels = new Uint8Array(2 * 4 * 4 * 3).fill(7);
    const a = await datasetContentHash({ images, pixels: { height: 4, width: 4, data: pixels }, files: null }, cache);
    const changed = pixels.slice();
    changed[5] = 8;
    expect(await datasetContentHash({ images, pixels: { height: 4, width: 4, data: changed }, files: null }, cache)).not.toBe(a);
    expect(await datasetContentHash({ images, pixels: { height: 4, width: 4, data: pixels.slice() }, files: null }, cache)).toBe(a);

    const f1 = join(dir, 'x.png');
    const f2 = join(dir, 'y.png');
    writeFileSync(f1, 'first image bytes');
    writeFileSync(f2, 'second image bytes');
    const folder = (files: string[]) => ({ images: files.map((_, i) => ({ imageId: String(i), label: 0 })), pixels: null, files });
    const mtime = new Date('2026-01-01T00:00:00Z'); // whole seconds: utimes restores it exactly
    const atime = mtime;
    utimesSync(f1, atime, mtime);
    const h = await datasetContentHash(folder([f1, f2]), cache);
    // Same size and mtime: the cached hash is used (the file is not read again).
    writeFileSync(f1, 'FIRST image bytes');
    utimesSync(f1, atime, mtime);
    expect(await datasetContentHash(folder([f1, f2]), cache)).toBe(h);
    // A new mtime: read again, and the change is seen.
    utimesSync(f1, atime, new Date(mtime.getTime() + 5000));
    const h2 = await datasetContentHash(folder([f1, f2]), cache);
    expect(h2).not.toBe(h);
    // The cache survives the process (another FileHashCache on the same file).
    await cache.close();
    const again = new FileHashCache(join(dir, 'hashes.db'));
    expect(await datasetContentHash(folder([f1, f2]), again)).toBe(h2);
    const f3 = join(dir, 'z.png');
    writeFileSync(f3, 'third');
    expect(await datasetContentHash(folder([f1, f2, f3]), again)).not.toBe(h2);
    await again.close();
  });

  it('a cache that cannot be opened says so (warn) and still hashes, uncached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-hash-cache-'));
    const notAFolder = join(dir, 'cache');
    writeFileSync(notAFolder, 'a file where the cache folder should be');
    const warnings: string[] = [];
    const cache = await openFileHashCache(notAFolder, { warn: (message) => warnings.push(message) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(notAFolder, FILE_HASHES_DB));
    expect(warnings[0]).toMatch(/hashed again on each run/);
    const file = join(dir, 'a.png');
    writeFileSync(file, 'first');
    const folder = { images: [{ imageId: '0', label: 0 }], pixels: null, files: [file] };
    expect(await datasetContentHash(folder, cache)).toBe(await datasetContentHash(folder, new FileHashCache(null)));
    await cache.close();
  });
});

describeWithData('a changed test set under the same name is evaluated again', () => {
  const resnet20 = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
  const dir = mkdtempSync(join(tmpdir(), 'retest-identity-'));
  const cache = join(dir, 'cache');
  let original: CifarArrays;
  beforeAll(() => {
    const all = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    original = { count: COUNT, labels: all.labels.slice(0, COUNT), pixels: all.pixels.slice(0, COUNT * 3072) };
  });
  const evalJson = (dataset: string, db: string, extra: string[] = []) => {
    const r = retest(['eval', '--model', resnet20, '--dataset', dataset, '--db', db, '--json', ...extra], cache);
    expect(r.stderr).not.toMatch(/bug/);
    return { ...r, summary: r.code === 0 ? JSON.parse(r.stdout.trim()) : null };
  };

  it("CIFAR .bin: b/test_batch.bin with other pixels is not answered with a/test_batch.bin's accuracy", async () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeCifarBin(join(dir, 'a', 'test_batch.bin'), original);
    writeCifarBin(join(dir, 'b', 'test_batch.bin'), inverted(original));
    const db = join(dir, 'bin.db');
    const a = evalJson(join(dir, 'a', 'test_batch.bin'), db).summary;
    const fresh = evalJson(join(dir, 'b', 'test_batch.bin'), join(dir, 'fresh.db')).summary;
    expect(fresh.top1.correct).not.toBe(a.top1.correct); // inverted images are another test

    const text = retest(['eval', '--model', resnet20, '--dataset', join(dir, 'b', 'test_batch.bin'), '--db', db], cache);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/answered from the store/);
    expect(text.stdout).toMatch(/content version 2/);
    const b = evalJson(join(dir, 'b', 'test_batch.bin'), db).summary; // now finished: from the store
    expect(b).toMatchObject({ n: COUNT, dataset: 'test_batch', dataset_version: 2, top1: { correct: fresh.top1.correct } });
    expect(a.dataset_version).toBe(1);

    // Never mixed: the store lists one current test_batch, holding only version 2's run.
    const store = await openResultsStore(db);
    expect((await store.listDatasets()).map((d) => [d.name, d.version])).toEqual([['test_batch', 2]]);
    expect((await store.counts(['test_batch'])).map((c) => c.top1Correct)).toEqual([fresh.top1.correct]);
    await store.close();

    // Back to a's content: its version (and its finished run) is current again.
    const back = evalJson(join(dir, 'a', 'test_batch.bin'), db).summary;
    expect(back).toMatchObject({ dataset_version: 1, top1: { correct: a.top1.correct } });
  }, 120_000);

  it('NPY pair: one changed image is a new version', async () => {
    const prefix = join(dir, 'npy', 'mine');
    mkdirSync(join(dir, 'npy'));
    writeCifar101(prefix, original);
    const db = join(dir, 'npy.db');
    const first = evalJson(`${prefix}_data.npy`, db).summary;
    const changed = original.pixels.slice();
    for (let i = 0; i < 3072; i++) changed[i] = 255 - changed[i]!; // image 0 only
    writeCifar101(prefix, { ...original, pixels: changed });
    const second = evalJson(`${prefix}_data.npy`, db).summary;
    expect(second.dataset_version).toBe(2);
    expect(first.dataset_version).toBe(1);
    const fresh = evalJson(`${prefix}_data.npy`, join(dir, 'npy-fresh.db')).summary;
    expect(second.top1.correct).toBe(fresh.top1.correct);
    const runs = { n: await countRows(db, 'runs') };
    expect(runs.n).toBe(2); // evaluated again: a second run, not an answer from the first
  }, 120_000);

  it('image folders: a changed file and an added file are new versions', async () => {
    const tree = join(dir, 'tree');
    for (let c = 0; c < 10; c++) mkdirSync(join(tree, String(c)), { recursive: true });
    for (let i = 0; i < 40; i++) {
      const png = await encodePng({ data: original.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 });
      writeFileSync(join(tree, String(original.labels[i]), `img_${i}.png`), png);
    }
    const db = join(dir, 'tree.db');
    const args = ['--size', '32', '--resize', '32'];
    expect(evalJson(tree, db, args).summary).toMatchObject({ n: 40, dataset_version: 1 });
    // Same name, other bytes: image 0 replaced by image 50.
    writeFileSync(
      join(tree, String(original.labels[0]), 'img_0.png'),
      await encodePng({ data: original.pixels.subarray(50 * 3072, 51 * 3072), width: 32, height: 32 }),
    );
    const changed = evalJson(tree, db, args);
    expect(changed.summary).toMatchObject({ n: 40, dataset_version: 2 });
    // An added file.
    writeFileSync(
      join(tree, String(original.labels[60]), 'img_60.png'),
      await encodePng({ data: original.pixels.subarray(60 * 3072, 61 * 3072), width: 32, height: 32 }),
    );
    expect(evalJson(tree, db, args).summary).toMatchObject({ n: 41, dataset_version: 3 });
    const store = await openResultsStore(db);
    expect((await store.listDatasets()).map((d) => [d.name, d.size, d.version])).toEqual([['tree', 41, 3]]);
    await store.close();
  }, 120_000);

  it('a run interrupted on the old content is not resumed on the new one; --restart discards it', async () => {
    const file = join(dir, 'interrupted', 'set.bin');
    mkdirSync(join(dir, 'interrupted'));
    writeCifarBin(file, original);
    const db = join(dir, 'interrupted.db');
    // Interrupt after the first batch: the progress callback throws once a batch is stored.
    const store = await openResultsStore(db);
    const stop = {
      start() {},
      stop() {},
      tick() {
        throw new Error('interrupted');
      },
    };
    await expect(evaluateRun({ store, dataset: loadPath(file), modelPath: resnet20, options: { batchSize: 50 }, progress: stop })).rejects.toThrow(
      'interrupted',
    );
    expect(await countRows(db, 'predictions')).toBe(50);
    // The file changes, then the same evaluation is asked for.
    writeCifarBin(file, inverted(original));
    const error = await rejection(evaluateRun({ store, dataset: loadPath(file), modelPath: resnet20, options: { batchSize: 50 } }));
    expect(error.message).toMatch(/changed since this model's run on it was interrupted/);
    expect(error.file).toBe(file);
    expect(error.hint).toMatch(/--restart/);
    expect(await countRows(db, 'predictions')).toBe(50); // nothing changed
    await store.close();
    const r = retest(['eval', '--model', resnet20, '--dataset', file, '--db', db], cache);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/changed since/);
    const restarted = evalJson(file, db, ['--restart']).summary;
    const fresh = evalJson(file, join(dir, 'interrupted-fresh.db')).summary;
    expect(restarted.top1.correct).toBe(fresh.top1.correct);
  }, 120_000);
});
