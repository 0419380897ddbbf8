/**
 * What the results-side commands (eval, import, analyze, report, plan trend, db) need from the
 * composition root: the results store named by `--db`. Implemented by `src/app` (results.ts); the
 * commands never open a store themselves.
 *
 * A `--db` value is a SQLite path (`retest.db`, `sqlite:PATH`) or `postgres://user@host/db[?schema=NAME]`
 * (the option defaults to `RETEST_DB`, else `retest.db`); any other URL scheme is a usage error.
 */
import type { ResultsStore } from '../results/index.ts';
import type { MigrationStatus } from '../store/index.ts';

/** The schema version of one store, as `retest db status` shows it. */
export interface StoreStatus extends MigrationStatus {
  /** Which kind of store: the results store (`--db`) or a workspace's (`--workspace`). */
  store: 'results' | 'workspace';
  /** False when there is nothing yet (a SQLite file not created): every migration is pending. */
  exists: boolean;
}

export interface ResultsApp {
  /** Opens the results store at `db`, creating it and applying pending migrations (a store of a newer retest is refused). */
  openResults(db: string): Promise<ResultsStore>;
  /** Like `openResults`, but null when `db` is a SQLite file that does not exist: reading commands then work from published results alone. */
  openResultsIfPresent(db: string): Promise<ResultsStore | null>;
  /** Runs `fn` with the store at `db` open, and closes it after (also when `fn` fails). */
  withResults<T>(db: string, fn: (store: ResultsStore) => Promise<T>): Promise<T>;
  /** `withResults` for reading commands: `fn` gets null when there is no store yet (see `openResultsIfPresent`). */
  withResultsIfPresent<T>(db: string, fn: (store: ResultsStore | null) => Promise<T>): Promise<T>;
  /** Applied, pending and unknown migrations of the store at `db`; changes nothing. */
  resultsStatus(db: string): Promise<StoreStatus>;
  /** Applies the pending migrations of the store at `db` (creating it); its status after. */
  migrateResults(db: string): Promise<StoreStatus>;
}
