/**
 * Done-when: importing the authors' per-image predictions reproduces, exactly, the published
 * counts for the 13 ImageNet models × 4 sets (top-1 and top-5) and the 15 CIFAR-10 models × 3 sets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accuracyByFrequency } from '../../src/analyze/index.ts';
import { loadPublished, readCifar101Predictions, readFrequencies, readImagenetV2Predictions, writeImportBatch } from '../../src/import/index.ts';
import type { ImportSummary } from '../../src/import/index.ts';
import type { ResultsStore } from '../../src/results/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';

describeWithData("import of the authors' published predictions", () => {
  let dir: string;
  let store: ResultsStore;
  let imagenet: ImportSummary;
  let cifar: ImportSummary;
  let importSeconds: number;
  const published = new Map(loadPublished().map((r) => [`${r.model}|${r.testSet}`, r]));

  /** A run's counts recounted from its stored rows (not the counts kept as they were written). */
  const recount = async (runId: number) => {
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    return { top1Correct: sum(await store.correctness(runId, 1)), top5Correct: sum(await store.correctness(runId, 5)) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'retest-import-'));
    store = await openResultsStore(join(dir, 'results.db'));
    const started = performance.now();
    imagenet = await writeImportBatch(
      store,
      readImagenetV2Predictions(join(SHARED_DATA, 'imagenetv2-predictions'), { metadata: join(SHARED_DATA, 'imagenet') }),
    );
    importSeconds = (performance.now() - started) / 1000;
    cifar = await writeImportBatch(store, readCifar101Predictions(join(SHARED_DATA, 'cifar10.1-predictions'), { metadata: SHARED_DATA }));
  }, 300_000);

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports 13 ImageNet models × 4 sets under canonical names, fast', () => {
    expect(imagenet.runs).toHaveLength(52);
    expect(new Set(imagenet.runs.map((r) => r.dataset))).toEqual(
      new Set(['imagenet-val', 'imagenetv2-matched-frequency', 'imagenetv2-threshold0.7', 'imagenetv2-top-images']),
    );
    expect(new Set(imagenet.runs.map((r) => r.model)).size).toBe(13);
    // the a-44 file fv_64k_model.npy is the model fv_64k
    expect(imagenet.runs.filter((r) => r.model === 'fv_64k')).toHaveLength(4);
    console.log(`[import] 13 models × 4 ImageNet sets (${(4 * 13 * 20000).toLocaleString('en-US')} rows incl. 50k-row val) in ${importSeconds.toFixed(1)} s`);
    expect(importSeconds).toBeLessThan(60);
  });

  it('reproduces exactly the published top-1 and top-5 counts for all 52 ImageNet runs (recounted from the stored rows)', async () => {
    const counts = (await store.counts()).filter((r) => r.testSet.startsWith('imagenet'));
    expect(counts).toHaveLength(52);
    for (const r of counts) {
      // the counts kept at import time are those of the stored rows, recounted one by one
      expect(await recount(r.runId), `${r.model} on ${r.testSet}`).toEqual({ top1Correct: r.top1Correct, top5Correct: r.top5Correct });
      const p = published.get(`${r.model}|${r.testSet}`);
      expect(p, `${r.model} on ${r.testSet}`).toBeDefined();
      expect([r.model, r.testSet, r.n, r.top1Correct, r.top5Correct]).toEqual([r.model, r.testSet, p!.n, p!.top1Correct, p!.top5Correct]);
    }
    const resnet50 = (set: string) => counts.find((r) => r.model === 'resnet50' && r.testSet === set);
    expect(resnet50('imagenet-val')).toMatchObject({ n: 50000, top1Correct: 38065 });
    expect(resnet50('imagenetv2-matched-frequency')).toMatchObject({ n: 10000, top1Correct: 6333 });
  });

  it("agrees with the store's own scoring", async () => {
    const run = (await store.latestRun('resnet50', 'imagenetv2-matched-frequency'))!;
    expect(await store.score(run)).toMatchObject({ n: 10000, failed: 0, top1Correct: 6333, top5Correct: 8465 });
  });

  it('reproduces exactly the published counts for the 15 CIFAR-10 models × 3 sets', async () => {
    expect(cifar.runs).toHaveLength(45);
    const counts = await store.counts(['cifar10-test', 'cifar10.1-v4', 'cifar10.1-v6']);
    expect(counts).toHaveLength(45);
    for (const r of counts) {
      expect((await recount(r.runId)).top1Correct, `${r.model} on ${r.testSet} recounted`).toBe(r.top1Correct);
      const p = published.get(`${r.model}|${r.testSet}`);
      expect(p, `${r.model} on ${r.testSet}`).toBeDefined();
      expect([r.model, r.testSet, r.n, r.top1Correct, r.top5Correct]).toEqual([r.model, r.testSet, p!.n, p!.top1Correct, null]);
    }
    expect((await store.getDataset('cifar10.1-v4'))?.size).toBe(2021);
    expect((await store.getDataset('cifar10.1-v6'))?.size).toBe(2000);
  });

  it('skips runs already imported (and replaces them only when asked)', async () => {
    const again = await writeImportBatch(
      store,
      readCifar101Predictions(join(SHARED_DATA, 'cifar10.1-predictions'), { metadata: SHARED_DATA, selectModel: (m) => m === 'nas' }),
    );
    expect(again.runs.map((r) => r.skipped)).toEqual([true, true, true]);
    const replaced = await writeImportBatch(
      store,
      readCifar101Predictions(join(SHARED_DATA, 'cifar10.1-predictions'), { metadata: SHARED_DATA, selectModel: (m) => m === 'nas' }),
      { replace: true },
    );
    expect(replaced.runs.map((r) => r.skipped)).toEqual([false, false, false]);
    const nas = (await store.counts()).filter((r) => r.model === 'nas');
    expect(nas.map((r) => r.top1Correct)).toEqual(['cifar10-test', 'cifar10.1-v4', 'cifar10.1-v6'].map((s) => published.get(`nas|${s}`)!.top1Correct));
  });

  it('shows the imported CIFAR-10 models more accurate on images more CIFAR-10H annotators agreed on', async () => {
    const dataset = (await store.getDataset('cifar10-test'))!;
    const frequencies = readFrequencies(join(SHARED_DATA, 'cifar10h', 'cifar10h-counts.npy'), await store.labels(dataset.id), await store.imageIds(dataset.id));
    const models = (await store.counts()).filter((r) => r.testSet === 'cifar10-test');
    const correct: Uint8Array[] = [];
    for (const m of models) correct.push(await store.correctness(m.runId, 1));
    const bins = accuracyByFrequency(frequencies, correct);
    const populated = bins.filter((b) => b.images >= 20);
    console.log(
      `[cifar10h] bins ${bins.map((b) => `${b.lower}-${b.upper}: ${b.images} images, ${b.meanAccuracy === null ? '—' : (b.meanAccuracy * 100).toFixed(1)}%`).join('; ')}`,
    );
    expect(populated.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < populated.length; i++) expect(populated[i]!.meanAccuracy!).toBeGreaterThan(populated[i - 1]!.meanAccuracy!);
    // every single model is more accurate in the top bin than in the lowest populated one
    const first = populated[0]!,
      last = populated[populated.length - 1]!;
    first.accuracy.forEach((a, m) => expect(last.accuracy[m]!).toBeGreaterThan(a!));
  });
});
