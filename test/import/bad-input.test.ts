import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { npyArray, writeNpy } from '../../src/formats/index.ts';
import { readCifar101Predictions, readGenericPredictions, readImagenetV2Predictions, writeImportBatch } from '../../src/import/index.ts';
import type { ResultsStore } from '../../src/results/index.ts';
import { countRows, openResultsStore } from '../helpers/results.ts';
import { rowsFrom, writeImagenetMetadata, writeTopk } from './fixtures.ts';

let dir: string;
let store: ResultsStore;
let meta: string;
let root: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retest-bad-'));
  meta = join(dir, 'meta');
  root = join(dir, 'pred');
  writeImagenetMetadata(meta);
  store = await openResultsStore(join(dir, 'r.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function thrown(fn: () => unknown): Promise<RetestError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof RetestError) return error;
    throw error;
  }
  throw new Error('expected a RetestError');
}

const tables = async () => {
  const out: number[] = [];
  for (const t of ['datasets', 'models', 'runs', 'predictions']) out.push(await countRows(join(dir, 'r.db'), t));
  return out;
};

describe('import of bad input: errors name the file and row; nothing is half-imported', () => {
  it("imports a good fixture and maps the authors' names", async () => {
    writeTopk(root, 'imagenet-validation-original', 'net', rowsFrom([0, 1, 1, 2, 3, 0]));
    writeTopk(root, 'imagenetv2-b-33', 'net', rowsFrom([1, 2, 0, 0]));
    const summary = await writeImportBatch(store, readImagenetV2Predictions(root, { metadata: meta }));
    expect(summary.runs.map((r) => [r.dataset, r.top1Correct, r.top5Correct])).toEqual([
      ['imagenet-val', 4, null],
      ['imagenetv2-matched-frequency', 3, null],
    ]);
    expect((await store.imageIds((await store.getDataset('imagenet-val'))!.id))[0]).toBe('ILSVRC2012_val_00000001');
  });

  it('row count that disagrees with the dataset', async () => {
    const file = writeTopk(root, 'imagenetv2-b-33', 'net', rowsFrom([1, 2, 3]));
    const error = await thrown(() => readImagenetV2Predictions(root, { metadata: meta }));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/3 prediction rows but test set imagenetv2-matched-frequency has 4 images/);
  });

  it('class id out of range, naming the row and column', async () => {
    const file = writeTopk(root, 'imagenetv2-b-33', 'net', [
      [1, 0],
      [2, 0],
      [3, 7],
      [0, 1],
    ]);
    const error = await thrown(() => readImagenetV2Predictions(root, { metadata: meta }));
    expect([error.file, error.record, error.field, error.received]).toEqual([file, 'row 2', 'column 1', '7']);
  });

  it('two files for one model on one set (the _model suffix quirk gone wrong)', async () => {
    writeTopk(root, 'imagenetv2-b-33', 'net', rowsFrom([1, 2, 3, 0]));
    writeTopk(root, 'imagenetv2-b-33', 'net_model', rowsFrom([1, 2, 3, 0]));
    writeTopk(root, 'imagenet-validation-original', 'net', rowsFrom([0, 0, 1, 2, 3, 3]));
    expect((await thrown(() => readImagenetV2Predictions(root, { metadata: meta }))).message).toMatch(/two files give model "net"/);
  });

  it('strips the _model suffix when the model exists elsewhere', async () => {
    writeTopk(root, 'imagenet-validation-original', 'fv_64k', rowsFrom([0, 0, 1, 2, 3, 3]));
    writeTopk(root, 'imagenetv2-b-33', 'fv_64k_model', rowsFrom([1, 2, 3, 0]));
    const batch = readImagenetV2Predictions(root, { metadata: meta });
    expect(batch.predictions.map((p) => p.model)).toEqual(['fv_64k', 'fv_64k']);
  });

  it('unknown test set folder', async () => {
    writeTopk(root, 'imagenetv2-z-99', 'net', rowsFrom([1, 2, 3, 0]));
    const error = await thrown(() => readImagenetV2Predictions(root, { metadata: meta }));
    expect(error.message).toMatch(/unknown test set "imagenetv2-z-99"/);
  });

  it('a model name that belongs to an ONNX model already in the store', async () => {
    await store.registerModel({ name: 'net', kind: 'onnx', path: '/m/net.onnx', sha256: 'x' });
    writeTopk(root, 'imagenetv2-b-33', 'net', rowsFrom([1, 2, 3, 0]));
    const before = await tables();
    expect((await thrown(() => writeImportBatch(store, readImagenetV2Predictions(root, { metadata: meta })))).message).toMatch(/a different model named "net"/);
    expect(await tables()).toEqual(before);
  });

  it('a failure late in a batch leaves the store untouched (one transaction)', async () => {
    writeTopk(root, 'imagenet-validation-original', 'aaa', rowsFrom([0, 0, 1, 2, 3, 3]));
    writeTopk(root, 'imagenetv2-b-33', 'aaa', rowsFrom([1, 2, 3, 0]));
    writeTopk(root, 'imagenetv2-b-33', 'zzz', rowsFrom([1, 2, 3, 0]));
    const batch = readImagenetV2Predictions(root, { metadata: meta });
    await store.registerModel({ name: 'zzz', kind: 'onnx', path: '/m/zzz.onnx' }); // the last run will be refused
    const before = await tables();
    await expect(writeImportBatch(store, batch)).rejects.toThrow(RetestError);
    expect(await tables()).toEqual(before);
    expect(await store.counts()).toEqual([]);
  });

  it('a test set already in the store with other labels is refused; the same set in another order is matched by image id', async () => {
    const ids = [
      'ILSVRC2012_val_00000001',
      'ILSVRC2012_val_00000002',
      'ILSVRC2012_val_00000003',
      'ILSVRC2012_val_00000004',
      'ILSVRC2012_val_00000005',
      'ILSVRC2012_val_00000006',
    ];
    const labels = [0, 0, 1, 2, 3, 3];
    // registered by eval in reverse order
    await store.registerDataset({
      name: 'imagenet-val',
      source: 'folder',
      numClasses: 4,
      images: ids.map((imageId, i) => ({ imageId, label: labels[i]! })).reverse(),
    });
    writeTopk(root, 'imagenet-validation-original', 'net', rowsFrom([0, 1, 1, 2, 3, 0]));
    const summary = await writeImportBatch(store, readImagenetV2Predictions(root, { metadata: meta }));
    expect(summary.runs[0]!.top1Correct).toBe(4);
    const run = summary.runs[0]!.runId;
    expect((await store.score(run)).top1Correct).toBe(4);
    expect(Array.from(await store.correctness(run))).toEqual([0, 1, 1, 1, 0, 1]); // store order (reversed)

    const other = await openResultsStore(join(dir, 'other.db'));
    await other.registerDataset({
      name: 'imagenet-val',
      source: 'folder',
      numClasses: 4,
      images: ids.map((imageId, i) => ({ imageId, label: i === 2 ? 3 : labels[i]! })),
    });
    expect((await thrown(() => writeImportBatch(other, readImagenetV2Predictions(root, { metadata: meta })))).message).toMatch(
      /already in the store with other images or labels/,
    );
    await other.close();
  });

  it('CIFAR-10.1 layout: unknown folder, bad class id, wrong length', async () => {
    const labelsDir = join(dir, 'labels');
    mkdirSync(labelsDir);
    writeNpy(join(labelsDir, 'cifar10.1_v6_labels.npy'), npyArray('<i4', [3], Int32Array.from([1, 2, 3])));
    const croot = join(dir, 'c');
    mkdirSync(join(croot, 'v6'), { recursive: true });
    writeFileSync(join(croot, 'v6', 'm_predictions.json'), JSON.stringify([1, 12, 3]));
    const error = await thrown(() => readCifar101Predictions(croot, { metadata: labelsDir }));
    expect([error.file, error.field, error.received]).toEqual([join(croot, 'v6', 'm_predictions.json'), '[1]', '12']);
    // Every bad row is reported, not only the first.
    writeFileSync(join(croot, 'v6', 'm_predictions.json'), JSON.stringify([-1, 'cat', 2.5]));
    const all = await thrown(() => readCifar101Predictions(croot, { metadata: labelsDir }));
    expect(all.file).toBe(join(croot, 'v6', 'm_predictions.json'));
    expect(all.message).toMatch(/^3 problems in the predictions file: /);
    expect(all.issues.map((i) => [i.path, i.received])).toEqual([
      ['[0]', '-1'],
      ['[1]', '"cat"'],
      ['[2]', '2.5'],
    ]);
    writeFileSync(join(croot, 'v6', 'm_predictions.json'), JSON.stringify({ predictions: [1, 2, 3] }));
    expect((await thrown(() => readCifar101Predictions(croot, { metadata: labelsDir }))).issues[0]).toMatchObject({ path: '', expected: 'array' });
    writeFileSync(join(croot, 'v6', 'm_predictions.json'), JSON.stringify([1, 2]));
    expect((await thrown(() => readCifar101Predictions(croot, { metadata: labelsDir }))).message).toMatch(
      /2 prediction rows but test set cifar10.1-v6 has 3 images/,
    );
    writeFileSync(join(croot, 'v6', 'm_predictions.json'), JSON.stringify([1, 2, 0]));
    expect((await writeImportBatch(store, readCifar101Predictions(croot, { metadata: labelsDir }))).runs[0]).toMatchObject({
      dataset: 'cifar10.1-v6',
      top1Correct: 2,
      top5Correct: null,
    });
    mkdirSync(join(croot, 'v7'));
    expect((await thrown(() => readCifar101Predictions(croot, { metadata: labelsDir }))).message).toMatch(/unknown test set folder "v7"/);
  });

  it('generic: non-finite logits and unknown image ids name the line', async () => {
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'image_id,label\na,0\nb,1\nc,2\n');
    const csv = join(dir, 'logits.csv');
    writeFileSync(csv, 'image_id,c0,c1,c2\na,1,0,0\nb,0,NaN,0\nc,0,0,1\n');
    let error = await thrown(() => readGenericPredictions(csv, { dataset: 'toy', labels }, store));
    expect(error.message).toMatch(/not a number|non-finite/);
    expect(error.record).toBe('line 3');
    writeFileSync(csv, 'image_id,c0,c1,c2\na,1,0,0\nb,0,Infinity,0\nc,0,0,1\n');
    error = await thrown(() => readGenericPredictions(csv, { dataset: 'toy', labels }, store));
    expect(error.message).toMatch(/non-finite logit/);
    expect(error.record).toBe('line 3');
    writeFileSync(csv, 'image_id,c0,c1,c2\na,1,0,0\nzz,0,1,0\nc,0,0,1\n');
    error = await thrown(() => readGenericPredictions(csv, { dataset: 'toy', labels }, store));
    expect([error.message, error.record]).toEqual(['unknown image id "zz"', 'line 3']);
    const npy = join(dir, 'logits.npy');
    writeNpy(npy, npyArray('<f4', [3, 3], Float32Array.from([1, 0, 0, 0, Number.NaN, 0, 0, 0, 1])));
    error = await thrown(() => readGenericPredictions(npy, { dataset: 'toy', labels }, store));
    expect([error.file, error.record]).toEqual([npy, 'row 1']);
  });

  it('generic: an unknown test set without labels', async () => {
    const csv = join(dir, 'p.csv');
    writeFileSync(csv, 'image_id,top1\na,0\n');
    expect((await thrown(() => readGenericPredictions(csv, { dataset: 'nowhere' }, store))).message).toMatch(/unknown test set "nowhere"/);
  });
});
