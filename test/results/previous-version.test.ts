/**
 * A results store written by the retest before issue 12 (the synchronous ResultsStore of commit
 * 69212dc) opens with all of its data: test-set versions, runs with a failed image and logits, an
 * interrupted run still leased by a process of another machine, imports whose counts were cached
 * by the analysis stage, and a published accuracy table. `fixtures/results-before-issue-12.db` was
 * written by that code; `fixtures/results-before-issue-12.json` holds what that code answered
 * (listDatasets, listScores, storeCounts, accuracyCounts, predictions, …) — the new store must give
 * the same answers after applying `results-003-run-counts`.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openResultsStore, resultsStoreStatus } from '../../src/app/results.ts';
import { RESULTS_MIGRATIONS } from '../../src/results/index.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'results-before-issue-12.db');
const expected = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'results-before-issue-12.json'), 'utf8')) as Record<string, any>;

function copy(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'retest-previous-')), 'results.db');
  copyFileSync(FIXTURE, path);
  return path;
}

describe('a results store written before issue 12', () => {
  it('shows its pending migrations (results-003, results-004), then opens with the same answers as the code that wrote it', async () => {
    const path = copy();
    const status = await resultsStoreStatus(path);
    expect(status.applied.map((a) => a.name)).toEqual(expected.migrations);
    expect([status.pending, status.unknown]).toEqual([['results-003-run-counts', 'results-004-run-provenance'], []]);

    const store = await openResultsStore(path);
    try {
      expect(await store.listDatasets()).toEqual(expected.datasets);
      expect(await store.getDataset('six@v1')).toEqual(expected.archived);
      expect(await store.listScores()).toEqual(expected.scores);
      expect(await store.counts()).toEqual(expected.counts);
      expect(await store.publishedCounts()).toEqual(expected.accuracies);
      const predictions = (await store.predictions(1)).map((p) => ({ ...p, logits: p.logits ? Array.from(p.logits) : null }));
      expect(predictions).toEqual(expected.firstRunPredictions);
      expect(Array.from(await store.correctness(1, 5))).toEqual(expected.correctnessTop5);
      // The run on the archived version, counted once from its rows: image 2 failed, image 4's label is not in its top-5.
      expect(await store.score(1)).toMatchObject({
        dataset: 'six',
        datasetVersion: 1,
        n: 6,
        failed: 1,
        top1Correct: 3,
        top5Correct: 4,
        imagesPerSecond: 123.5,
      });
      // The interrupted run resumes where it stopped; the other machine's lease (2026-01-01) has lapsed.
      const { runId, done, status: runStatus } = expected.interrupted as { runId: number; done: number[]; status: string };
      expect([[...(await store.doneIndices(runId))], await store.runStatus(runId)]).toEqual([done, runStatus]);
      expect(await store.leaseRun(runId, { id: 'here:1', leaseSeconds: 60 })).toEqual({ acquired: true });
      await store.writePredictions(
        runId,
        [1, 2, 3, 4, 5].map((idx) => ({ idx, topk: [idx, 0, 1, 2, 3], scores: null, error: null })),
        { id: 'here:1', leaseSeconds: 60 },
      );
      await store.finishRun(runId, 10);
      expect(await store.score(runId)).toMatchObject({ model: 'slow', n: 6, failed: 0, top1Correct: 6, top5Correct: 6 });
    } finally {
      await store.close();
    }
    const after = await resultsStoreStatus(path);
    expect(after.applied.map((a) => a.name).sort()).toEqual(RESULTS_MIGRATIONS.map((m) => m.name).sort());
    expect(after.pending).toEqual([]);
  });
});
