/**
 * Options shared by many commands, so that `--db`, `--json` and `--data-dir` mean the same
 * everywhere.
 */
import { Option } from 'commander';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { usageError } from '../core/errors.ts';
import type { ResultsStore } from '../results/index.ts';
import { parseStoreLocation } from '../store/index.ts';

/** The results store used when neither `--db` nor `RETEST_DB` is given: an embedded SQLite file. */
export const DEFAULT_DB = 'retest.db';

/** `--db`: where the results store is — a SQLite path, `sqlite:PATH` or `postgres://…`; `RETEST_DB` when not given. */
export const dbOption = () =>
  new Option('--db <file|url>', 'results store: a SQLite file (retest.db, sqlite:PATH) or postgres://user@host/db[?schema=NAME]')
    .env('RETEST_DB')
    .default(DEFAULT_DB)
    // Checked as the command line is read: a URL of another scheme fails before any work starts.
    .argParser((value: string) => (parseStoreLocation(value), value));

/** How messages name a results store: a SQLite file by its absolute path, PostgreSQL by its URL without the password. */
export function storeName(store: ResultsStore): string {
  return store.backend === 'sqlite' ? resolve(store.location) : store.location;
}
export const jsonOption = () => new Option('--json', 'print one JSON object instead of tables (no progress bar)');
export const dataDirOption = () => new Option('--data-dir <dir>', 'folder searched first for datasets').env('RETEST_DATA_DIR');

/** The download cache: $RETEST_CACHE, else $XDG_CACHE_HOME/retest, else ~/.cache/retest. */
export function cacheDir(): string {
  if (process.env.RETEST_CACHE) return resolve(process.env.RETEST_CACHE);
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'retest');
}

/** Parses a positive integer option, naming the option on error. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw usageError(`${name} must be a positive integer`, { field: name, received: JSON.stringify(value), expected: 'an integer ≥ 1' });
    return n;
  };
}

/** Prints one JSON object on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
