/**
 * What the builder dashboard shows, read through the stores: per-class progress and histograms,
 * the worker table. Plain rows out; the pages render them. Runs in the dashboard worker (its own
 * stores, ./dashboard-worker.ts) or, when that fails, on the main thread.
 */
import { frequencyBin, type LabelStore } from '../label/index.ts';
import type { ClassProgress, ServerStore, WorkerRow } from './types.ts';

/** A class as the dashboard names it. */
export interface DashboardClass {
  index: number;
  id: string;
  names: string[];
}

/** Median of a non-empty list, else null. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per-class progress and histograms, every class of `classes` (classes without tasks included), by index. */
export async function classProgress(
  label: LabelStore,
  classes: readonly DashboardClass[],
  options: { now: Date; minAnswers: number; classIdx?: number },
): Promise<ClassProgress[]> {
  const one = options.classIdx === undefined ? {} : { classIdx: options.classIdx };
  const counts = new Map((await label.classCounts({ now: options.now, ...one })).map((c) => [c.classIdx, c]));
  const hist = new Map<number, { candidate: number[]; reference: number[] }>();
  for (const f of await label.frequencies({ minAnswers: options.minAnswers, ...one })) {
    let h = hist.get(f.classIdx);
    if (!h) hist.set(f.classIdx, (h = { candidate: [0, 0, 0, 0, 0], reference: [0, 0, 0, 0, 0] }));
    if (f.role === 'candidate') h.candidate[frequencyBin(f.frequency)]! += 1;
    else if (f.role === 'reference') h.reference[frequencyBin(f.frequency)]! += 1;
  }
  return classes
    .filter((c) => options.classIdx === undefined || c.index === options.classIdx)
    .sort((a, b) => a.index - b.index)
    .map((c) => {
      const n = counts.get(c.index);
      return {
        classIdx: c.index,
        id: c.id,
        names: c.names,
        tasks: n?.tasks ?? 0,
        needed: n?.needed ?? 0,
        done: n?.done ?? 0,
        open: n?.open ?? 0,
        candidateHistogram: hist.get(c.index)?.candidate ?? [0, 0, 0, 0, 0],
        referenceHistogram: hist.get(c.index)?.reference ?? [0, 0, 0, 0, 0],
      };
    });
}

/** Every worker with an answered assignment: tasks, control accuracy, median seconds per task, review status. */
export async function workerRows(stores: { label: LabelStore; server: ServerStore }): Promise<WorkerRow[]> {
  const names = new Map((await stores.server.listLabellers()).map((l) => [l.workerHash, l.name]));
  const durations = await stores.label.answerSeconds();
  return (await stores.label.controlAccuracy()).workers.map((w) => ({
    workerHash: w.workerHash,
    name: names.get(w.workerHash) ?? null,
    status: w.status,
    tasks: w.assignments,
    controlAccuracy: w.accuracy,
    medianSeconds: median(durations.get(w.workerHash) ?? []),
  }));
}
