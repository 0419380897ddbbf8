import { usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { toIso } from './time.ts';

/**
 * Review decision on answered assignments: 'approved' or 'rejected'. Only answered assignments
 * (submitted, approved, rejected) change; open/expired ids and unknown ids are returned as
 * `skipped`. A rejected assignment's answers leave the frequencies and its slot returns to the pool.
 */
export function setAssignmentStatus(db: Db, ids: readonly string[], status: 'approved' | 'rejected'): { changed: number; skipped: string[] } {
  if (status !== 'approved' && status !== 'rejected') throw usageError('status must be approved or rejected', { field: 'status', received: String(status) });
  const update = db.prepare("UPDATE assignments SET status = ? WHERE id = ? AND status IN ('submitted', 'approved', 'rejected')");
  return db
    .transaction(() => {
      let changed = 0;
      const skipped: string[] = [];
      for (const id of ids) {
        const n = update.run(status, id).changes;
        if (n === 0) skipped.push(id);
        changed += n;
      }
      return { changed, skipped };
    })
    .immediate();
}

/**
 * Review decision on a worker. 'rejected' removes all of the worker's answers from the selection
 * frequencies at once (and frees their task slots; no new claims), without deleting any raw answer;
 * 'approved' restores them. Assignment rows keep their own status.
 */
export function setWorkerStatus(db: Db, workerHash: string, status: 'approved' | 'rejected', options: { reason?: string; now?: Date | string } = {}): void {
  if (status !== 'approved' && status !== 'rejected') throw usageError('status must be approved or rejected', { field: 'status', received: String(status) });
  const now = toIso(options.now ?? new Date());
  db.prepare(`INSERT INTO label_workers (worker_hash, status, reason, updated_at) VALUES (?, ?, ?, ?)
              ON CONFLICT (worker_hash) DO UPDATE SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`).run(
    workerHash,
    status,
    options.reason ?? null,
    now,
  );
}
