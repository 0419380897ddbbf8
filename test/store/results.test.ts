import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catchError } from '../helpers/errors.ts';
import { canonicalJson, openResultsStore } from '../../src/store/index.ts';

const fresh = () => openResultsStore(join(mkdtempSync(join(tmpdir(), 'retest-store-')), 'r.db'));
const images = [{ imageId: 'a', label: 0 }, { imageId: 'b', label: 1 }, { imageId: 'c', label: 2 }];

describe('ResultsStore', () => {
  it('registers a test set once and refuses a different set under the same name', () => {
    const store = fresh();
    const first = store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    expect(store.registerDataset({ name: 'set', source: 's2', numClasses: 3, images }).id).toBe(first.id);
    const error = catchError(() => store.registerDataset({ name: 'set', source: 'other', numClasses: 3, images: [...images.slice(0, 2), { imageId: 'c', label: 0 }] }));
    expect(error.hint).toMatch(/--name/);
    expect(error.file).toBe(store.path);
    expect(Array.from(store.labels(first.id))).toEqual([0, 1, 2]);
  });

  it('scores runs: failed images count as wrong, top-5 needs 5 classes', () => {
    const store = fresh();
    const d = store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    const model = store.registerModel({ name: 'm', kind: 'onnx', path: 'm.onnx', sha256: 'x' });
    const run = store.openRun(model, d.id, { a: 1 });
    expect(run.status).toBe('running');
    store.writePredictions(run.id, [
      { idx: 0, topk: [0, 1, 2, 3, 4], scores: [5, 4, 3, 2, 1], error: null },
      { idx: 1, topk: [2, 1, 0, 3, 4], scores: [5, 4, 3, 2, 1], error: null },
      { idx: 2, topk: [], scores: null, error: 'c.png: unreadable' },
    ]);
    store.finishRun(run.id, 100);
    expect(store.score(run.id)).toMatchObject({ n: 3, failed: 1, top1Correct: 1, top5Correct: 2, model: 'm', dataset: 'set' });
    expect(Array.from(store.correctness(run.id))).toEqual([1, 0, 0]);
    // Same config (keys in another order) → the same run.
    expect(store.openRun(model, d.id, { a: 1 }).id).toBe(run.id);
    expect(store.openRun(model, d.id, { a: 2 }).id).not.toBe(run.id);
  });

  it('a batch is all or nothing: a duplicate row rolls back the whole batch', () => {
    const store = fresh();
    const d = store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    const run = store.openRun(store.registerModel({ name: 'm', kind: 'onnx' }), d.id, {});
    store.writePredictions(run.id, [{ idx: 0, topk: [0], scores: [1], error: null }]);
    expect(() => store.writePredictions(run.id, [{ idx: 1, topk: [1], scores: [1], error: null }, { idx: 0, topk: [0], scores: [1], error: null }])).toThrow();
    expect([...store.doneIndices(run.id)]).toEqual([0]);
  });

  it('refuses a changed model file under a known name', () => {
    const store = fresh();
    store.registerModel({ name: 'm', kind: 'onnx', sha256: 'aaa' });
    expect(() => store.registerModel({ name: 'm', kind: 'onnx', sha256: 'bbb' })).toThrow(/different model named "m"/);
  });

  it('keeps logits as float32', () => {
    const store = fresh();
    const d = store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    const run = store.openRun(store.registerModel({ name: 'm', kind: 'onnx' }), d.id, {});
    store.writePredictions(run.id, [{ idx: 0, topk: [1], scores: [2.5], logits: new Float32Array([0.5, 2.5, -1]), error: null }]);
    expect(Array.from(store.predictions(run.id)[0]!.logits!)).toEqual([0.5, 2.5, -1]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
  });
});
