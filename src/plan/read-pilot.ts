/**
 * Reads a pilot from a workspace: per class, the candidates collected (exact duplicates left out),
 * the selection frequencies of those with at least `minAnswers` valid answers, and the reference
 * histogram (reference images with as many answers). Reads COLLECT's `images` and the label
 * stage's frequencies; writes nothing.
 */
import { referenceHistograms, selectionFrequencies } from '../label/index.ts';
import type { Db } from '../store/index.ts';
import type { PilotClass } from './pilot-plan.ts';

export function readPilot(db: Db, classes: readonly number[], minAnswers: number): PilotClass[] {
  const collected = new Map((db.prepare("SELECT class_idx AS c, COUNT(*) AS n FROM images WHERE role = 'candidate' AND exact_duplicate_of IS NULL GROUP BY class_idx").all() as { c: number; n: number }[]).map((r) => [r.c, r.n]));
  const frequencies = selectionFrequencies(db, { minAnswers });
  const byClass = new Map<number, number[]>();
  for (const f of frequencies) {
    if (f.role !== 'candidate') continue;
    let list = byClass.get(f.classIdx);
    if (!list) { list = []; byClass.set(f.classIdx, list); }
    list.push(f.frequency);
  }
  const histograms = new Map(referenceHistograms(frequencies, classes).map((h) => [h.classIdx, h]));
  return classes.map((classIdx) => {
    const h = histograms.get(classIdx);
    return { classIdx, candidates: collected.get(classIdx) ?? 0, frequencies: byClass.get(classIdx) ?? [], referenceHistogram: h && h.images > 0 ? h.counts : null };
  });
}
