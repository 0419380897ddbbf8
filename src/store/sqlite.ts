/**
 * The one adapter for better-sqlite3. Opens a database file in WAL mode with foreign keys on and
 * applies named, ordered migrations once each (recorded in `schema_migrations`), each in its own
 * transaction. Stages declare their schema as `Migration[]` and call `openDatabase` or `migrate`.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ioError } from '../core/errors.ts';

export type Db = Database.Database;

export interface Migration {
  /** Unique, stable name, e.g. "eval-001-initial". Never rename one that shipped. */
  name: string;
  /** SQL run once, inside a transaction. */
  sql: string;
}

/** Opens (creating if needed) a SQLite file; `:memory:` for tests. */
export function openDatabase(path: string, migrations: readonly Migration[] = []): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path);
  } catch (cause) {
    throw ioError(`cannot open the store`, { file: path, cause, hint: 'check that the path is writable and is a SQLite database' });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  migrate(db, migrations);
  return db;
}

/** Applies the migrations not yet recorded in this database, in order. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name));
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.name, new Date().toISOString());
    }).immediate();
  }
}
