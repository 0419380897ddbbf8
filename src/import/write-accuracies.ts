/**
 * Published accuracy tables into the results store (`retest import accuracies`), kept apart from
 * runs there: a run has per-image predictions, these have only an accuracy, so nothing that reads
 * per-image results (per-class accuracy, accuracy by selection frequency, a run's score) can claim
 * a metric for them. Each row is marked `kind = 'published accuracy'` (see src/results).
 */
import type { PublishedAccuracy, PublishedWriteSummary, ResultsStore } from '../results/index.ts';
import type { AccuracyTable } from './accuracy-table.ts';

/** What writing a table did, per (model, test set). */
export type AccuracyWriteSummary = PublishedWriteSummary;

/**
 * Writes every entry of the tables in ONE transaction (all or nothing). An entry whose (model, test
 * set) is already stored is skipped, or overwritten with `replace`.
 */
export function writeAccuracyTables(
  store: ResultsStore,
  tables: readonly AccuracyTable[],
  options: { collection: string; replace?: boolean; now?: string },
): Promise<AccuracyWriteSummary> {
  const rows = tables.flatMap((table) =>
    table.entries.map(
      (e): PublishedAccuracy => ({
        model: e.model,
        testSet: e.testSet,
        n: e.n,
        top1Correct: e.top1Correct,
        top5Correct: e.top5Correct,
        top1Accuracy: e.top1Accuracy,
        top5Accuracy: e.top5Accuracy,
        collection: options.collection,
        sourceFile: table.file,
        sourceLine: e.line,
        sourceColumn: e.column,
        units: e.units,
      }),
    ),
  );
  return store.writePublishedAccuracies(rows, { replace: options.replace ?? false, ...(options.now ? { now: options.now } : {}) });
}
