import { usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { LabelError } from './errors.ts';
import { randomToken } from '../core/tokens.ts';
import { addSeconds, toIso } from './time.ts';
import type { ClaimOptions, ClaimedAssignment, ClaimedItem, TaskKind } from './types.ts';

/**
 * Marks every open assignment whose `expires_at` is at or before `nowIso` as 'expired': its slot goes
 * back to the pool. Returns the number of rows changed.
 */
export function expireLapsedAssignments(db: Db, nowIso: string): number {
  return db.prepare("UPDATE assignments SET status = 'expired' WHERE status = 'open' AND expires_at IS NOT NULL AND expires_at <= ?").run(nowIso).changes;
}

/**
 * SQL counting the live (slot-holding) assignments of task `t`: open, submitted or approved, of a
 * non-rejected worker. `tasks.live_count` holds this count (kept by triggers, label-002); this
 * expression is the reference it is checked against.
 */
export const LIVE_ASSIGNMENTS_SQL = `(SELECT COUNT(*) FROM assignments la
   LEFT JOIN label_workers lw ON lw.worker_hash = la.worker_hash
   WHERE la.task_id = t.id AND la.status IN ('open', 'submitted', 'approved')
     AND (lw.status IS NULL OR lw.status <> 'rejected'))`;

/**
 * Claims the next task that still needs answers and that this worker has not done (DESIGN §1.3):
 * tasks in creation order; a task is full when it has N live assignments (open and not lapsed,
 * submitted or approved; rejected workers' do not count). Lapsed open claims are expired first, so
 * their slots go back to the pool. The cost does not grow with the number of full tasks: the live
 * count is the column `tasks.live_count`, and the task is read from the partial index of tasks that
 * still need answers (or, with an `assignmentsPerTask` override, from `tasks_live_count`, one probe
 * per count below N). A worker holding an open claim gets it back (`resumed`).
 * Returns null when no task needs this worker. One IMMEDIATE transaction: concurrent claimers
 * (threads or processes) never exceed N.
 */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the synchronous claim kept for the in-process benchmark baseline and tests; goes with src/store/sqlite.ts
export function claimNextAssignment(db: Db, options: ClaimOptions): ClaimedAssignment | null {
  if (!Number.isFinite(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw usageError('ttlSeconds must be a positive number', { field: 'ttlSeconds', received: String(options.ttlSeconds) });
  }
  if (options.assignmentsPerTask !== undefined && (!Number.isInteger(options.assignmentsPerTask) || options.assignmentsPerTask < 1)) {
    throw usageError('assignmentsPerTask must be a positive integer', { field: 'assignmentsPerTask', received: String(options.assignmentsPerTask) });
  }
  const now = toIso(options.now);
  const source = options.source ?? 'web';
  return db
    .transaction((): ClaimedAssignment | null => {
      const worker = db.prepare('SELECT status FROM label_workers WHERE worker_hash = ?').get(options.workerHash) as { status: string } | undefined;
      if (worker?.status === 'rejected')
        throw new LabelError('worker-rejected', 'this worker was rejected and gets no more tasks', { record: options.workerHash });
      expireLapsedAssignments(db, now);

      const filters: string[] = [];
      const params: unknown[] = [];
      if (options.kind !== undefined) {
        filters.push('t.kind = ?');
        params.push(options.kind);
      }
      if (options.classIdx !== undefined) {
        filters.push('t.class_idx = ?');
        params.push(options.classIdx);
      }
      if (options.batch !== undefined) {
        filters.push('t.batch = ?');
        params.push(options.batch);
      }
      const where = filters.length ? `AND ${filters.join(' AND ')}` : '';

      const own = db
        .prepare(`SELECT a.id, a.task_id, a.claimed_at, a.expires_at, t.class_idx, t.kind FROM assignments a JOIN tasks t ON t.id = a.task_id
                WHERE a.worker_hash = ? AND a.status = 'open' ${where} ORDER BY a.claimed_at, t.seq LIMIT 1`)
        .get(options.workerHash, ...params) as
        | { id: string; task_id: string; claimed_at: string; expires_at: string; class_idx: number; kind: TaskKind }
        | undefined;
      if (own) {
        return {
          assignmentId: own.id,
          taskId: own.task_id,
          classIdx: own.class_idx,
          kind: own.kind,
          claimedAt: own.claimed_at,
          expiresAt: own.expires_at,
          resumed: true,
          items: itemsOf(db, own.task_id),
        };
      }

      const mine = "NOT EXISTS (SELECT 1 FROM assignments mine WHERE mine.task_id = t.id AND mine.worker_hash = ? AND mine.status <> 'expired')";
      type TaskRow = { id: string; seq: number; class_idx: number; kind: TaskKind };
      let task: TaskRow | undefined;
      if (options.assignmentsPerTask === undefined) {
        // `live_count < assignments_wanted` is the partial index's condition: the scan starts at the first task that needs answers.
        task = db
          .prepare(`SELECT t.id, t.seq, t.class_idx, t.kind FROM tasks t INDEXED BY tasks_needing_answers
                  WHERE t.live_count < t.assignments_wanted AND ${mine} ${where}
                  ORDER BY t.seq LIMIT 1`)
          .get(options.workerHash, ...params) as TaskRow | undefined;
      } else {
        // N overrides the tasks' own: the first task of each live count below N, the earliest of those.
        const probe = db.prepare(`SELECT t.id, t.seq, t.class_idx, t.kind FROM tasks t INDEXED BY tasks_live_count
                                WHERE t.live_count = ? AND ${mine} ${where}
                                ORDER BY t.seq LIMIT 1`);
        for (let count = 0; count < options.assignmentsPerTask; count++) {
          const row = probe.get(count, options.workerHash, ...params) as TaskRow | undefined;
          if (row && (!task || row.seq < task.seq)) task = row;
        }
      }
      if (!task) return null;

      const expiresAt = addSeconds(now, options.ttlSeconds);
      const lapsed = db.prepare("SELECT id FROM assignments WHERE task_id = ? AND worker_hash = ? AND status = 'expired'").get(task.id, options.workerHash) as
        | { id: string }
        | undefined;
      let assignmentId: string;
      if (lapsed) {
        // The worker let an earlier claim on this task lapse: reopen that row (UNIQUE(task, worker)).
        assignmentId = lapsed.id;
        db.prepare("UPDATE assignments SET status = 'open', source = ?, claimed_at = ?, expires_at = ?, submitted_at = NULL WHERE id = ?").run(
          source,
          now,
          expiresAt,
          assignmentId,
        );
      } else {
        assignmentId = randomToken();
        db.prepare("INSERT INTO assignments (id, task_id, worker_hash, status, source, claimed_at, expires_at) VALUES (?, ?, ?, 'open', ?, ?, ?)").run(
          assignmentId,
          task.id,
          options.workerHash,
          source,
          now,
          expiresAt,
        );
      }
      return {
        assignmentId,
        taskId: task.id,
        classIdx: task.class_idx,
        kind: task.kind,
        claimedAt: now,
        expiresAt,
        resumed: false,
        items: itemsOf(db, task.id),
      };
    })
    .immediate();
}

function itemsOf(db: Db, taskId: string): ClaimedItem[] {
  return db.prepare('SELECT position, token FROM task_items WHERE task_id = ? ORDER BY position').all(taskId) as ClaimedItem[];
}

/** Resolves an opaque item token to its task and image (for serving the image). Undefined when unknown. */
export function taskItemByToken(db: Db, token: string): { taskId: string; imageId: string; position: number } | undefined {
  const row = db.prepare('SELECT task_id, image_id, position FROM task_items WHERE token = ?').get(token) as
    | { task_id: string; image_id: string; position: number }
    | undefined;
  return row ? { taskId: row.task_id, imageId: row.image_id, position: row.position } : undefined;
}
