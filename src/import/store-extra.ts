/**
 * Reads the store for analysis in one SQL pass per query (the store's `score()` parses every row in
 * JavaScript; this aggregates in SQLite). Kept here, beside its only users, on `store.db`.
 */
import type { ResultsStore } from '../store/index.ts';
import type { CountRecord } from './types.ts';

/**
 * Correct counts of every finished run. When a model has several finished runs on one test set
 * (e.g. evaluated with two preprocessing configs), the latest one is used.
 */
export function storeCounts(store: ResultsStore): CountRecord[] {
  const rows = store.db
    .prepare(
      `WITH latest AS (
         SELECT MAX(id) AS id FROM runs WHERE status = 'done' GROUP BY model_id, dataset_id
       )
       SELECT r.id AS runId, m.name AS model, d.name AS testSet, d.size AS n,
         (SELECT COUNT(*) FROM predictions p JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx
            WHERE p.run_id = r.id AND p.error IS NULL AND p.top1 = i.label) AS top1Correct,
         (SELECT COUNT(*) FROM predictions p JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx
            WHERE p.run_id = r.id AND p.error IS NULL
              AND EXISTS (SELECT 1 FROM json_each(p.topk) j WHERE j.key < 5 AND j.value = i.label)) AS top5Correct,
         (SELECT COUNT(*) FROM predictions p WHERE p.run_id = r.id AND p.error IS NULL AND json_array_length(p.topk) < 5) AS short
       FROM latest JOIN runs r ON r.id = latest.id JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id
       ORDER BY d.name, m.name`,
    )
    .all() as { runId: number; model: string; testSet: string; n: number; top1Correct: number; top5Correct: number; short: number }[];
  return rows.map((r) => ({
    model: r.model,
    testSet: r.testSet,
    n: r.n,
    top1Correct: r.top1Correct,
    top5Correct: r.short > 0 ? null : r.top5Correct,
    source: 'store' as const,
    runId: r.runId,
  }));
}

/** The latest finished run of a model on a test set, or undefined. */
export function latestRun(store: ResultsStore, model: string, testSet: string): number | undefined {
  const row = store.db
    .prepare(
      `SELECT MAX(r.id) AS id FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id
       WHERE r.status = 'done' AND m.name = ? AND d.name = ?`,
    )
    .get(model, testSet) as { id: number | null };
  return row.id ?? undefined;
}
