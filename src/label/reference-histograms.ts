import { frequencyBin } from '../core/frequency-bins.ts';
import type { ReferenceHistogram, SelectionFrequency } from './types.ts';

/** Per-class histogram of the reference images' frequencies (rows with role 'reference'), for every class in `classes` (empty classes included). */
export function referenceHistograms(frequencies: readonly SelectionFrequency[], classes: readonly number[]): ReferenceHistogram[] {
  const byClass = new Map<number, ReferenceHistogram>(classes.map((c) => [c, { classIdx: c, counts: [0, 0, 0, 0, 0], images: 0 }]));
  for (const f of frequencies) {
    if (f.role !== 'reference') continue;
    let h = byClass.get(f.classIdx);
    if (!h) {
      h = { classIdx: f.classIdx, counts: [0, 0, 0, 0, 0], images: 0 };
      byClass.set(f.classIdx, h);
    }
    h.counts[frequencyBin(f.frequency)]! += 1;
    h.images += 1;
  }
  return [...byClass.values()].sort((a, b) => a.classIdx - b.classIdx);
}
