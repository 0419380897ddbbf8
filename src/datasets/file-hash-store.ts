/**
 * File hashes computed once: the sha256 of a file (and other facts derived from its bytes) kept in
 * `<cache>/file-hashes.db`, keyed by absolute path and valid while the file's size and
 * modification time (nanoseconds) are unchanged. Reading 50,000 ImageNet JPEGs takes seconds;
 * checking that their size and mtime are unchanged takes milliseconds.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pMap from 'p-map';
import { fromSystemError, ioError } from '../core/errors.ts';
import { hashFile } from '../core/hash.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import { migrateDatabase, openSqliteDatabase, type SqlDatabase, type SqlMigration } from '../store/index.ts';

export const FILE_HASHES_DB = 'file-hashes.db';

const migrations: SqlMigration[] = [
  {
    name: 'file-hashes-001',
    sql: `
      CREATE TABLE file_facts (
        path TEXT NOT NULL,        -- absolute path
        fact TEXT NOT NULL,        -- 'sha256', or a named check of the file's bytes
        size INTEGER NOT NULL,     -- bytes, when the fact was computed
        mtime_ns TEXT NOT NULL,    -- modification time in nanoseconds (as text: beyond 2^53)
        value TEXT NOT NULL,
        computed_at TEXT NOT NULL,
        PRIMARY KEY (path, fact)
      ) WITHOUT ROWID;
    `,
  },
];

/** Size and mtime of a file: a cached fact is valid while both are unchanged. */
function signature(path: string): { size: number; mtimeNs: string } {
  try {
    const stats = statSync(path, { bigint: true });
    return { size: Number(stats.size), mtimeNs: String(stats.mtimeNs) };
  } catch (cause) {
    throw fromSystemError(cause, path) ?? ioError('cannot read the file', { file: path, cause });
  }
}

/** Facts about files, cached by (path, size, mtime); without a database nothing is kept. */
export class FileHashCache {
  private readonly memory = new Map<string, { size: number; mtimeNs: string; value: string }>();
  /** The SQLite file, opened and migrated in the background; null: nothing is kept between processes. */
  private readonly db: Promise<SqlDatabase | null>;

  /** `dbPath` null: an uncached hasher (each process computes again). A file that cannot be opened fails the first `fact` (see `openFileHashCache`). */
  constructor(dbPath: string | null) {
    this.db = dbPath === null ? Promise.resolve(null) : openCacheFile(dbPath);
    this.db.catch(() => {}); // reported where it is awaited
  }

  /** Resolves once the cache file is open (rejects when it cannot be). */
  async ready(): Promise<void> {
    await this.db;
  }

  /** A fact about `path` derived from its bytes, computed by `compute` unless cached for its current size and mtime. */
  async fact(path: string, fact: string, compute: (path: string) => Promise<string>): Promise<string> {
    const file = resolve(path);
    const now = signature(file);
    const key = `${fact}\0${file}`;
    const db = await this.db;
    const known =
      this.memory.get(key) ??
      (await db?.get<{ size: number; mtimeNs: string; value: string }>(
        'SELECT size, mtime_ns AS "mtimeNs", value FROM file_facts WHERE path = ? AND fact = ?',
        [file, fact],
      ));
    if (known && known.size === now.size && known.mtimeNs === now.mtimeNs) return known.value;
    const value = await compute(file);
    // A file rewritten while it was read keeps no fact: the next call reads it again.
    const after = signature(file);
    if (after.size === now.size && after.mtimeNs === now.mtimeNs) {
      this.memory.set(key, { ...now, value });
      await db?.run(
        'INSERT INTO file_facts (path, fact, size, mtime_ns, value, computed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (path, fact) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, value = excluded.value, computed_at = excluded.computed_at',
        [file, fact, now.size, now.mtimeNs, value, new Date().toISOString()],
      );
    }
    return value;
  }

  /** The sha256 (hex) of a file. */
  sha256(path: string): Promise<string> {
    return this.fact(path, 'sha256', (file) => hashFile(file, 'sha256'));
  }

  /** The sha256 of each file, in order, reading up to `concurrency` at once. */
  async sha256Many(paths: readonly string[], progress: Progress = silentProgress, concurrency = 8): Promise<string[]> {
    return pMap(
      paths,
      async (path) => {
        const hash = await this.sha256(path);
        progress.tick(1);
        return hash;
      },
      { concurrency },
    );
  }

  async close(): Promise<void> {
    await (await this.db.catch(() => null))?.close();
  }
}

/**
 * The cache in `<cacheDir>/file-hashes.db`. When the cache folder cannot be written (a read-only
 * home, say) hashes are still computed, only not kept, and `options.warn` is told why.
 */
export async function openFileHashCache(cacheDir: string | null, options: { warn?: (message: string) => void } = {}): Promise<FileHashCache> {
  if (cacheDir === null) return new FileHashCache(null);
  const path = join(resolve(cacheDir), FILE_HASHES_DB);
  const cache = new FileHashCache(path);
  try {
    await cache.ready();
    return cache;
  } catch (error) {
    options.warn?.(
      `the file-hash cache ${path} cannot be opened (${error instanceof Error ? error.message : String(error)}); every file's content is hashed again on each run`,
    );
    return new FileHashCache(null);
  }
}

async function openCacheFile(path: string): Promise<SqlDatabase> {
  const db = openSqliteDatabase(path);
  try {
    await migrateDatabase(db, migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
