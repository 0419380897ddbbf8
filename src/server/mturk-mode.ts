/**
 * MTurk mode's switch. Off by default: `/mturk` answers nothing until the builder turns it on for
 * a batch of tasks and names the HITs published for it (`retest mturk enable`). Then only those
 * HIT ids are served, each worker gets tasks of that batch only, and `retest mturk disable` turns
 * it off again (answers already stored stay). A HIT id is MTurk's, so knowing one is not proof of
 * much; the point is that anonymous requests with invented ids get nothing — no task, no images.
 */
import { usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { prepared } from './statements.ts';

/** MTurk's HITIds and AssignmentIds: letters, digits, _ and -. */
export const MTURK_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** One batch's MTurk state, as `retest mturk status` lists it. */
export interface MturkBatchState {
  /** `tasks.batch`. */
  batch: string;
  /** Tasks in the batch. */
  tasks: number;
  /** Whether MTurk mode is on for it. */
  enabled: boolean;
  /** HITs published for it. */
  hits: number;
  /** When it was (last) turned on, or null when never. */
  enabledAt: string | null;
}

/** The batches of the workspace (newest first) with their MTurk state. */
export function mturkStatus(db: Db): MturkBatchState[] {
  return db
    .prepare(
      `SELECT t.batch AS batch, COUNT(*) AS tasks, MAX(t.created_at) AS created,
         (SELECT b.disabled_at IS NULL FROM server_mturk_batches b WHERE b.batch = t.batch) AS enabled,
         (SELECT b.enabled_at FROM server_mturk_batches b WHERE b.batch = t.batch) AS enabledAt,
         (SELECT COUNT(*) FROM server_mturk_hits h WHERE h.batch = t.batch) AS hits
       FROM tasks t GROUP BY t.batch ORDER BY created DESC, batch`,
    )
    .all()
    .map((r) => {
      const row = r as { batch: string; tasks: number; enabled: number | null; enabledAt: string | null; hits: number };
      return { batch: row.batch, tasks: row.tasks, enabled: row.enabled === 1, hits: row.hits, enabledAt: row.enabledAt };
    });
}

/** The newest batch (by creation time), or null when there are no tasks. */
export function latestBatch(db: Db): string | null {
  return (db.prepare('SELECT batch FROM tasks ORDER BY created_at DESC, seq DESC LIMIT 1').get() as { batch: string } | undefined)?.batch ?? null;
}

/**
 * Turns MTurk mode on for `batch` and records the HIT ids published for it (added to any recorded
 * before). A HIT id already recorded for another batch, a malformed id or an unknown batch is a
 * usage error. Returns how many HIT ids were new.
 */
export function enableMturk(db: Db, options: { batch: string; hitIds: readonly string[]; now?: Date }): { batch: string; added: number; hits: number } {
  const now = (options.now ?? new Date()).toISOString();
  const known = db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE batch = ?').get(options.batch) as { n: number };
  if (known.n === 0) {
    const batches = mturkStatus(db).map((b) => b.batch);
    throw usageError(`no tasks in batch "${options.batch}"`, { field: '--batch', expected: batches.length ? `one of: ${batches.slice(0, 5).map((b) => JSON.stringify(b)).join(', ')}` : 'a batch made by `retest tasks create`', received: JSON.stringify(options.batch), hint: 'run `retest mturk status` for the batches' });
  }
  if (options.hitIds.length === 0) throw usageError('no HIT ids given', { field: '--hits', hint: 'give the HITIds MTurk returned when you published the HITs (--hit ID…, or --hits FILE)' });
  for (const id of options.hitIds) {
    if (!MTURK_ID.test(id)) throw usageError('a HIT id must be letters, digits, _ and - (at most 128)', { field: '--hits', received: JSON.stringify(id) });
  }
  return db.transaction(() => {
    db.prepare('INSERT INTO server_mturk_batches (batch, enabled_at) VALUES (?, ?) ON CONFLICT (batch) DO UPDATE SET enabled_at = excluded.enabled_at, disabled_at = NULL').run(options.batch, now);
    const owner = db.prepare('SELECT batch FROM server_mturk_hits WHERE hit_id = ?');
    const insert = db.prepare('INSERT OR IGNORE INTO server_mturk_hits (hit_id, batch, published_at) VALUES (?, ?, ?)');
    let added = 0;
    for (const id of new Set(options.hitIds)) {
      const other = owner.get(id) as { batch: string } | undefined;
      if (other && other.batch !== options.batch) throw usageError(`HIT ${id} is already recorded for batch "${other.batch}"`, { field: '--hits', received: id, hint: 'a HIT belongs to one batch' });
      added += insert.run(id, options.batch, now).changes;
    }
    const hits = (db.prepare('SELECT COUNT(*) AS n FROM server_mturk_hits WHERE batch = ?').get(options.batch) as { n: number }).n;
    return { batch: options.batch, added, hits };
  })();
}

/** Turns MTurk mode off for `batch` (or for every batch). Returns the batches turned off. */
export function disableMturk(db: Db, options: { batch?: string; now?: Date } = {}): string[] {
  const now = (options.now ?? new Date()).toISOString();
  const rows = (options.batch === undefined
    ? db.prepare('SELECT batch FROM server_mturk_batches WHERE disabled_at IS NULL').all()
    : db.prepare('SELECT batch FROM server_mturk_batches WHERE disabled_at IS NULL AND batch = ?').all(options.batch)) as { batch: string }[];
  if (options.batch !== undefined && rows.length === 0) throw usageError(`MTurk mode is not on for batch "${options.batch}"`, { field: '--batch', received: JSON.stringify(options.batch), hint: 'run `retest mturk status`' });
  const stop = db.prepare('UPDATE server_mturk_batches SET disabled_at = ? WHERE batch = ?');
  db.transaction(() => { for (const r of rows) stop.run(now, r.batch); })();
  return rows.map((r) => r.batch);
}

/** The batch a HIT was published for, when MTurk mode is on for it; else null. */
export function servedBatch(db: Db, hitId: string): string | null {
  if (!MTURK_ID.test(hitId)) return null;
  const row = prepared(db, 'SELECT h.batch FROM server_mturk_hits h JOIN server_mturk_batches b ON b.batch = h.batch WHERE h.hit_id = ? AND b.disabled_at IS NULL').get(hitId) as { batch: string } | undefined;
  return row?.batch ?? null;
}

/** Whether MTurk mode is on for the batch of a task. */
export function taskServedToMturk(db: Db, taskId: string): boolean {
  return prepared(db, 'SELECT 1 AS on_ FROM tasks t JOIN server_mturk_batches b ON b.batch = t.batch WHERE t.id = ? AND b.disabled_at IS NULL').get(taskId) !== undefined;
}

/** Whether MTurk mode is on for any batch. */
export function mturkModeOn(db: Db): boolean {
  return prepared(db, 'SELECT 1 AS on_ FROM server_mturk_batches WHERE disabled_at IS NULL LIMIT 1').get() !== undefined;
}
