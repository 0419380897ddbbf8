/**
 * Published accuracies in the results store (`retest import accuracies`), kept apart from `runs`:
 * a run has per-image predictions, these have only an accuracy, so nothing that reads per-image
 * results (per-class accuracy, accuracy by selection frequency, `store.score`) can claim a metric
 * for them. Each row is marked `kind = 'published accuracy'`. The table is this stage's own
 * migration on `store.db`.
 */
import { migrate, type Migration, type ResultsStore } from '../store/index.ts';
import type { AccuracyEntry, AccuracyTable } from './accuracy-table.ts';
import type { CountRecord } from './types.ts';

export const accuracyMigrations: Migration[] = [
  {
    name: 'import-accuracies-001',
    sql: `
      CREATE TABLE published_accuracies (
        id INTEGER PRIMARY KEY,
        model TEXT NOT NULL,                -- the key cells joined by '@'
        test_set TEXT NOT NULL,             -- canonical test-set name
        n INTEGER NOT NULL,                 -- images in the test set
        top1_correct INTEGER NOT NULL,      -- round(top1_accuracy × n)
        top5_correct INTEGER,               -- round(top5_accuracy × n); NULL when not published
        top1_accuracy REAL NOT NULL,        -- as published, as a fraction
        top5_accuracy REAL,
        collection TEXT NOT NULL,           -- name of the table (--collection), shown in reports
        source_file TEXT NOT NULL,
        source_line INTEGER NOT NULL,       -- 1 = header
        source_column TEXT NOT NULL,
        units TEXT NOT NULL CHECK (units IN ('percent', 'fraction')),
        kind TEXT NOT NULL DEFAULT 'published accuracy' CHECK (kind = 'published accuracy'),
        imported_at TEXT NOT NULL,
        UNIQUE (model, test_set)
      );
    `,
  },
];

/** What writing a table did, per (model, test set). */
export interface AccuracyWriteSummary {
  /** Entries written. */
  imported: number;
  /** Entries already in the store for the same (model, test set), left as they were (no --replace). */
  skipped: AccuracyEntry[];
  /** Models of the table that also have per-image results in the store (those take precedence in analyses). */
  shadowed: string[];
}

/**
 * Writes every entry of the tables in ONE transaction (all or nothing). An entry whose (model, test
 * set) is already stored is skipped, or overwritten with `replace`.
 */
export function writeAccuracyTables(store: ResultsStore, tables: readonly AccuracyTable[], options: { collection: string; replace?: boolean; now?: string }): AccuracyWriteSummary {
  migrate(store.db, accuracyMigrations);
  const now = options.now ?? new Date().toISOString();
  const exists = store.db.prepare('SELECT 1 FROM published_accuracies WHERE model = ? AND test_set = ?').pluck();
  const upsert = store.db.prepare(
    `INSERT INTO published_accuracies (model, test_set, n, top1_correct, top5_correct, top1_accuracy, top5_accuracy, collection, source_file, source_line, source_column, units, imported_at)
     VALUES (@model, @testSet, @n, @top1Correct, @top5Correct, @top1Accuracy, @top5Accuracy, @collection, @file, @line, @column, @units, @now)
     ON CONFLICT (model, test_set) DO UPDATE SET n = excluded.n, top1_correct = excluded.top1_correct, top5_correct = excluded.top5_correct,
       top1_accuracy = excluded.top1_accuracy, top5_accuracy = excluded.top5_accuracy, collection = excluded.collection, source_file = excluded.source_file,
       source_line = excluded.source_line, source_column = excluded.source_column, units = excluded.units, imported_at = excluded.imported_at`,
  );
  const perImage = new Set((store.db.prepare("SELECT DISTINCT m.name FROM runs r JOIN models m ON m.id = r.model_id WHERE r.status = 'done'").pluck().all() as string[]));
  const summary: AccuracyWriteSummary = { imported: 0, skipped: [], shadowed: [] };
  store.db.transaction(() => {
    for (const table of tables) {
      for (const e of table.entries) {
        if (!options.replace && exists.get(e.model, e.testSet) !== undefined) { summary.skipped.push(e); continue; }
        upsert.run({ ...e, collection: options.collection, file: table.file, now });
        summary.imported++;
      }
    }
  }).immediate();
  summary.shadowed = [...new Set(tables.flatMap((t) => t.models))].filter((m) => perImage.has(m)).sort();
  return summary;
}

/** The published accuracies in the store as counts (source 'table'), optionally only on some test sets. */
export function accuracyCounts(store: ResultsStore, testSets?: readonly string[]): CountRecord[] {
  migrate(store.db, accuracyMigrations);
  const rows = store.db
    .prepare('SELECT model, test_set AS testSet, n, top1_correct AS top1Correct, top5_correct AS top5Correct, collection FROM published_accuracies ORDER BY test_set, model')
    .all() as { model: string; testSet: string; n: number; top1Correct: number; top5Correct: number | null; collection: string }[];
  return rows.filter((r) => !testSets || testSets.includes(r.testSet)).map((r) => ({ ...r, source: 'table' as const }));
}
