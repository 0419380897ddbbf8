/**
 * The one adapter for better-sqlite3. Opens a database file in WAL mode with foreign keys on and
 * applies named, ordered migrations once each (recorded in `schema_migrations`), each in its own
 * transaction. Stages declare their schema as `Migration[]` and call `openDatabase` or `migrateSync`.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

// Loaded on first open (see sqlite-database.ts for the same reason).
const require = createRequire(import.meta.url);
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromSystemError, ioError } from '../core/errors.ts';
import { makeDirectory } from '../core/files.ts';
import { migrationSql, refuseNewer } from './migrate.ts';
import type { Migration } from './types.ts';

export type Db = BetterSqlite3.Database;

/**
 * Opens (creating if needed) a SQLite file; `:memory:` for tests. Every fault on the way — a folder
 * that cannot be created or written, a file that is not a SQLite database or is damaged, a
 * read-only file — is a RetestError naming the file with a hint (never a bare SqliteError): the
 * first statements run here, inside the same guard, because SQLite reads the file lazily.
 */
export function openDatabase(path: string, migrations: readonly Migration[] = []): Db {
  if (path !== ':memory:') {
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw ioError('the store path is a folder', {
        file: path,
        expected: 'a SQLite file (or a path where one can be created)',
        received: 'a folder',
        hint: 'give a file name, e.g. retest.db',
      });
    }
    makeDirectory(dirname(path));
  }
  let db: Db | undefined;
  try {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    migrateSync(db, migrations);
    // SQLite falls back to read-only when the file or its folder is not writable, and says so only
    // at the first write, deep inside some command: take (and release) the write lock now instead.
    probeWritable(db);
    return db;
  } catch (cause) {
    if (db?.open) db.close();
    const known = fromSystemError(cause, path);
    if (known) throw known;
    throw ioError('cannot open the store', { file: path, cause, hint: 'check that the path is writable and is a SQLite database' });
  }
}

/**
 * Applies `migrations` on a connection that `openSqliteDatabase` opened (the workspace shares one
 * connection between its synchronous `Db` and its async stores) and probes that it is writable,
 * with the same errors as `openDatabase`.
 */
export function prepareConnection(db: Db, path: string, migrations: readonly Migration[]): void {
  try {
    refuseNewerSync(db, path, migrations);
    migrateSync(db, migrations);
    probeWritable(db);
  } catch (cause) {
    const known = fromSystemError(cause, path);
    if (known) throw known;
    throw ioError('cannot open the store', { file: path, cause, hint: 'check that the path is writable and is a SQLite database' });
  }
}

/** A store written by a newer retest (migrations this build does not know) is refused, as on the port. */
function refuseNewerSync(db: Db, path: string, migrations: readonly Migration[]): void {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() === undefined) return;
  const rows = db.prepare('SELECT name, applied_at AS appliedAt FROM schema_migrations ORDER BY applied_at, name').all() as {
    name: string;
    appliedAt: string;
  }[];
  const known = new Set(migrations.map((m) => m.name));
  const applied = new Set(rows.map((r) => r.name));
  refuseNewer({
    location: path,
    dialect: 'sqlite',
    applied: rows,
    pending: migrations.filter((m) => !applied.has(m.name)).map((m) => m.name),
    unknown: rows.filter((r) => !known.has(r.name)).map((r) => r.name),
  });
}

/** A write that is rolled back: SQLITE_READONLY (or another fault) now rather than mid-command. */
function probeWritable(db: Db): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(`CREATE TABLE main._retest_write_probe_${process.pid}_${Date.now()} (x INTEGER)`);
  } finally {
    db.exec('ROLLBACK');
  }
}

/** Applies the migrations not yet recorded in this database, in order. */
export function migrateSync(db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name));
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    db.transaction(() => {
      db.exec(migrationSql(migration, 'sqlite'));
      record.run(migration.name, new Date().toISOString());
    }).immediate();
  }
}
