import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { npyArray, writeNpy } from '../../src/formats/index.ts';
import {
  normalizeTopkOrder,
  readFrequencies,
  readGenericPredictions,
  readImagenetV2Predictions,
  topkFromLogits,
  writeImportBatch,
} from '../../src/import/index.ts';
import type { ResultsStore } from '../../src/results/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { rowsFrom, writeImagenetMetadata, writeTopk } from './fixtures.ts';

let dir: string;
let store: ResultsStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retest-generic-'));
  store = await openResultsStore(join(dir, 'r.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('topkFromLogits', () => {
  it('takes the 5 best, best first, ties to the lower class', async () => {
    const { k, topk } = topkFromLogits([0.1, 0.9, 0.3, 0.9, -1, 2, 0.5], 1, 7, 'x', () => 'row 0');
    expect(k).toBe(5);
    expect(Array.from(topk)).toEqual([5, 1, 3, 6, 2]);
    expect(Array.from(topkFromLogits([3, 1, 2], 1, 3, 'x', () => '').topk)).toEqual([0, 2, 1]);
  });
});

describe('normalizeTopkOrder', () => {
  it('detects best-last rows (the published fv_16k files) and reverses them', async () => {
    const labels = Int32Array.from([0, 1, 2, 3]);
    // best-last: the label sits in the last column of every row
    const topk = Int32Array.from([3, 2, 1, 0, 0, 2, 3, 1, 0, 1, 3, 2, 1, 0, 2, 3]);
    const result = normalizeTopkOrder(topk, 4, labels, 'auto');
    expect(result.order).toBe('best-last');
    expect(Array.from(topk.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(result.hits).toEqual([4, 0, 0, 0]);
    const bestFirst = Int32Array.from([0, 1, 2, 3, 1, 0, 2, 3, 2, 0, 1, 3, 0, 1, 2, 3]);
    expect(normalizeTopkOrder(bestFirst, 4, labels, 'auto').order).toBe('best-first');
  });

  it('is noted by the importer', async () => {
    const meta = join(dir, 'meta');
    writeImagenetMetadata(meta);
    writeTopk(
      join(dir, 'p'),
      'imagenetv2-b-33',
      'fv_16k',
      rowsFrom([1, 2, 3, 0]).map((r) => r.slice().reverse()),
    );
    const batch = readImagenetV2Predictions(join(dir, 'p'), { metadata: meta });
    expect(batch.predictions[0]!.notes[0]).toMatch(/best-last/);
    expect((await writeImportBatch(store, batch)).runs[0]!.top1Correct).toBe(4);
    const forced = readImagenetV2Predictions(join(dir, 'p'), { metadata: meta, topkOrder: 'best-first' });
    expect(forced.predictions[0]!.notes).toEqual([]);
  });
});

describe('generic CSV and NPY predictions', () => {
  it('imports CSV top-k with a CSV labels file, matching rows by image id', async () => {
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'image_id,label\na,0\nb,1\nc,2\nd,1\n');
    const csv = join(dir, 'mine.csv');
    writeFileSync(csv, 'image_id,top1,top2\nd,1,0\nc,0,2\nb,1,2\na,2,1\n');
    const summary = await writeImportBatch(store, await readGenericPredictions(csv, { dataset: 'toy', labels }, store));
    expect(summary.runs[0]).toMatchObject({ model: 'mine', dataset: 'toy', n: 4, top1Correct: 2, top5Correct: null });
    expect(await store.getDataset('toy')).toMatchObject({ size: 4, numClasses: 3 });
  });

  it('imports CSV logits against a set already in the store', async () => {
    const labels = join(dir, 'labels.npy');
    writeNpy(labels, npyArray('<i4', [3], Int32Array.from([0, 1, 2])));
    await writeImportBatch(
      store,
      await readGenericPredictions(writeCsv('first.csv', 'image_id,top1\n0,0\n1,1\n2,0\n'), { dataset: 'toy', labels, numClasses: 3 }, store),
    );
    const summary = await writeImportBatch(
      store,
      await readGenericPredictions(writeCsv('second.csv', 'image_id,a,b,c\n0,9,1,1\n1,0,1,2\n2,0,0,1\n'), { dataset: 'toy', model: 'logit-model' }, store),
    );
    expect(summary.runs[0]).toMatchObject({ model: 'logit-model', top1Correct: 2, top5Correct: null });
  });

  it('imports NPY logits with top-5 when there are at least 5 classes', async () => {
    const labels = join(dir, 'labels.json');
    writeFileSync(labels, JSON.stringify([0, 5, 3]));
    const npy = join(dir, 'logits.npy');
    const logits = new Float32Array(3 * 6);
    logits.set([6, 5, 4, 3, 2, 1], 0); // label 0 top-1
    logits.set([6, 5, 4, 3, 2, 1], 6); // label 5 last: not in top-5
    logits.set([1, 5, 4, 3, 2, 6], 12); // label 3: 4th
    const summary = await writeImportBatch(
      store,
      await readGenericPredictions(npy, { dataset: 'six', labels }, (writeNpy(npy, npyArray('<f4', [3, 6], logits)), store)),
    );
    expect(summary.runs[0]).toMatchObject({ model: 'logits', top1Correct: 1, top5Correct: 2 });
  });

  function writeCsv(name: string, text: string): string {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  }
});

describe('readFrequencies', () => {
  it('reads per-class counts, plain frequencies and CSV', async () => {
    const labels = Int32Array.from([0, 1]);
    const counts = join(dir, 'counts.npy');
    writeNpy(counts, npyArray('<f8', [2, 2], Float64Array.from([3, 1, 0, 0])));
    const f = readFrequencies(counts, labels, ['0', '1']);
    expect(f[0]).toBe(0.75);
    expect(Number.isNaN(f[1])).toBe(true); // no annotations
    const plain = join(dir, 'f.npy');
    writeNpy(plain, npyArray('<f4', [2], Float32Array.from([0.5, 1])));
    expect(Array.from(readFrequencies(plain, labels, ['0', '1']))).toEqual([0.5, 1]);
    const csv = join(dir, 'f.csv');
    writeFileSync(csv, 'image_id,frequency\n1,0.2\n');
    const fromCsv = readFrequencies(csv, labels, ['0', '1']);
    expect(fromCsv[1]).toBe(0.2);
    writeFileSync(csv, 'image_id,frequency\n1,1.2\n');
    expect(() => readFrequencies(csv, labels, ['0', '1'])).toThrow(/outside \[0, 1\]/);
  });
});
