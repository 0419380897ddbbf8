import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/index.ts';
import { matchedFrequencyStrategy, thresholdStrategy, topImagesStrategy, type SamplingInput, type SamplingOutcome } from '../../src/sample/index.ts';

/** One conformance suite for every sampling strategy (STYLE: interchangeable strategies share one). */
const strategies: { name: string; run: (input: SamplingInput, seed: number) => SamplingOutcome; accepts: (f: number) => boolean }[] = [
  { name: 'matched-frequency', run: (i, s) => matchedFrequencyStrategy.sample(i, {}, createRng(s)), accepts: () => true },
  { name: 'threshold', run: (i, s) => thresholdStrategy.sample(i, { tau: 0.7 }, createRng(s)), accepts: (f) => f >= 0.7 },
  { name: 'top-images', run: (i, s) => topImagesStrategy.sample(i, {}, createRng(s)), accepts: () => true },
];

function pool(seed: number): SamplingInput {
  const rng = createRng(seed);
  const candidates = [];
  for (let i = 0; i < 600; i++) {
    const answers = 10 + rng.int(5);
    candidates.push({ imageId: `im${i}`, classIdx: rng.int(8), frequency: rng.int(answers + 1) / answers, answers });
  }
  const histograms = new Map(
    Array.from({ length: 8 }, (_, c) => [c, [rng.int(3), rng.int(4), rng.int(5), rng.int(8), 20 + rng.int(20)]] as [number, number[]]),
  );
  return { classes: [0, 1, 2, 3, 4, 5, 6, 7], perClass: 12, candidates, referenceHistograms: histograms };
}

for (const s of strategies) {
  describe(`${s.name} (conformance)`, () => {
    it('returns only given, accepted candidates of the right class, each once, at most perClass per class', () => {
      for (const seed of [1, 2, 3]) {
        const input = pool(seed);
        const byId = new Map(input.candidates.map((c) => [c.imageId, c]));
        const o = s.run(input, seed);
        expect(new Set(o.images.map((i) => i.imageId)).size).toBe(o.images.length);
        for (const im of o.images) {
          const c = byId.get(im.imageId)!;
          expect(c.classIdx).toBe(im.classIdx);
          expect(s.accepts(c.frequency)).toBe(true);
        }
        for (const c of o.classes) {
          expect(c.imageIds.length + c.short).toBe(input.perClass);
          expect(c.imageIds.every((id) => byId.get(id)!.classIdx === c.classIdx)).toBe(true);
        }
        expect(o.valid).toBe(o.shortClasses.length === 0);
        expect(o.images.length).toBe(o.classes.reduce((a, c) => a + c.imageIds.length, 0));
      }
    });
    it('gives identical output for the same inputs and seed', () => {
      expect(s.run(pool(4), 9)).toEqual(s.run(pool(4), 9));
    });
    it('keeps a parent image that is still eligible and accepted when the class has room', () => {
      const input = pool(5);
      const first = s.run(input, 1);
      const parent = new Map(first.classes.map((c) => [c.classIdx, c.imageIds.slice(0, 1)]));
      const child = s.run({ ...input, previous: parent }, 77);
      for (const c of child.classes) for (const id of parent.get(c.classIdx) ?? []) expect(c.imageIds).toContain(id);
    });
    it('answers an empty pool with short classes, not an error', () => {
      const o = s.run(
        {
          classes: [0, 1],
          perClass: 3,
          candidates: [],
          referenceHistograms: new Map([
            [0, [0, 0, 0, 0, 25]],
            [1, [0, 0, 0, 0, 25]],
          ]),
        },
        1,
      );
      expect(o.images).toEqual([]);
      expect(o.shortClasses).toEqual([0, 1]);
      expect(o.classes.map((c) => c.short)).toEqual([3, 3]);
    });
  });
}
