/**
 * Conformance suite: every prediction importer, given a small valid fixture of its format, returns a
 * batch that stands on its own (each prediction's test set is in the batch, k classes per image,
 * valid class ids) and imports into the store with the counts the fixture implies; each names a
 * missing required option as a usage error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { npyArray, writeNpy } from '../../src/formats/index.ts';
import { countCorrect, importerFor, IMPORTERS, writeImportBatch } from '../../src/import/index.ts';
import type { ImportRequest } from '../../src/import/index.ts';
import type { ResultsStore } from '../../src/results/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { rowsFrom, writeImagenetMetadata, writeTopk } from './fixtures.ts';

let dir: string;
let store: ResultsStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retest-importers-'));
  store = await openResultsStore(join(dir, 'r.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A valid fixture per format: the request, and the top-1 correct count per (model, dataset). */
const FIXTURES: Record<string, () => { request: Omit<ImportRequest, 'store'>; expected: Record<string, number> }> = {
  imagenetv2: () => {
    writeImagenetMetadata(join(dir, 'meta'));
    writeTopk(join(dir, 'p'), 'imagenet-validation-original', 'net', rowsFrom([0, 1, 1, 2, 3, 0]));
    writeTopk(join(dir, 'p'), 'imagenetv2-b-33', 'net', rowsFrom([1, 2, 0, 0]));
    return { request: { path: join(dir, 'p'), metadata: join(dir, 'meta') }, expected: { 'net|imagenet-val': 4, 'net|imagenetv2-matched-frequency': 3 } };
  },
  'cifar10.1': () => {
    mkdirSync(join(dir, 'labels'));
    writeNpy(join(dir, 'labels', 'test_labels_official.npy'), npyArray('<u2', [4], Uint16Array.from([3, 8, 8, 0])));
    writeNpy(join(dir, 'labels', 'cifar10.1_v4_labels.npy'), npyArray('<i4', [3], Int32Array.from([1, 2, 3])));
    for (const [folder, preds] of [
      ['original', [3, 8, 1, 0]],
      ['v4', [1, 0, 0]],
    ] as const) {
      mkdirSync(join(dir, 'c', folder), { recursive: true });
      writeFileSync(join(dir, 'c', folder, 'm_predictions.json'), JSON.stringify(preds));
    }
    return { request: { path: join(dir, 'c'), metadata: join(dir, 'labels') }, expected: { 'm|cifar10-test': 3, 'm|cifar10.1-v4': 1 } };
  },
  csv: () => {
    writeFileSync(join(dir, 'labels.csv'), 'image_id,label\nx,0\ny,1\nz,1\n');
    writeFileSync(join(dir, 'm.csv'), 'image_id,top1,top2\nz,1,0\nx,1,0\ny,1,0\n');
    return { request: { path: join(dir, 'm.csv'), dataset: 'toy', labels: join(dir, 'labels.csv') }, expected: { 'm|toy': 2 } };
  },
  npy: () => {
    writeNpy(join(dir, 'labels.npy'), npyArray('<i8', [3], BigInt64Array.from([2n, 0n, 1n])));
    writeNpy(join(dir, 'm.npy'), npyArray('<f8', [3, 3], Float64Array.from([0, 0, 5, 1, 0, 0, 1, 0, 0])));
    return { request: { path: join(dir, 'm.npy'), dataset: 'toy', labels: join(dir, 'labels.npy') }, expected: { 'm|toy': 2 } };
  },
};

describe('prediction importers (conformance)', () => {
  it('every registered format has a fixture here', async () => {
    expect(IMPORTERS.map((i) => i.format).sort()).toEqual(Object.keys(FIXTURES).sort());
  });

  describe.each(IMPORTERS.map((i) => [i.format, i] as const))('%s', (format, importer) => {
    it('returns a self-contained, valid batch', async () => {
      const { request } = FIXTURES[format]!();
      const batch = await importer.read({ ...request, store });
      expect(batch.predictions.length).toBeGreaterThan(0);
      const datasets = new Map(batch.datasets.map((d) => [d.name, d]));
      for (const p of batch.predictions) {
        const d = datasets.get(p.dataset);
        expect(d, `${p.model} on ${p.dataset}`).toBeDefined();
        expect(d!.imageIds).toHaveLength(d!.labels.length);
        expect(p.topk.length).toBe(d!.labels.length * p.k);
        expect(Array.from(p.topk).every((c) => Number.isInteger(c) && c >= 0 && c < d!.numClasses)).toBe(true);
        expect(Array.isArray(p.notes)).toBe(true);
      }
    });

    it('imports with the counts the fixture implies', async () => {
      const { request, expected } = FIXTURES[format]!();
      const batch = await importer.read({ ...request, store });
      const summary = await writeImportBatch(store, batch);
      const got = Object.fromEntries((await store.counts()).map((r) => [`${r.model}|${r.testSet}`, r.top1Correct]));
      expect(got).toEqual(expected);
      for (const [i, p] of batch.predictions.entries()) {
        const d = batch.datasets.find((x) => x.name === p.dataset)!;
        expect(summary.runs[i]!.top1Correct).toBe(countCorrect(p.topk, p.k, d.labels).top1Correct);
      }
    });

    it('names a missing required option as a usage error', async () => {
      const { request } = FIXTURES[format]!();
      const { metadata: _m, dataset: _d, ...bare } = request;
      let error: unknown;
      try {
        await importer.read({ ...bare, store });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RetestError);
      expect((error as RetestError).kind).toBe('usage');
      expect((error as RetestError).field).toMatch(/--metadata|--dataset/);
    });
  });

  it('refuses an unknown format', async () => {
    expect(() => importerFor('parquet')).toThrow(/unknown import format "parquet"/);
  });
});
