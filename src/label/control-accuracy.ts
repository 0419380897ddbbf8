import type { AssignmentControlAccuracy, AssignmentStatus, ControlAccuracyReport, WorkerControlAccuracy } from './types.ts';

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
