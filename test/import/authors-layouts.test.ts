/**
 * Done-when: importing the authors' per-image predictions reproduces, exactly, the published
 * counts for the 13 ImageNet models × 4 sets (top-1 and top-5) and the 15 CIFAR-10 models × 3 sets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accuracyByFrequency } from '../../src/analyze/index.ts';
import { latestRun, loadPublished, readCifar101Predictions, readFrequencies, readImagenetV2Predictions, storeCounts, writeImportBatch } from '../../src/import/index.ts';
import type { ImportSummary } from '../../src/import/index.ts';
import { ResultsStore } from '../../src/store/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';

describeWithData('import of the authors\' published predictions', () => {
  let dir: string;
  let store: ResultsStore;
  let imagenet: ImportSummary;
  let cifar: ImportSummary;
  let importSeconds: number;
  const published = new Map(loadPublished().map((r) => [`${r.model}|${r.testSet}`, r]));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'retest-import-'));
    store = new ResultsStore(join(dir, 'results.db'));
    const started = performance.now();
    imagenet = writeImportBatch(store, readImagenetV2Predictions(join(SHARED_DATA, 'imagenetv2-predictions'), { metadata: join(SHARED_DATA, 'imagenet') }));
    importSeconds = (performance.now() - started) / 1000;
    cifar = writeImportBatch(store, readCifar101Predictions(join(SHARED_DATA, 'cifar10.1-predictions'), { metadata: SHARED_DATA }));
  }, 300_000);

  afterAll(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports 13 ImageNet models × 4 sets under canonical names, fast', () => {
    expect(imagenet.runs).toHaveLength(52);
    expect(new Set(imagenet.runs.map((r) => r.dataset))).toEqual(new Set(['imagenet-val', 'imagenetv2-matched-frequency', 'imagenetv2-threshold0.7', 'imagenetv2-top-images']));
    expect(new Set(imagenet.runs.map((r) => r.model)).size).toBe(13);
    // the a-44 file fv_64k_model.npy is the model fv_64k
    expect(imagenet.runs.filter((r) => r.model === 'fv_64k')).toHaveLength(4);
    console.log(`[import] 13 models × 4 ImageNet sets (${(4 * 13 * 20000).toLocaleString('en-US')} rows incl. 50k-row val) in ${importSeconds.toFixed(1)} s`);
    expect(importSeconds).toBeLessThan(60);
  });

  it('reproduces exactly the published top-1 and top-5 counts for all 52 ImageNet runs (recounted from the stored rows)', () => {
    const cached = storeCounts(store);
    store.db.exec('DELETE FROM analysis_run_counts'); // drop the counts cached at import: recount every stored prediction
    const counts = storeCounts(store).filter((r) => r.testSet.startsWith('imagenet'));
    expect(storeCounts(store)).toEqual(cached);
    expect(counts).toHaveLength(52);
    for (const r of counts) {
      const p = published.get(`${r.model}|${r.testSet}`);
      expect(p, `${r.model} on ${r.testSet}`).toBeDefined();
      expect([r.model, r.testSet, r.n, r.top1Correct, r.top5Correct]).toEqual([r.model, r.testSet, p!.n, p!.top1Correct, p!.top5Correct]);
    }
    const resnet50 = (set: string) => counts.find((r) => r.model === 'resnet50' && r.testSet === set);
    expect(resnet50('imagenet-val')).toMatchObject({ n: 50000, top1Correct: 38065 });
    expect(resnet50('imagenetv2-matched-frequency')).toMatchObject({ n: 10000, top1Correct: 6333 });
  });

  it('agrees with the store\'s own scoring', () => {
    const run = latestRun(store, 'resnet50', 'imagenetv2-matched-frequency')!;
    expect(store.score(run)).toMatchObject({ n: 10000, failed: 0, top1Correct: 6333, top5Correct: 8465 });
  });

  it('reproduces exactly the published counts for the 15 CIFAR-10 models × 3 sets', () => {
    expect(cifar.runs).toHaveLength(45);
    store.db.exec('DELETE FROM analysis_run_counts');
    const counts = storeCounts(store, ['cifar10-test', 'cifar10.1-v4', 'cifar10.1-v6']);
    expect(counts).toHaveLength(45);
    for (const r of counts) {
      const p = published.get(`${r.model}|${r.testSet}`);
      expect(p, `${r.model} on ${r.testSet}`).toBeDefined();
      expect([r.model, r.testSet, r.n, r.top1Correct, r.top5Correct]).toEqual([r.model, r.testSet, p!.n, p!.top1Correct, null]);
    }
    expect(store.getDataset('cifar10.1-v4')?.size).toBe(2021);
    expect(store.getDataset('cifar10.1-v6')?.size).toBe(2000);
  });

  it('skips runs already imported (and replaces them only when asked)', () => {
    const again = writeImportBatch(store, readCifar101Predictions(join(SHARED_DATA, 'cifar10.1-predictions'), { metadata: SHARED_DATA, selectModel: (m) => m === 'nas' }));
    expect(again.runs.map((r) => r.skipped)).toEqual([true, true, true]);
    const replaced = writeImportBatch(store, readCifar101Predictions(join(SHARED_DATA, 'cifar10.1-predictions'), { metadata: SHARED_DATA, selectModel: (m) => m === 'nas' }), { replace: true });
    expect(replaced.runs.map((r) => r.skipped)).toEqual([false, false, false]);
    const nas = storeCounts(store).filter((r) => r.model === 'nas');
    expect(nas.map((r) => r.top1Correct)).toEqual(['cifar10-test', 'cifar10.1-v4', 'cifar10.1-v6'].map((s) => published.get(`nas|${s}`)!.top1Correct));
  });

  it('shows the imported CIFAR-10 models more accurate on images more CIFAR-10H annotators agreed on', () => {
    const dataset = store.getDataset('cifar10-test')!;
    const frequencies = readFrequencies(join(SHARED_DATA, 'cifar10h', 'cifar10h-counts.npy'), store.labels(dataset.id), store.imageIds(dataset.id));
    const models = storeCounts(store).filter((r) => r.testSet === 'cifar10-test');
    const bins = accuracyByFrequency(frequencies, models.map((m) => store.correctness(m.runId!, 1)));
    const populated = bins.filter((b) => b.images >= 20);
    console.log(`[cifar10h] bins ${bins.map((b) => `${b.lower}-${b.upper}: ${b.images} images, ${b.meanAccuracy === null ? '—' : (b.meanAccuracy * 100).toFixed(1)}%`).join('; ')}`);
    expect(populated.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < populated.length; i++) expect(populated[i]!.meanAccuracy!).toBeGreaterThan(populated[i - 1]!.meanAccuracy!);
    // every single model is more accurate in the top bin than in the lowest populated one
    const first = populated[0]!, last = populated[populated.length - 1]!;
    first.accuracy.forEach((a, m) => expect(last.accuracy[m]!).toBeGreaterThan(a!));
  });
});
