/**
 * The results store's contract (src/results/types.ts), the same on SQLite and on PostgreSQL: test
 * sets and their content versions, models, runs, predictions, the counts kept per run, leases
 * between processes, published accuracies, one-transaction groups, and the migration of a store
 * written before counts were kept. Every expected value is written out, so both backends give the
 * same answers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openResultsStore, RESULTS_SCHEMA } from '../../src/app/results.ts';
import { canonicalJson, createResultsStore, RESULTS_MIGRATIONS, type ResultsStore } from '../../src/results/index.ts';
import { connectStore, migrateDatabase, type SqlDatabase } from '../../src/store/index.ts';
import { rejection } from '../helpers/errors.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';

interface Backend {
  /** A new, empty store (`name` unique per test), and a handle on its database for looking at tables. */
  open(name: string): Promise<{ store: ResultsStore; raw: SqlDatabase; value: string }>;
}

const images = [
  { imageId: 'a', label: 0 },
  { imageId: 'b', label: 1 },
  { imageId: 'c', label: 2 },
];
const six = Array.from({ length: 6 }, (_, i) => ({ imageId: `i${i}`, label: i }));
const hash = (c: string) => c.repeat(64);

function conformance(backend: Backend): void {
  const opened: { store: ResultsStore; raw: SqlDatabase }[] = [];
  let counter = 0;
  const fresh = async () => {
    const handles = await backend.open(`t${++counter}`);
    opened.push(handles);
    return handles;
  };
  afterEach(async () => {
    for (const { store, raw } of opened.splice(0)) {
      await store.close();
      await raw.close();
    }
  });

  it('registers a test set once and refuses a different set under the same name', async () => {
    const { store } = await fresh();
    const first = await store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    expect((await store.registerDataset({ name: 'set', source: 's2', numClasses: 3, images })).id).toBe(first.id);
    const error = await rejection(
      store.registerDataset({ name: 'set', source: 'other', numClasses: 3, images: [...images.slice(0, 2), { imageId: 'c', label: 0 }] }),
    );
    expect(error.hint).toMatch(/--name/);
    expect(error.file).toBe(store.location);
    expect(Array.from(await store.labels(first.id))).toEqual([0, 1, 2]);
    expect(await store.imageIds(first.id)).toEqual(['a', 'b', 'c']);
  });

  it('keeps each content of a named set as a version: the old one becomes name@vN, content seen before is current again', async () => {
    const { store } = await fresh();
    const v1 = await store.registerDataset({ name: 'set', source: '/a', numClasses: 3, images, contentHash: hash('a') });
    expect(v1).toMatchObject({ name: 'set', version: 1, changedFrom: null, contentHash: hash('a') });
    const v2 = await store.registerDataset({ name: 'set', source: '/b', numClasses: 3, images, contentHash: hash('b') });
    expect(v2).toMatchObject({ name: 'set', version: 2, changedFrom: 1, source: '/b' });
    expect(v2.id).not.toBe(v1.id);
    expect(await store.getDataset('set@v1')).toMatchObject({ id: v1.id, version: 1, contentHash: hash('a') });
    expect((await store.listDatasets()).map((d) => [d.name, d.version])).toEqual([['set', 2]]);
    const back = await store.registerDataset({ name: 'set', source: '/a2', numClasses: 3, images, contentHash: hash('a') });
    expect(back).toMatchObject({ id: v1.id, name: 'set', version: 1, changedFrom: 2, source: '/a2' });
    expect(await store.getDataset('set@v2')).toMatchObject({ id: v2.id, version: 2 });
    const v3 = await store.registerDataset({ name: 'set', source: '/c', numClasses: 3, images: images.slice(0, 2), contentHash: hash('c') });
    expect(v3).toMatchObject({ version: 3, changedFrom: 1, size: 2 });
    expect((await store.listDatasets()).map((d) => [d.name, d.version, d.size])).toEqual([['set', 3, 2]]);
  });

  it('an evaluation gives a set known only from imports its content; imports attach to the current version', async () => {
    const { store } = await fresh();
    const imported = await store.registerDataset({ name: 'set', source: 'labels.csv', numClasses: 3, images });
    expect(imported.contentHash).toBeNull();
    const evaluated = await store.registerDataset({ name: 'set', source: '/data/set', numClasses: 3, images, contentHash: hash('e') });
    expect(evaluated).toMatchObject({ id: imported.id, version: 1, contentHash: hash('e'), source: '/data/set', changedFrom: null });
    const again = await store.registerDataset({ name: 'set', source: 'labels2.csv', numClasses: 3, images });
    expect(again).toMatchObject({ id: imported.id, contentHash: hash('e') });
    await expect(store.registerDataset({ name: 'set', source: 'x', numClasses: 3, images: images.slice(1) })).rejects.toThrow(/different images or labels/);
  });

  it('scores runs from the counts kept as batches are written: failed images count as wrong, top-5 needs 5 classes', async () => {
    const { store } = await fresh();
    const d = await store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    const model = await store.registerModel({ name: 'm', kind: 'onnx', path: 'm.onnx', sha256: 'x' });
    const run = await store.openRun(model, d.id, { a: 1 });
    expect(run.status).toBe('running');
    await store.writePredictions(run.id, [
      { idx: 0, topk: [0, 1, 2, 3, 4], scores: [5, 4, 3, 2, 1], error: null },
      { idx: 1, topk: [2, 1, 0, 3, 4], scores: [5, 4, 3, 2, 1], error: null },
    ]);
    expect(await store.score(run.id)).toMatchObject({ n: 3, failed: 0, top1Correct: 1, top5Correct: 2 });
    await store.writePredictions(run.id, [{ idx: 2, topk: [], scores: null, error: 'c.png: unreadable' }]);
    await store.finishRun(run.id, 100);
    expect(await store.score(run.id)).toEqual({
      runId: run.id,
      model: 'm',
      dataset: 'set',
      n: 3,
      failed: 1,
      top1Correct: 1,
      top5Correct: 2,
      imagesPerSecond: 100,
      datasetVersion: null,
    });
    expect(Array.from(await store.correctness(run.id))).toEqual([1, 0, 0]);
    expect(Array.from(await store.correctness(run.id, 5))).toEqual([1, 1, 0]);
    expect(await store.runStatus(run.id)).toBe('done');
    // Same config (keys in another order) → the same run.
    expect((await store.openRun(model, d.id, { a: 1 })).id).toBe(run.id);
    expect((await store.openRun(model, d.id, { a: 2 })).id).not.toBe(run.id);
    // Fewer than 5 stored classes for one image: top-5 is unknown for the run.
    const short = await store.openRun(model, d.id, { a: 3 });
    await store.writePredictions(short.id, [
      { idx: 0, topk: [0, 1, 2, 3, 4], scores: null, error: null },
      { idx: 1, topk: [1], scores: null, error: null },
    ]);
    expect(await store.score(short.id)).toMatchObject({ top1Correct: 2, top5Correct: null, failed: 0 });
    await expect(store.score(999_999)).rejects.toThrow(RangeError);
  });

  it('a batch is all or nothing: a duplicate row rolls back the whole batch and its counts', async () => {
    const { store } = await fresh();
    const d = await store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    const run = await store.openRun(await store.registerModel({ name: 'm', kind: 'onnx' }), d.id, {});
    await store.writePredictions(run.id, [{ idx: 0, topk: [0], scores: [1], error: null }]);
    await expect(
      store.writePredictions(run.id, [
        { idx: 1, topk: [1], scores: [1], error: null },
        { idx: 0, topk: [0], scores: [1], error: null },
      ]),
    ).rejects.toThrow();
    expect([...(await store.doneIndices(run.id))]).toEqual([0]);
    expect(await store.score(run.id)).toMatchObject({ top1Correct: 1, failed: 0 });
  });

  it('refuses a changed model file, or another kind, under a known name', async () => {
    const { store } = await fresh();
    const id = await store.registerModel({ name: 'm', kind: 'onnx', sha256: 'aaa' });
    expect(await store.registerModel({ name: 'm', kind: 'onnx', sha256: 'aaa', path: 'elsewhere.onnx' })).toBe(id);
    await expect(store.registerModel({ name: 'm', kind: 'onnx', sha256: 'bbb' })).rejects.toThrow(/different model named "m"/);
    const error = await rejection(store.registerModel({ name: 'm', kind: 'imported' }));
    expect([error.file, error.record, error.hint]).toEqual([store.location, 'm', 'give it another name (--name)']);
  });

  it('keeps logits as float32 and scores as float32 values', async () => {
    const { store } = await fresh();
    const d = await store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    const run = await store.openRun(await store.registerModel({ name: 'm', kind: 'onnx' }), d.id, {});
    await store.writePredictions(run.id, [
      { idx: 0, topk: [1], scores: [0.1], logits: new Float32Array([0.5, 2.5, -1]), error: null },
      { idx: 1, topk: [1, 0], scores: null, error: null },
    ]);
    const [first, second] = await store.predictions(run.id);
    expect(Array.from(first!.logits!)).toEqual([0.5, 2.5, -1]);
    expect(first).toMatchObject({ idx: 0, topk: [1], scores: [Math.fround(0.1)], error: null });
    expect(second).toEqual({ idx: 1, topk: [1, 0], scores: null, error: null, logits: null });
  });

  it('leases: a live holder is refused to others, a lapsed or released lease is taken, writing needs the lease', async () => {
    const { store } = await fresh();
    const d = await store.registerDataset({
      name: 'set',
      source: 's',
      numClasses: 2,
      images: [
        { imageId: 'a', label: 0 },
        { imageId: 'b', label: 1 },
      ],
    });
    const run = await store.openRun(await store.registerModel({ name: 'm', kind: 'onnx', sha256: 'x' }), d.id, {});
    // Owners on other machines: only their leases speak for them.
    const a = { id: 'machine-a:100', leaseSeconds: 60 };
    const b = { id: 'machine-b:200', leaseSeconds: 60 };
    expect(await store.leaseRun(run.id, a)).toEqual({ acquired: true });
    expect(await store.leaseRun(run.id, a)).toEqual({ acquired: true }); // the holder renews
    const refused = await store.leaseRun(run.id, b);
    expect(refused).toMatchObject({ acquired: false, owner: a.id });
    expect(refused.acquired === false && Date.parse(refused.leaseUntil) > Date.now() + 30_000).toBe(true);
    const error = await rejection(store.writePredictions(run.id, [{ idx: 0, topk: [0], scores: null, error: null }], b));
    expect([error.message, error.received]).toEqual([`another process took over run ${run.id}`, a.id]);
    await store.releaseRun(run.id, b); // not the holder: nothing happens
    expect(await store.leaseRun(run.id, b)).toMatchObject({ acquired: false, owner: a.id });
    await store.releaseRun(run.id, a);
    expect(await store.leaseRun(run.id, b)).toEqual({ acquired: true });
    await store.writePredictions(run.id, [{ idx: 0, topk: [0], scores: null, error: null }], b);
    // A lease of 0 s lapses at once: another machine may take over.
    const brief = { id: 'machine-c:300', leaseSeconds: 0 };
    await store.releaseRun(run.id, b);
    expect(await store.leaseRun(run.id, brief)).toEqual({ acquired: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.leaseRun(run.id, a)).toEqual({ acquired: true });
    await expect(store.writePredictions(run.id, [{ idx: 1, topk: [1], scores: null, error: null }], brief)).rejects.toThrow(/another process took over/);
    await store.writePredictions(run.id, [{ idx: 1, topk: [1], scores: null, error: null }], a);
    await store.finishRun(run.id, null);
    expect(await store.leaseRun(run.id, b)).toEqual({ acquired: true }); // finishing released it
    expect(await store.score(run.id)).toMatchObject({ top1Correct: 2 });
    await expect(store.leaseRun(999_999, a)).rejects.toThrow(RangeError);
  });

  it('two stores racing for one lease: exactly one wins each time', async () => {
    const { store, value } = await fresh();
    const other = await openResultsStore(value);
    try {
      const d = await store.registerDataset({ name: 'set', source: 's', numClasses: 2, images: [{ imageId: 'a', label: 0 }] });
      const model = await store.registerModel({ name: 'm', kind: 'onnx' });
      for (let round = 0; round < 10; round++) {
        const run = await store.openRun(model, d.id, { round });
        const answers = await Promise.all([
          store.leaseRun(run.id, { id: 'machine-a:1', leaseSeconds: 60 }),
          other.leaseRun(run.id, { id: 'machine-b:1', leaseSeconds: 60 }),
        ]);
        expect(answers.filter((x) => x.acquired).length).toBe(1);
      }
    } finally {
      await other.close();
    }
  });

  it('two stores registering one new set and one new model at once get the same rows', async () => {
    const { store, value } = await fresh();
    const other = await openResultsStore(value);
    try {
      const [x, y] = await Promise.all([
        store.registerDataset({ name: 'race', source: 's', numClasses: 6, images: six, contentHash: hash('r') }),
        other.registerDataset({ name: 'race', source: 's', numClasses: 6, images: six, contentHash: hash('r') }),
      ]);
      expect(x.id).toBe(y.id);
      expect(await store.imageIds(x.id)).toHaveLength(6);
      const [m1, m2] = await Promise.all([
        store.registerModel({ name: 'racer', kind: 'onnx', sha256: 'z' }),
        other.registerModel({ name: 'racer', kind: 'onnx', sha256: 'z' }),
      ]);
      expect(m1).toBe(m2);
    } finally {
      await other.close();
    }
  });

  it('an interrupted run on content that changed is refused, or discarded with restart', async () => {
    const { store } = await fresh();
    const model = await store.registerModel({ name: 'm', kind: 'onnx', sha256: 'x' });
    const config = { topK: 5 };
    const d = await store.registerDataset({ name: 'set', source: '/set.bin', numClasses: 6, images: six, contentHash: hash('1') });
    const run = await store.openRun(model, d.id, config);
    await store.writePredictions(run.id, [{ idx: 0, topk: [0, 1, 2, 3, 4], scores: null, error: null }]);
    await store.checkInterruptedRun({ name: 'set', contentHash: hash('1'), modelId: model, config }); // same content: resumable
    await store.checkInterruptedRun({ name: 'set', contentHash: hash('2'), modelId: model, config: { topK: 1 } }); // another config
    const error = await rejection(store.checkInterruptedRun({ name: 'set', contentHash: hash('2'), modelId: model, config }));
    expect(error.message).toMatch(/changed since this model's run on it was interrupted/);
    expect([error.file, error.record]).toEqual(['/set.bin', `run ${run.id}`]);
    expect(error.expected).toMatch(/1 of 6 images already predicted/);
    expect(error.hint).toMatch(/--restart/);
    expect(await store.runStatus(run.id)).toBe('running');
    await store.checkInterruptedRun({ name: 'set', contentHash: hash('2'), modelId: model, config, restart: true });
    expect(await store.runStatus(run.id)).toBeUndefined();
  });

  it('provenance: providers and retest versions kept once each, in order; listRuns shows every run with its model hash, content and preprocessing', async () => {
    const { store } = await fresh();
    const model = await store.registerModel({ name: 'm', kind: 'onnx', path: '/models/m.onnx', sha256: hash('f') });
    const v1 = await store.registerDataset({ name: 'set', source: '/set.bin', numClasses: 6, images: six, contentHash: hash('1') });
    const preprocessing = { size: [32, 32], interpolation: 'bicubic', cropMode: 'squash' };
    const run = await store.openRun(model, v1.id, { model_sha256: hash('f'), preprocessing, topK: 5 });
    await store.recordProvenance(run.id, { provider: 'cpu', retestVersion: '0.1.0' });
    await store.writePredictions(run.id, [
      { idx: 0, topk: [0, 1, 2, 3, 4], scores: null, error: null },
      { idx: 1, topk: [0, 1, 2, 3, 4], scores: null, error: null },
    ]);
    // Resumed on a GPU by a newer retest, then once more on the CPU: each value once, first-seen order.
    await store.recordProvenance(run.id, { provider: 'cuda:0', retestVersion: '0.2.0' });
    await store.recordProvenance(run.id, { provider: 'cpu', retestVersion: '0.2.0' });
    // Another content of the set: the first run stays listed under set@v1.
    const v2 = await store.registerDataset({ name: 'set', source: '/set.bin', numClasses: 6, images: six, contentHash: hash('2') });
    const other = await store.openRun(model, v2.id, { topK: 5 });
    await store.finishRun(other.id, 50);
    const runs = await store.listRuns();
    expect(runs.map((r) => ({ ...r, startedAt: typeof r.startedAt, finishedAt: r.finishedAt === null ? null : typeof r.finishedAt }))).toEqual([
      {
        runId: run.id,
        status: 'running',
        model: 'm',
        modelPath: '/models/m.onnx',
        modelSha256: hash('f'),
        dataset: 'set@v1',
        datasetVersion: 1,
        datasetContentHash: hash('1'),
        n: 6,
        predicted: 2,
        top1Correct: 1,
        preprocessing,
        config: { model_sha256: hash('f'), preprocessing, topK: 5 },
        providers: ['cpu', 'cuda:0'],
        retestVersions: ['0.1.0', '0.2.0'],
        startedAt: 'string',
        finishedAt: null,
        imagesPerSecond: null,
      },
      {
        runId: other.id,
        status: 'done',
        model: 'm',
        modelPath: '/models/m.onnx',
        modelSha256: hash('f'),
        dataset: 'set',
        datasetVersion: 2,
        datasetContentHash: hash('2'),
        n: 6,
        predicted: 0,
        top1Correct: 0,
        preprocessing: null,
        config: { topK: 5 },
        providers: [],
        retestVersions: [],
        startedAt: 'string',
        finishedAt: 'string',
        imagesPerSecond: 50,
      },
    ]);
    expect((await store.listRuns({ dataset: 'set' })).map((r) => r.runId)).toEqual([run.id, other.id]);
    expect((await store.listRuns({ dataset: 'set@v1' })).map((r) => r.runId)).toEqual([run.id]);
    expect(await store.listRuns({ model: 'nobody' })).toEqual([]);
    await expect(store.recordProvenance(9999, { provider: 'cpu', retestVersion: '0.1.0' })).rejects.toThrow(RangeError);
  });

  it('counts: the latest finished run per model on the current version of each set, by set then model', async () => {
    const { store } = await fresh();
    const oldSix = await store.registerDataset({ name: 'six', source: 's', numClasses: 6, images: six, contentHash: hash('1') });
    const imp = await store.registerDataset({ name: 'imp', source: 's', numClasses: 3, images });
    const finished = async (model: string, datasetId: number, config: Record<string, unknown>, topk: number[][]) => {
      const run = await store.openRun(await store.registerModel({ name: model, kind: 'imported' }), datasetId, config);
      await store.writePredictions(
        run.id,
        topk.map((t, idx) => ({ idx, topk: t, scores: null, error: null })),
      );
      await store.finishRun(run.id, null);
      return run.id;
    };
    await finished(
      'zeta',
      oldSix.id,
      {},
      six.map((im) => [im.label]),
    );
    const newSix = await store.registerDataset({ name: 'six', source: 's', numClasses: 6, images: six, contentHash: hash('2') });
    const early = await finished(
      'zeta',
      newSix.id,
      { v: 1 },
      six.map(() => [0]),
    );
    const late = await finished(
      'zeta',
      newSix.id,
      { v: 2 },
      six.map((im, i) => [i < 4 ? im.label : 0, 0, 0, 0, im.label]),
    );
    const alpha = await finished('alpha', imp.id, {}, [[0], [0], [2]]);
    const running = await store.openRun(await store.registerModel({ name: 'beta', kind: 'imported' }), imp.id, {});
    await store.writePredictions(running.id, [{ idx: 0, topk: [0], scores: null, error: null }]);
    expect(await store.counts()).toEqual([
      { model: 'alpha', testSet: 'imp', n: 3, top1Correct: 2, top5Correct: null, source: 'store', runId: alpha },
      { model: 'zeta', testSet: 'six', n: 6, top1Correct: 4, top5Correct: 6, source: 'store', runId: late },
    ]);
    expect((await store.counts(['six'])).map((c) => c.runId)).toEqual([late]);
    expect(await store.counts(['nothing'])).toEqual([]);
    expect((await store.listScores()).map((s) => [s.runId, s.dataset, s.datasetVersion, s.top1Correct])).toEqual([
      [early, 'six', 2, 1],
      [late, 'six', 2, 4],
      [alpha, 'imp', null, 2],
    ]);
    expect(await store.latestRun('zeta', 'six')).toBe(late);
    expect(await store.latestRun('beta', 'imp')).toBeUndefined();
    expect(await store.latestRun('zeta', 'six@v1')).toBeDefined();
  });

  it('a transaction is all or nothing, and calls inside it join it', async () => {
    const { store } = await fresh();
    await expect(
      store.transaction(async (tx) => {
        const d = await tx.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
        const run = await tx.openRun(await tx.registerModel({ name: 'm', kind: 'imported' }), d.id, {});
        await tx.transaction((inner) => inner.writePredictions(run.id, [{ idx: 0, topk: [0], scores: null, error: null }]));
        await tx.finishRun(run.id, null);
        expect(await tx.counts()).toHaveLength(1); // its own writes are visible inside
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.listDatasets()).toEqual([]);
    expect(await store.counts()).toEqual([]);
    const id = await store.transaction(async (tx) => (await tx.registerDataset({ name: 'set', source: 's', numClasses: 3, images })).id);
    expect((await store.getDataset('set'))?.id).toBe(id);
  });

  it('published accuracies: stored apart from runs, skipped when present unless replaced, shadowed by per-image results', async () => {
    const { store, raw } = await fresh();
    const row = (model: string, testSet: string, top1: number, extra: Partial<{ top5Correct: number | null; collection: string }> = {}) => ({
      model,
      testSet,
      n: 1000,
      top1Correct: Math.round(top1 * 1000),
      top5Correct: extra.top5Correct ?? null,
      top1Accuracy: top1,
      top5Accuracy: null,
      collection: extra.collection ?? 'board',
      sourceFile: '/t.csv',
      sourceLine: 2,
      sourceColumn: 'top1',
      units: 'percent' as const,
    });
    const first = await store.writePublishedAccuracies(
      [row('p1', 'imagenet-val', 0.7613, { top5Correct: 929 }), row('p1', 'imagenetv2-matched-frequency', 0.6333), row('mine', 'imagenet-val', 0.5)],
      { now: '2026-01-02T00:00:00.000Z' },
    );
    expect(first).toEqual({ imported: 3, skipped: [], shadowed: [] });
    expect(
      await raw.get(
        "SELECT n, top1_correct AS c, top5_correct AS c5, top1_accuracy AS a, kind, units, source_line AS line, imported_at AS at FROM published_accuracies WHERE model = 'p1' AND test_set = 'imagenet-val'",
      ),
    ).toEqual({ n: 1000, c: 761, c5: 929, a: 0.7613, kind: 'published accuracy', units: 'percent', line: 2, at: '2026-01-02T00:00:00.000Z' });
    // A per-image run of "mine" shadows its published row.
    const d = await store.registerDataset({ name: 'imagenet-val', source: 's', numClasses: 3, images });
    const run = await store.openRun(await store.registerModel({ name: 'mine', kind: 'imported' }), d.id, {});
    await store.finishRun(run.id, null);
    const again = await store.writePublishedAccuracies([
      row('p1', 'imagenet-val', 0.8),
      row('mine', 'imagenet-val', 0.6),
      row('p2', 'imagenet-val', 0.7, { collection: 'other' }),
    ]);
    expect([again.imported, again.skipped.map((s) => s.model), again.shadowed]).toEqual([1, ['p1', 'mine'], ['mine']]);
    const replaced = await store.writePublishedAccuracies([row('p1', 'imagenet-val', 0.8)], { replace: true });
    expect(replaced.imported).toBe(1);
    expect(await store.publishedCounts()).toEqual([
      { model: 'mine', testSet: 'imagenet-val', n: 1000, top1Correct: 500, top5Correct: null, collection: 'board', source: 'table' },
      { model: 'p1', testSet: 'imagenet-val', n: 1000, top1Correct: 800, top5Correct: null, collection: 'board', source: 'table' },
      { model: 'p2', testSet: 'imagenet-val', n: 1000, top1Correct: 700, top5Correct: null, collection: 'other', source: 'table' },
      { model: 'p1', testSet: 'imagenetv2-matched-frequency', n: 1000, top1Correct: 633, top5Correct: null, collection: 'board', source: 'table' },
    ]);
    expect((await store.publishedCounts(['imagenetv2-matched-frequency'])).map((c) => c.model)).toEqual(['p1']);
    expect(await store.listScores()).toHaveLength(1); // published rows claim nothing per image
  });

  it('a store written before counts were kept gets each run counted once, from its rows, when it opens', async () => {
    const { store, raw, value } = await fresh();
    opened.pop();
    await store.close();
    // The same database, rebuilt as the previous retest left it: the migrations before results-003, rows by hand.
    const before = RESULTS_MIGRATIONS.slice(
      0,
      RESULTS_MIGRATIONS.findIndex((m) => m.name === 'results-003-run-counts'),
    );
    expect(before.map((m) => m.name)).toEqual(['results-001-initial', 'results-002-content-identity', 'analysis-001-run-counts', 'import-accuracies-001']);
    await raw.exec('DROP TABLE IF EXISTS schema_migrations');
    for (const table of ['published_accuracies', 'predictions', 'runs', 'images', 'models', 'datasets']) await raw.exec(`DROP TABLE IF EXISTS ${table}`);
    await migrateDatabase(raw, before);
    const now = '2026-01-01T00:00:00.000Z';
    await raw.run(
      "INSERT INTO datasets (name, base_name, size, num_classes, source, fingerprint, content_hash, version, created_at) VALUES ('six', 'six', 6, 6, 's', 'f', NULL, 1, ?)",
      [now],
    );
    await raw.insertMany(
      'images',
      ['dataset_id', 'idx', 'image_id', 'label'],
      six.map((im, idx) => [1, idx, im.imageId, im.label]),
    );
    await raw.run("INSERT INTO models (name, kind, created_at) VALUES ('m', 'imported', ?)", [now]);
    await raw.run("INSERT INTO runs (model_id, dataset_id, config_hash, config, status, started_at) VALUES (1, 1, 'h', '{}', 'done', ?)", [now]);
    await raw.run("INSERT INTO runs (model_id, dataset_id, config_hash, config, status, started_at) VALUES (1, 1, 'h2', '{}', 'running', ?)", [now]);
    const rows: [number, number, number | null, string | null, string | null][] = [
      [1, 0, 0, '[0,1,2,3,4]', null], // top-1
      [1, 1, 0, '[0,1,2,3,4]', null], // top-5 (2nd)
      [1, 2, 0, '[0,1,3,4,5,2]', null], // the label 6th: not top-5
      [1, 3, null, null, 'unreadable'], // failed
      [1, 4, 4, '[4,0,1,2,3]', null],
      [1, 5, 1, '[1,2,3,4,0]', null],
      [2, 0, 0, '[0,1]', null], // short: top-5 unknown
    ];
    await raw.insertMany(
      'predictions',
      ['run_id', 'idx', 'top1', 'topk', 'error'],
      rows.map(([run, idx, top1, topk, error]) => [run, idx, top1, topk, error]),
    );
    await raw.run('INSERT INTO analysis_run_counts (run_id, n, top1_correct, top5_correct, computed_at) VALUES (1, 6, 2, 3, ?)', [now]);
    const reopened = await openResultsStore(value);
    try {
      expect(await reopened.score(1)).toMatchObject({ n: 6, failed: 1, top1Correct: 2, top5Correct: 3 });
      expect(await reopened.score(2)).toMatchObject({ failed: 0, top1Correct: 1, top5Correct: null });
      expect(await raw.get('SELECT predicted, failed, top1_correct AS t1, top5_correct AS t5, short_topk AS s FROM runs WHERE id = 2')).toEqual({
        predicted: 1,
        failed: 0,
        t1: 1,
        t5: 1,
        s: 1,
      });
      // The run goes on from its kept counts.
      await reopened.writePredictions(2, [{ idx: 1, topk: [1, 0, 2, 3, 4], scores: null, error: null }]);
      expect(await reopened.score(2)).toMatchObject({ top1Correct: 2, top5Correct: null });
      const ledger = await raw.all<{ name: string }>('SELECT name FROM schema_migrations');
      expect(ledger.map((r) => r.name).sort()).toEqual(RESULTS_MIGRATIONS.map((m) => m.name).sort());
      await expect(raw.get('SELECT * FROM analysis_run_counts')).rejects.toThrow(); // the old cache is gone
    } finally {
      await reopened.close();
      await raw.close();
    }
  });
}

describe('ResultsStore on SQLite', () => {
  conformance({
    async open() {
      const value = join(mkdtempSync(join(tmpdir(), 'retest-results-')), 'r.db');
      const store = await openResultsStore(value);
      return { store, value, raw: await connectStore(value, { defaultSchema: RESULTS_SCHEMA }) };
    },
  });
});

describeWithPostgres('ResultsStore on PostgreSQL', () => {
  const run = `${process.pid}`;
  conformance({
    async open(name) {
      const value = `${postgresUrl()}?schema=results_conformance_${run}_${name}`;
      const store = await openResultsStore(value);
      return { store, value, raw: await connectStore(value, { defaultSchema: RESULTS_SCHEMA }) };
    },
  });
});

describe('createResultsStore', () => {
  it('is a results store on any database of the port migrated with RESULTS_MIGRATIONS', async () => {
    const value = join(mkdtempSync(join(tmpdir(), 'retest-results-')), 'r.db');
    const db = await connectStore(value, { defaultSchema: RESULTS_SCHEMA });
    await migrateDatabase(db, RESULTS_MIGRATIONS);
    const store = createResultsStore(db);
    expect([store.backend, store.location]).toEqual(['sqlite', value]);
    await store.registerDataset({ name: 'set', source: 's', numClasses: 3, images });
    expect((await store.listDatasets()).map((d) => d.name)).toEqual(['set']);
    await store.close();
    await expect(db.get('SELECT 1 AS one')).rejects.toThrow(); // closing the store closed its database
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
  });
});
