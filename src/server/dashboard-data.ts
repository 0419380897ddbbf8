/**
 * What the builder dashboard shows, read from the workspace: per-class progress and histograms,
 * the worker table. Plain rows out; the pages render them.
 */
import { controlAccuracy, frequencyBin, selectionFrequencies } from '../label/index.ts';
import type { Db } from '../store/index.ts';
import type { ClassProgress, WorkerRow } from './types.ts';
import { prepared } from './statements.ts';

/** Median of a non-empty list, else null. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per-class progress and histograms, every class (classes without tasks included). */
export function classProgress(db: Db, options: { now: Date; minAnswers: number; classIdx?: number }): ClassProgress[] {
  const nowIso = options.now.toISOString();
  const filter = options.classIdx === undefined ? '' : 'WHERE c.idx = ?';
  const params = options.classIdx === undefined ? [] : [options.classIdx];
  const rows = prepared(db, `
    SELECT c.idx AS classIdx, c.id AS id, c.names AS names,
      (SELECT COUNT(*) FROM tasks t WHERE t.class_idx = c.idx) AS tasks,
      (SELECT COALESCE(SUM(t.assignments_wanted), 0) FROM tasks t WHERE t.class_idx = c.idx) AS needed,
      (SELECT COALESCE(SUM(MIN(t.assignments_wanted, (
          SELECT COUNT(*) FROM assignments a LEFT JOIN label_workers w ON w.worker_hash = a.worker_hash
          WHERE a.task_id = t.id AND a.status IN ('submitted', 'approved') AND (w.status IS NULL OR w.status <> 'rejected')))), 0)
        FROM tasks t WHERE t.class_idx = c.idx) AS done,
      (SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id
        WHERE t.class_idx = c.idx AND a.status = 'open' AND (a.expires_at IS NULL OR a.expires_at > ?)) AS open
    FROM classes c ${filter} ORDER BY c.idx`).all(nowIso, ...params) as { classIdx: number; id: string; names: string; tasks: number; needed: number; done: number; open: number }[];
  const freqOptions = options.classIdx === undefined ? { minAnswers: options.minAnswers } : { minAnswers: options.minAnswers, classIdx: options.classIdx };
  const hist = new Map<number, { candidate: number[]; reference: number[] }>();
  for (const f of selectionFrequencies(db, freqOptions)) {
    let h = hist.get(f.classIdx);
    if (!h) hist.set(f.classIdx, (h = { candidate: [0, 0, 0, 0, 0], reference: [0, 0, 0, 0, 0] }));
    if (f.role === 'candidate') h.candidate[frequencyBin(f.frequency)]! += 1;
    else if (f.role === 'reference') h.reference[frequencyBin(f.frequency)]! += 1;
  }
  return rows.map((r) => ({
    classIdx: r.classIdx,
    id: r.id,
    names: JSON.parse(r.names) as string[],
    tasks: r.tasks,
    needed: r.needed,
    done: r.done,
    open: r.open,
    candidateHistogram: hist.get(r.classIdx)?.candidate ?? [0, 0, 0, 0, 0],
    referenceHistogram: hist.get(r.classIdx)?.reference ?? [0, 0, 0, 0, 0],
  }));
}

/** Every worker with an answered assignment: tasks, control accuracy, median seconds per task, review status. */
export function workerRows(db: Db): WorkerRow[] {
  const names = new Map((prepared(db, 'SELECT worker_hash, name FROM server_labellers').all() as { worker_hash: string; name: string }[]).map((r) => [r.worker_hash, r.name]));
  const durations = new Map<string, number[]>();
  for (const r of prepared(db, "SELECT worker_hash, claimed_at, submitted_at FROM assignments WHERE submitted_at IS NOT NULL AND status IN ('submitted', 'approved', 'rejected')").all() as { worker_hash: string; claimed_at: string; submitted_at: string }[]) {
    const seconds = (Date.parse(r.submitted_at) - Date.parse(r.claimed_at)) / 1000;
    if (!Number.isFinite(seconds)) continue;
    let list = durations.get(r.worker_hash);
    if (!list) durations.set(r.worker_hash, (list = []));
    list.push(Math.max(0, seconds));
  }
  return controlAccuracy(db).workers.map((w) => ({
    workerHash: w.workerHash,
    name: names.get(w.workerHash) ?? null,
    status: w.status,
    tasks: w.assignments,
    controlAccuracy: w.accuracy,
    medianSeconds: median(durations.get(w.workerHash) ?? []),
  }));
}
