import { usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { LabelError } from './errors.ts';
import { toIso } from './time.ts';
import type { AssignmentStatus, SubmitOptions, SubmitResult } from './types.ts';

interface AssignmentRow {
  id: string;
  task_id: string;
  worker_hash: string;
  status: AssignmentStatus;
  expires_at: string | null;
}

/**
 * Stores a worker's answers to a claimed assignment: one answer row per item of the task (selected
 * 1/0) and status 'submitted', in one transaction. Idempotent: submitting an assignment that was
 * already submitted changes nothing and returns `repeated: true` with the stored counts. Refused
 * (LabelError): unknown assignment, another worker's, a lapsed claim ('expired'), a rejected
 * assignment or worker, a token / image id not in the task.
 */
export function submitAssignment(db: Db, options: SubmitOptions): SubmitResult {
  if ((options.selectedTokens === undefined) === (options.selectedImageIds === undefined)) {
    throw usageError('give exactly one of selectedTokens and selectedImageIds', { field: 'selectedTokens' });
  }
  const now = toIso(options.now);
  let lapsed = false;
  const result = db
    .transaction((): SubmitResult | undefined => {
      const a = db.prepare('SELECT id, task_id, worker_hash, status, expires_at FROM assignments WHERE id = ?').get(options.assignmentId) as
        | AssignmentRow
        | undefined;
      if (!a) throw new LabelError('not-found', 'no such assignment', { record: options.assignmentId, hint: 'claim a task first' });
      if (a.worker_hash !== options.workerHash)
        throw new LabelError('not-owner', 'this assignment was claimed by another worker', { record: options.assignmentId });
      if (a.status === 'submitted' || a.status === 'approved') {
        const counts = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(selected), 0) AS s FROM answers WHERE assignment_id = ?').get(a.id) as {
          n: number;
          s: number;
        };
        return { assignmentId: a.id, status: a.status, answers: counts.n, selected: counts.s, repeated: true };
      }
      if (a.status === 'rejected') throw new LabelError('rejected', 'this assignment was rejected', { record: a.id });
      const worker = db.prepare('SELECT status FROM label_workers WHERE worker_hash = ?').get(a.worker_hash) as { status: string } | undefined;
      if (worker?.status === 'rejected') throw new LabelError('worker-rejected', 'this worker was rejected', { record: a.id });
      if (a.status === 'expired' || (a.expires_at !== null && a.expires_at <= now)) {
        if (a.status === 'open') db.prepare("UPDATE assignments SET status = 'expired' WHERE id = ?").run(a.id);
        lapsed = true;
        return undefined;
      }
      const selected = resolveSelection(db, a.task_id, options);
      const items = db.prepare('SELECT image_id FROM task_items WHERE task_id = ? ORDER BY position').all(a.task_id) as { image_id: string }[];
      const insert = db.prepare('INSERT INTO answers (assignment_id, image_id, selected) VALUES (?, ?, ?)');
      for (const item of items) insert.run(a.id, item.image_id, selected.has(item.image_id) ? 1 : 0);
      db.prepare("UPDATE assignments SET status = 'submitted', submitted_at = ? WHERE id = ?").run(now, a.id);
      return { assignmentId: a.id, status: 'submitted', answers: items.length, selected: selected.size, repeated: false };
    })
    .immediate();
  if (lapsed || result === undefined) {
    throw new LabelError('expired', 'the claim on this assignment lapsed before it was submitted', { record: options.assignmentId, hint: 'claim a new task' });
  }
  return result;
}

/** The selected image ids, checked against the task's items. */
export function resolveSelection(
  db: Db,
  taskId: string,
  options: { selectedTokens?: readonly string[] | undefined; selectedImageIds?: readonly string[] | undefined },
): Set<string> {
  const items = db.prepare('SELECT image_id, token FROM task_items WHERE task_id = ?').all(taskId) as { image_id: string; token: string }[];
  const selected = new Set<string>();
  if (options.selectedTokens !== undefined) {
    const byToken = new Map(items.map((i) => [i.token, i.image_id]));
    for (const token of options.selectedTokens) {
      const id = byToken.get(token);
      if (id === undefined)
        throw new LabelError('bad-item', 'a selected token is not an item of this task', {
          record: taskId,
          field: 'selected',
          received: JSON.stringify(token),
        });
      selected.add(id);
    }
  } else {
    const ids = new Set(items.map((i) => i.image_id));
    for (const id of options.selectedImageIds ?? []) {
      if (!ids.has(id))
        throw new LabelError('bad-item', 'a selected image is not an item of this task', { record: taskId, field: 'selected', received: JSON.stringify(id) });
      selected.add(id);
    }
  }
  return selected;
}
