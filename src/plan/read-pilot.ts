/**
 * Reads a pilot from a workspace: per class, the candidates collected (exact duplicates left out),
 * the selection frequencies of those with at least `minAnswers` valid answers, and the reference
 * histogram (reference images with as many answers). Reads the catalog's candidates and the label
 * stage's frequencies through `PilotSources` (wired from the stores by the caller); writes nothing.
 */
import { referenceHistograms, type SelectionFrequency } from '../label/index.ts';
import type { PilotClass } from './pilot-plan.ts';

/** What a pilot reads: the catalog's candidates and the label store's selection frequencies. */
export interface PilotSources {
  /** Every candidate: its class and the image it exactly duplicates (or null). */
  candidates(): Promise<readonly { classIdx: number; exactDuplicateOf: string | null }[]>;
  /** Selection frequencies of the (class, image) pairs with at least `minAnswers` valid answers. */
  frequencies(minAnswers: number): Promise<readonly SelectionFrequency[]>;
}

export async function readPilot(sources: PilotSources, classes: readonly number[], minAnswers: number): Promise<PilotClass[]> {
  const collected = new Map<number, number>();
  for (const c of await sources.candidates()) if (c.exactDuplicateOf === null) collected.set(c.classIdx, (collected.get(c.classIdx) ?? 0) + 1);
  const frequencies = await sources.frequencies(minAnswers);
  const byClass = new Map<number, number[]>();
  for (const f of frequencies) {
    if (f.role !== 'candidate') continue;
    let list = byClass.get(f.classIdx);
    if (!list) {
      list = [];
      byClass.set(f.classIdx, list);
    }
    list.push(f.frequency);
  }
  const histograms = new Map(referenceHistograms(frequencies, classes).map((h) => [h.classIdx, h]));
  return classes.map((classIdx) => {
    const h = histograms.get(classIdx);
    return {
      classIdx,
      candidates: collected.get(classIdx) ?? 0,
      frequencies: byClass.get(classIdx) ?? [],
      referenceHistogram: h && h.images > 0 ? h.counts : null,
    };
  });
}
