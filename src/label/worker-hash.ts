import { randomBytes } from 'node:crypto';
import { sha256Hex, usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';

/**
 * The stored form of a worker id: hex sha256(salt + "\n" + rawId). Raw ids (MTurk WorkerIds,
 * labeller names) never reach the database.
 */
export function hashWorkerId(salt: string, rawId: string): string {
  if (salt.length === 0) throw usageError('the worker-id salt is empty', { hint: 'use workerSalt(db) to get the workspace salt' });
  if (rawId.trim().length === 0) throw usageError('a worker id is empty', { field: 'worker id' });
  return sha256Hex(`${salt}\n${rawId.trim()}`);
}

/** The workspace's worker-id salt (`label_settings.worker_salt`), created (256 random bits) on first use. */
export function workerSalt(db: Db): string {
  const row = db.prepare("SELECT value FROM label_settings WHERE key = 'worker_salt'").get() as { value: string } | undefined;
  if (row) return row.value;
  const salt = randomBytes(32).toString('hex');
  db.prepare("INSERT OR IGNORE INTO label_settings (key, value) VALUES ('worker_salt', ?)").run(salt);
  return (db.prepare("SELECT value FROM label_settings WHERE key = 'worker_salt'").get() as { value: string }).value;
}
