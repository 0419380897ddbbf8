/**
 * From a `--db` value to an open, migrated database: a file path (or `sqlite:PATH`) is SQLite,
 * `postgres://` / `postgresql://` is PostgreSQL, any other URL scheme is refused (it used to be
 * taken as a file name and silently created a folder named `postgres:`).
 */
import { usageError } from '../core/errors.ts';
import { migrate } from './migrate.ts';
import { openPostgresDatabase } from './postgres-database.ts';
import { openSqliteDatabase } from './sqlite-database.ts';
import type { Migration, SqlDatabase } from './types.ts';

/** Where a store lives, parsed from a `--db` value. */
export type StoreLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

/** Parses a `--db` value (a path, `sqlite:PATH`, or `postgres://…`). */
export function parseStoreLocation(value: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(value)) return { backend: 'postgres', url: value };
  if (value.startsWith('sqlite:')) return { backend: 'sqlite', path: value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme) {
    throw usageError(`unsupported store URL scheme "${scheme[1]}:"`, {
      field: '--db',
      received: value.replace(/:[^:@/]*@/, ':***@'),
      expected: 'a SQLite file path (retest.db, sqlite:PATH) or postgres://user@host/database',
    });
  }
  return { backend: 'sqlite', path: value };
}

export interface ConnectOptions {
  /** PostgreSQL schema when the URL has no `?schema=` (e.g. 'retest_results'). */
  defaultSchema: string;
  /** Most pooled connections on PostgreSQL. */
  maxConnections?: number;
}

export interface OpenStoreOptions extends ConnectOptions {
  /** The migrations of every stage that keeps tables in this store, in order. */
  migrations: readonly Migration[];
}

/** Opens the database at `value` as it is, applying nothing (`retest db status` reads its ledger). */
export async function connectStore(value: string, options: ConnectOptions): Promise<SqlDatabase> {
  const location = parseStoreLocation(value);
  return location.backend === 'sqlite'
    ? openSqliteDatabase(location.path)
    : openPostgresDatabase(location.url, {
        defaultSchema: options.defaultSchema,
        ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      });
}

/** Opens the store at `value` and applies its pending migrations. */
export async function openStore(value: string, options: OpenStoreOptions): Promise<SqlDatabase> {
  const db = await connectStore(value, options);
  try {
    await migrate(db, options.migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
