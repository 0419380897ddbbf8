import type { Db } from '../store/index.ts';
import { LabelError } from './errors.ts';
import type { AssignmentStatus } from './types.ts';

/** A finished assignment made elsewhere (MTurk batch results, a JSONL file, another annotation set). */
export interface ImportedAssignment {
  /** The task it answered. */
  taskId: string;
  /** Salted worker hash. */
  workerHash: string;
  /** 'mturk' or 'import'. */
  source: 'mturk' | 'import';
  /** Its id where it came from (MTurk AssignmentId); unique per source. Re-importing the same id only updates the status. */
  externalId: string;
  /** Review status there. */
  status: Extract<AssignmentStatus, 'submitted' | 'approved' | 'rejected'>;
  /** ISO time accepted (default: submittedAt, else now). */
  claimedAt?: string;
  /** ISO time submitted (default: now). */
  submittedAt?: string;
  /** Selected items by token … */
  selectedTokens?: readonly string[];
  /** … or by image id. */
  selectedImageIds?: readonly string[];
  /** Image ids the worker answered (default: every item of the task). Answers are stored for these only. */
  answeredImageIds?: readonly string[];
}

/** What `recordAssignments` did. */
export interface RecordReport {
  /** New assignments stored. */
  inserted: number;
  /** Known assignments whose status changed. */
  statusChanged: number;
  /** Known assignments left as they were. */
  unchanged: number;
  /** Answer rows written. */
  answers: number;
  /** Records refused, with why: another assignment of the same worker on the same task. */
  conflicts: { externalId: string; reason: string }[];
}

/**
 * Stores finished assignments in one transaction; idempotent per (source, externalId): a repeated
 * import updates only the status (e.g. a later MTurk download after approving). The stored id is
 * `<source>:<externalId>`. A token or image id outside the task is an error (LabelError 'bad-item').
 */
export function recordAssignments(db: Db, records: Iterable<ImportedAssignment>, now: Date | string = new Date()): RecordReport {
  const nowIso = new Date(now).toISOString();
  const report: RecordReport = { inserted: 0, statusChanged: 0, unchanged: 0, answers: 0, conflicts: [] };
  const byExternal = db.prepare('SELECT id, status FROM assignments WHERE external_id = ?');
  const byWorker = db.prepare('SELECT id FROM assignments WHERE task_id = ? AND worker_hash = ?');
  const setStatus = db.prepare('UPDATE assignments SET status = ? WHERE id = ?');
  const insert = db.prepare('INSERT INTO assignments (id, task_id, worker_hash, status, source, claimed_at, expires_at, submitted_at, external_id) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)');
  const itemsOf = db.prepare('SELECT image_id, token FROM task_items WHERE task_id = ? ORDER BY position');
  const answer = db.prepare('INSERT INTO answers (assignment_id, image_id, selected) VALUES (?, ?, ?)');
  const itemCache = new Map<string, { ids: string[]; byToken: Map<string, string>; idSet: Set<string> }>();
  db.transaction(() => {
    for (const r of records) {
      const externalId = `${r.source}:${r.externalId}`;
      const known = byExternal.get(externalId) as { id: string; status: AssignmentStatus } | undefined;
      if (known) {
        if (known.status !== r.status) { setStatus.run(r.status, known.id); report.statusChanged++; } else report.unchanged++;
        continue;
      }
      const other = byWorker.get(r.taskId, r.workerHash) as { id: string } | undefined;
      if (other) { report.conflicts.push({ externalId: r.externalId, reason: `the worker already has assignment ${other.id} on task ${r.taskId}` }); continue; }
      let task = itemCache.get(r.taskId);
      if (!task) {
        const rows = itemsOf.all(r.taskId) as { image_id: string; token: string }[];
        if (rows.length === 0) throw new LabelError('not-found', 'no such task (or it has no items)', { record: r.externalId, field: 'task', received: JSON.stringify(r.taskId) });
        task = { ids: rows.map((i) => i.image_id), byToken: new Map(rows.map((i) => [i.token, i.image_id])), idSet: new Set(rows.map((i) => i.image_id)) };
        itemCache.set(r.taskId, task);
      }
      const items = task.ids;
      const selected = new Set<string>();
      for (const token of r.selectedTokens ?? []) {
        const id = task.byToken.get(token);
        if (id === undefined) throw new LabelError('bad-item', 'a selected token is not an item of this task', { record: r.externalId, field: 'selected', received: JSON.stringify(token) });
        selected.add(id);
      }
      for (const id of [...(r.selectedImageIds ?? []), ...(r.answeredImageIds ?? [])]) {
        if (!task.idSet.has(id)) throw new LabelError('bad-item', 'an image is not an item of this task', { record: r.externalId, field: 'selected', received: JSON.stringify(id) });
      }
      for (const id of r.selectedImageIds ?? []) selected.add(id);
      const submittedAt = r.submittedAt ?? nowIso;
      insert.run(externalId, r.taskId, r.workerHash, r.status, r.source, r.claimedAt ?? submittedAt, submittedAt, externalId);
      const answered = r.answeredImageIds ? new Set(r.answeredImageIds) : null;
      for (const id of items) {
        if (answered && !answered.has(id)) continue;
        answer.run(externalId, id, selected.has(id) ? 1 : 0);
        report.answers++;
      }
      report.inserted++;
    }
  }).immediate();
  return report;
}
