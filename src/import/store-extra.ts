/**
 * Reads the store for analysis: each finished run's correct counts (`ResultsStore.score`), cached
 * per run. The cache table is this stage's own migration, on `store.db`.
 */
import { CURRENT_VERSION_SQL, migrate, type Migration, type ResultsStore } from '../store/index.ts';
import type { CountRecord } from './types.ts';

/**
 * A cache of each finished run's correct counts, so `analyze` and `report` do not rescan every
 * prediction row each time (a million rows for the 13 ImageNet models). Rows go away with their run
 * (ON DELETE CASCADE); a finished run never changes, so a cached row never goes stale.
 */
export const analysisMigrations: Migration[] = [
  {
    name: 'analysis-001-run-counts',
    sql: `
      CREATE TABLE analysis_run_counts (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,                 -- images in the dataset
        top1_correct INTEGER NOT NULL,
        top5_correct INTEGER,               -- NULL when fewer than 5 classes were stored for some image
        computed_at TEXT NOT NULL
      );
    `,
  },
];

/**
 * Correct counts of every finished run on the current version of its test set (runs on an older
 * content of a changed file are left out: see `ResultsStore.registerDataset`). When a model has several
 * finished runs on one test set (e.g. evaluated with two preprocessing configs), the latest one is
 * used. `testSets` limits the answer to those sets.
 */
export function storeCounts(store: ResultsStore, testSets?: readonly string[]): CountRecord[] {
  migrate(store.db, analysisMigrations);
  const runs = store.db
    .prepare(
      `SELECT r.id AS runId, m.name AS model, d.name AS testSet, c.n AS n, c.top1_correct AS top1Correct, c.top5_correct AS top5Correct
       FROM (SELECT MAX(r.id) AS id FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.status = 'done' AND ${CURRENT_VERSION_SQL} GROUP BY r.model_id, r.dataset_id) latest
       JOIN runs r ON r.id = latest.id JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id
       LEFT JOIN analysis_run_counts c ON c.run_id = r.id
       ORDER BY d.name, m.name`,
    )
    .all() as { runId: number; model: string; testSet: string; n: number | null; top1Correct: number | null; top5Correct: number | null }[];
  const wanted = testSets ? runs.filter((r) => testSets.includes(r.testSet)) : runs;
  const missing = wanted.filter((r) => r.n === null);
  if (missing.length > 0) {
    const save = store.db.prepare('INSERT OR REPLACE INTO analysis_run_counts (run_id, n, top1_correct, top5_correct, computed_at) VALUES (?, ?, ?, ?, ?)');
    const now = new Date().toISOString();
    store.db.transaction(() => {
      for (const r of missing) {
        const c = store.score(r.runId);
        r.n = c.n;
        r.top1Correct = c.top1Correct;
        r.top5Correct = c.top5Correct;
        save.run(r.runId, r.n, r.top1Correct, r.top5Correct, now);
      }
    }).immediate();
  }
  return wanted.map((r) => ({
    model: r.model,
    testSet: r.testSet,
    n: r.n as number,
    top1Correct: r.top1Correct as number,
    top5Correct: r.top5Correct,
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
