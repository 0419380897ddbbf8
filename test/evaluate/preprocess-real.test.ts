/**
 * On 100 real ImageNet photos (ICC profiles, upscaled, greyscale, large, EXIF, ordinary), retest's
 * crops equal torchvision + Pillow 11.3's byte for byte (../shared/data/imagenet-photos reference
 * arrays), through `retest preprocess` and through the batch code `retest eval` runs; and eval's
 * logits are onnxruntime's on the preprocess output, so both are one path.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveDataset } from '../../src/datasets/index.ts';
import { evaluate, loadModel, prepareBatches } from '../../src/evaluate/index.ts';
import { createSession } from '../../src/onnx/index.ts';
import { readNpy } from '../../src/formats/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
const ROW = 224 * 224 * 3;

function retest(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describeWithData('torchvision-exact preprocessing on 100 real ImageNet photos', () => {
  const photos = join(SHARED_DATA, 'imagenet-photos');
  const model = join(SHARED_MODELS, 'mobilenet_v2_random_224.onnx');
  const dir = mkdtempSync(join(tmpdir(), 'retest-photos-'));
  let order: string[];
  let category: Record<string, string>;
  const reference: Record<'bilinear' | 'bicubic', Uint8Array> = { bilinear: new Uint8Array(), bicubic: new Uint8Array() };

  beforeAll(() => {
    const meta = JSON.parse(readFileSync(join(photos, 'reference.json'), 'utf8')) as { order: string[]; category: Record<string, string> };
    order = meta.order;
    category = meta.category;
    for (const f of ['bilinear', 'bicubic'] as const) reference[f] = readNpy(join(photos, `reference_${f}_256_224.npy`)).data as Uint8Array;
  });

  /** Rows equal to the reference row of the same photo; the rest named with their category. */
  function compare(crops: Uint8Array, names: string[], filter: 'bilinear' | 'bicubic'): { equal: number; different: string[] } {
    let equal = 0;
    const different: string[] = [];
    names.forEach((name, row) => {
      const r = order.indexOf(name);
      expect(r, name).toBeGreaterThanOrEqual(0);
      const same = Buffer.from(crops.subarray(row * ROW, (row + 1) * ROW)).equals(Buffer.from(reference[filter].subarray(r * ROW, (r + 1) * ROW)));
      if (same) equal++;
      else different.push(`${name} (${category[name]})`);
    });
    return { equal, different };
  }

  for (const filter of ['bilinear', 'bicubic'] as const) {
    it(`\`retest preprocess --format uint8 --interpolation ${filter}\` writes the reference crops, 100/100 byte for byte`, () => {
      const out = join(dir, `crops-${filter}.npy`);
      const r = retest(['preprocess', '--dataset', photos, '--model', model, '--interpolation', filter, '--format', 'uint8', '--out', out, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({ n: 100, out, ids: join(dir, `crops-${filter}.ids.json`), format: 'uint8', shape: [100, 224, 224, 3], failed: [] });
      const ids = (JSON.parse(readFileSync(summary.ids, 'utf8')) as { ids: string[] }).ids;
      expect(ids[0]).toBe(`photos/${order[0]}`);
      const array = readNpy(out);
      expect([array.dtype, array.shape]).toEqual(['|u1', [100, 224, 224, 3]]);
      const result = compare(
        array.data as Uint8Array,
        ids.map((id) => basename(id)),
        filter,
      );
      expect(result.different).toEqual([]);
      expect(result.equal).toBe(100);
    });
  }

  it('the batch code eval runs gives the same crops (bicubic, worker threads, batches of 32)', async () => {
    const dataset = await resolveDataset(photos, { cacheDir: join(dir, 'cache') });
    const { spec, session } = await loadModel(model, { interpolation: 'bicubic' }, 1);
    await session.release();
    const todo = dataset.images.map((_, i) => i);
    const crops = new Uint8Array(100 * ROW);
    for await (const batch of prepareBatches(spec, dataset, todo, { batchSize: 32, decodeConcurrency: 2, failFast: true, tensor: false })) {
      batch.indices.forEach((idx, row) => crops.set(batch.crops.subarray(row * ROW, (row + 1) * ROW), idx * ROW));
    }
    const result = compare(
      crops,
      dataset.files!.map((f) => basename(f)),
      'bicubic',
    );
    expect(result.different).toEqual([]);
  });

  it('libvips (--resampler libvips) is close but not exact: the documented deviation', () => {
    const out = join(dir, 'libvips.npy');
    const r = retest(['preprocess', '--dataset', photos, '--model', model, '--resampler', 'libvips', '--format', 'uint8', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const crops = readNpy(out).data as Uint8Array;
    const ids = (JSON.parse(readFileSync(join(dir, 'libvips.ids.json'), 'utf8')) as { ids: string[] }).ids;
    const result = compare(
      crops,
      ids.map((id) => basename(id)),
      'bilinear',
    );
    expect(result.equal).toBeLessThan(50);
    let sum = 0;
    ids.forEach((id, row) => {
      const ref = order.indexOf(basename(id));
      for (let i = 0; i < ROW; i++) sum += Math.abs(crops[row * ROW + i]! - reference.bilinear[ref * ROW + i]!);
    });
    const meanDiff = sum / (100 * ROW);
    expect(meanDiff).toBeGreaterThan(0.05);
    expect(meanDiff).toBeLessThan(3);
  });

  describe('eval and preprocess are one path', () => {
    // The photos as an ImageNet tree (wnid folders), so the 1,000-class model can be evaluated.
    const tree = join(dir, 'tree');
    beforeAll(() => {
      for (const name of order) {
        const wnid = name.slice(0, 9);
        mkdirSync(join(tree, wnid), { recursive: true });
        symlinkSync(join(photos, 'photos', name), join(tree, wnid, name));
      }
    });

    it("eval's stored logits equal onnxruntime run on `retest preprocess --format float32`", async () => {
      const db = join(dir, 'eval.db');
      const store = await openResultsStore(db);
      try {
        const summary = await evaluate({
          store,
          dataset: await resolveDataset(tree, { cacheDir: join(dir, 'cache') }),
          modelPath: model,
          options: { saveLogits: true },
        });
        expect([summary.n, summary.failed]).toEqual([100, 0]);
      } finally {
        await store.close();
      }
      const handle = new Database(db, { readonly: true });
      const rows = handle.prepare('SELECT idx, logits FROM predictions ORDER BY idx').all() as { idx: number; logits: Buffer }[];
      handle.close();
      expect(rows.length).toBe(100);

      const out = join(dir, 'tensor.npy');
      const r = retest(['preprocess', '--dataset', tree, '--model', model, '--out', out, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ format: 'float32', shape: [100, 3, 224, 224] });
      const tensor = readNpy(out).data as Float32Array;
      // One batch of 100, as eval ran it (batch size 128), on as many threads.
      const session = await createSession(model, { threads: availableParallelism() });
      try {
        const output = (await session.run({ input: { data: tensor, dims: [100, 3, 224, 224] } }, ['logits'])).logits!;
        let mismatches = 0;
        let maxDiff = 0;
        for (const row of rows) {
          const stored = new Float32Array(row.logits.buffer.slice(row.logits.byteOffset, row.logits.byteOffset + row.logits.byteLength));
          expect(stored.length).toBe(1000);
          for (let c = 0; c < 1000; c++) {
            const d = Math.abs(stored[c]! - output.data[row.idx * 1000 + c]!);
            if (d !== 0) mismatches++;
            maxDiff = Math.max(maxDiff, d);
          }
        }
        expect({ mismatches, maxDiff }).toEqual({ mismatches: 0, maxDiff: 0 });
      } finally {
        await session.release();
      }
    });

    it("the float32 tensor is the uint8 crop scaled and normalised with the sidecar's mean and std", () => {
      const tensor = readNpy(join(dir, 'tensor.npy')).data as Float32Array;
      const crops = readNpy(join(dir, 'crops-bilinear.npy')).data as Uint8Array;
      // Row 0 of both is the same photo (the tree and the folder list the photos in the same order).
      const plane = 224 * 224;
      for (const [c, p] of [
        [0, 0],
        [1, 5000],
        [2, 50175],
      ] as const) {
        const mean = [0.485, 0.456, 0.406][c]!;
        const std = [0.229, 0.224, 0.225][c]!;
        expect(tensor[c * plane + p]).toBeCloseTo((crops[p * 3 + c]! / 255 - mean) / std, 5);
      }
    });
  });
});
