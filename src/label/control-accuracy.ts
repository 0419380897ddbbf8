import type { Db } from '../store/index.ts';
import type { AssignmentControlAccuracy, AssignmentStatus, ControlAccuracyReport, WorkerControlAccuracy } from './types.ts';

/**
 * Control accuracy (DESIGN §1.3) per answered assignment — (positives selected + negatives not
 * selected) / controls — and pooled per worker over all their answered assignments (any review
 * status, so a rejected worker's record stays visible).
 */
export function controlAccuracy(db: Db): ControlAccuracyReport {
  const rows = db
    .prepare(`SELECT a.id AS assignmentId, a.task_id AS taskId, a.worker_hash AS workerHash, a.status AS status,
                     COALESCE(SUM(ti.role = 'positive'), 0) AS positives,
                     COALESCE(SUM(ti.role = 'positive' AND an.selected = 1), 0) AS positivesSelected,
                     COALESCE(SUM(ti.role = 'negative'), 0) AS negatives,
                     COALESCE(SUM(ti.role = 'negative' AND an.selected = 1), 0) AS negativesSelected
              FROM assignments a
              LEFT JOIN answers an ON an.assignment_id = a.id
              LEFT JOIN task_items ti ON ti.task_id = a.task_id AND ti.image_id = an.image_id
              WHERE a.status IN ('submitted', 'approved', 'rejected')
              GROUP BY a.id
              ORDER BY a.worker_hash, a.id`)
    .all() as Omit<AssignmentControlAccuracy, 'accuracy'>[];
  const statuses = new Map(
    (db.prepare('SELECT worker_hash, status FROM label_workers').all() as { worker_hash: string; status: 'approved' | 'rejected' }[]).map((r) => [
      r.worker_hash,
      r.status,
    ]),
  );
  return summarizeControls(rows, statuses);
}

/** The report from per-assignment control counts (ordered by worker, then assignment id) and the workers' review statuses. */
export function summarizeControls(
  rows: readonly Omit<AssignmentControlAccuracy, 'accuracy'>[],
  statuses: ReadonlyMap<string, 'approved' | 'rejected'>,
): ControlAccuracyReport {
  const assignments: AssignmentControlAccuracy[] = [];
  const workers = new Map<string, WorkerControlAccuracy>();
  for (const r of rows) {
    const controls = r.positives + r.negatives;
    const correct = r.positivesSelected + (r.negatives - r.negativesSelected);
    assignments.push({ ...r, status: r.status as AssignmentStatus, accuracy: controls > 0 ? correct / controls : null });
    let w = workers.get(r.workerHash);
    if (!w) {
      w = { workerHash: r.workerHash, status: statuses.get(r.workerHash) ?? 'active', assignments: 0, controls: 0, correct: 0, accuracy: null };
      workers.set(r.workerHash, w);
    }
    w.assignments += 1;
    w.controls += controls;
    w.correct += correct;
  }
  for (const w of workers.values()) w.accuracy = w.controls > 0 ? w.correct / w.controls : null;
  return { assignments, workers: [...workers.values()] };
}
