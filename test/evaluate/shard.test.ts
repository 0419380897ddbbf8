/**
 * `evaluateShard`: one model on explicit positions of a test set, into the run `retest eval` uses.
 * Two disjoint shards (written at once, without leases) add up to the whole run; a retried shard
 * writes nothing; the shard that completes the run marks it done.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { evaluate, evaluateShard, type EvalDataset } from '../../src/evaluate/index.ts';
import { readCifarBin } from '../../src/formats/index.ts';
import { openResultsStore } from '../helpers/results.ts';
import { describeWithData, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

describeWithData('evaluateShard', () => {
  let dataset: EvalDataset;
  const model = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
  beforeAll(() => {
    const file = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
    const arrays = readCifarBin(file);
    dataset = {
      name: 'first1000',
      source: file,
      numClasses: 10,
      images: Array.from(arrays.labels, (label, i) => ({ imageId: String(i), label })),
      pixels: { height: 32, width: 32, data: arrays.pixels },
      files: null,
    };
  });

  it('two shards at once make the same run as one evaluation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-shard-'));
    const store = await openResultsStore(join(dir, 'shards.db'));
    const even = dataset.images.map((_, i) => i).filter((i) => i % 2 === 0);
    const odd = dataset.images.map((_, i) => i).filter((i) => i % 2 === 1);
    const [a, b] = await Promise.all([
      evaluateShard({ store, dataset, modelPath: model, indices: even, options: { batchSize: 100, threads: 1 } }),
      evaluateShard({ store, dataset, modelPath: model, indices: odd, options: { batchSize: 100, threads: 1 } }),
    ]);
    expect(a.runId).toBe(b.runId);
    expect([a.written, b.written, a.skipped, b.skipped]).toEqual([500, 500, 0, 0]);
    expect([a.finished, b.finished].filter(Boolean)).toHaveLength(1);
    expect(await store.runStatus(a.runId)).toBe('done');
    const score = await store.score(a.runId);
    expect([score.n, score.top1Correct]).toEqual([1000, 915]);
    // A retried shard writes nothing.
    expect(await evaluateShard({ store, dataset, modelPath: model, indices: even.slice(0, 10), options: { threads: 1 } })).toMatchObject({
      runId: a.runId,
      written: 0,
      skipped: 10,
      finished: false,
    });
    // retest eval of the same model and set answers from the shards' run, with their predictions.
    const whole = await openResultsStore(join(dir, 'whole.db'));
    await evaluate({ store: whole, dataset, modelPath: model, options: { batchSize: 100, threads: 1 } });
    const again = await evaluate({ store, dataset, modelPath: model, options: { threads: 1 } });
    expect(again.top1.correct).toBe(915);
    expect((await store.predictions(a.runId)).map((p) => [p.idx, p.topk, p.scores])).toEqual(
      (await whole.predictions(1)).map((p) => [p.idx, p.topk, p.scores]),
    );
    await expect(evaluateShard({ store, dataset, modelPath: model, indices: [1000] })).rejects.toThrow(/not in test set/);
    await whole.close();
    await store.close();
  }, 120_000);
});
