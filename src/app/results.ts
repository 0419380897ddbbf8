/**
 * The results store from a `--db` value: a SQLite file (a path or `sqlite:PATH`; the embedded
 * default `retest.db`) or PostgreSQL (`postgres://user@host/database[?schema=NAME]`, schema
 * `retest_results` by default), migrated to this retest's schema on open. Any other URL scheme is
 * a usage error (see `parseStoreLocation`).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { makeDirectory } from '../core/index.ts';
import type { ResultsApp, StoreStatus } from '../cli/app-results.ts';
import { createResultsStore, type ResultsStore } from '../results/index.ts';
import { connectStore, migrationStatus, openStore, parseStoreLocation, refuseNewer } from '../store/index.ts';
import { resultsMigrations } from './migrations.ts';

/** The PostgreSQL schema of a results store whose URL names none. */
export const RESULTS_SCHEMA = 'retest_results';

/** Opens (creating and migrating) the results store at `value`. */
export async function openResultsStore(value: string): Promise<ResultsStore> {
  prepareSqliteFolder(value);
  return createResultsStore(await openStore(value, { migrations: resultsMigrations(), defaultSchema: RESULTS_SCHEMA }));
}

/** The results store at `value`, or null when it is a SQLite file that does not exist (nothing stored yet). */
export async function openResultsStoreIfPresent(value: string): Promise<ResultsStore | null> {
  return isMissingSqliteFile(value) ? null : openResultsStore(value);
}

/** Applied, pending and unknown migrations of the results store at `value`; changes nothing (a missing SQLite file is not created). */
export async function resultsStoreStatus(value: string): Promise<StoreStatus> {
  const migrations = resultsMigrations();
  if (isMissingSqliteFile(value)) {
    return {
      store: 'results',
      exists: false,
      location: sqlitePath(value),
      dialect: 'sqlite',
      applied: [],
      pending: migrations.map((m) => m.name),
      unknown: [],
    };
  }
  const db = await connectStore(value, { defaultSchema: RESULTS_SCHEMA });
  try {
    const status = await migrationStatus(db, migrations);
    return { store: 'results', exists: true, ...status, location: db.dialect === 'sqlite' ? sqlitePath(value) : status.location };
  } finally {
    await db.close();
  }
}

/** Applies the pending migrations of the results store at `value` (creating it); its status after. */
export async function migrateResultsStore(value: string): Promise<StoreStatus> {
  const before = await resultsStoreStatus(value);
  refuseNewer(before);
  await (await openResultsStore(value)).close();
  return resultsStoreStatus(value);
}

/** The results half of the App. */
export function resultsApp(): ResultsApp {
  return {
    openResults: openResultsStore,
    openResultsIfPresent: openResultsStoreIfPresent,
    async withResults(db, fn) {
      const store = await openResultsStore(db);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
    async withResultsIfPresent(db, fn) {
      const store = await openResultsStoreIfPresent(db);
      try {
        return await fn(store);
      } finally {
        await store?.close();
      }
    },
    resultsStatus: resultsStoreStatus,
    migrateResults: migrateResultsStore,
  };
}

function sqlitePath(value: string): string {
  const location = parseStoreLocation(value);
  return location.backend === 'sqlite' ? resolve(location.path) : value;
}

function isMissingSqliteFile(value: string): boolean {
  const location = parseStoreLocation(value);
  return location.backend === 'sqlite' && location.path !== ':memory:' && !existsSync(location.path);
}

/** A store under a file, or in a folder that cannot be made, fails here naming the culprit. */
function prepareSqliteFolder(value: string): void {
  const location = parseStoreLocation(value);
  if (location.backend === 'sqlite' && location.path !== ':memory:') makeDirectory(dirname(resolve(location.path)), '--db');
}
