import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/index.ts';
import { matchedFrequency, roundHistogram, threshold, topImages, type SamplingCandidate, type SamplingInput } from '../../src/sample/index.ts';

const cand = (imageId: string, frequency: number, answers = 10, classIdx = 0): SamplingCandidate => ({ imageId, classIdx, frequency, answers });
const ids = (o: { classes: { imageIds: string[] }[] }, k = 0) => [...o.classes[k]!.imageIds].sort();

const authors = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'authors-round-histogram.json'), 'utf8')) as {
  cases: [number[], number, number[]][];
};

describe("roundHistogram: the authors' float64 arithmetic by default", () => {
  it('reproduces the issue examples: [4,1,1,0,0] → [7,1,2,0,0] and [0,0,1,9,12] → [0,0,1,4,5]', () => {
    expect(roundHistogram([4, 1, 1, 0, 0], 10)).toEqual([7, 1, 2, 0, 0]);
    expect(roundHistogram([0, 0, 1, 9, 12], 10)).toEqual([0, 0, 1, 4, 5]);
  });
  it(`equals ImageNetV2's round_histogram run in numpy on all ${authors.cases.length} recorded cases`, () => {
    // 213 histograms in {0…6}⁵ where float noise and exact remainders disagree, 500 random
    // 50-image histograms (12 % of them disagree) and 100 with other sizes and targets.
    const wrong = authors.cases.filter(([hist, target, expected]) => JSON.stringify(roundHistogram(hist, target)) !== JSON.stringify(expected));
    expect(wrong).toEqual([]);
    expect(authors.cases.length).toBe(813);
  });
  it('exact ties still go to the higher bin, and the floors are kept', () => {
    expect(roundHistogram([1, 1, 1, 0, 0], 10)).toEqual([3, 3, 4, 0, 0]);
    expect(roundHistogram([3, 0, 0, 0, 17], 10)).toEqual([1, 0, 0, 0, 9]);
    expect(roundHistogram([0, 0, 0, 0, 7], 10)).toEqual([0, 0, 0, 0, 10]);
    expect(roundHistogram([2, 2, 2, 2, 2], 10)).toEqual([2, 2, 2, 2, 2]);
  });
  it('answers zeros for an empty histogram or a zero target', () => {
    expect(roundHistogram([0, 0, 0, 0, 0], 10)).toEqual([0, 0, 0, 0, 0]);
    expect(roundHistogram([1, 2, 3, 4, 5], 0)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("roundHistogram 'exact-integer' (named option, not the authors' rule)", () => {
  it('decides ties on exact remainders, ties to the higher bin', () => {
    expect(roundHistogram([4, 1, 1, 0, 0], 10, 'exact-integer')).toEqual([6, 2, 2, 0, 0]);
    expect(roundHistogram([0, 0, 1, 9, 12], 10, 'exact-integer')).toEqual([0, 0, 0, 4, 6]);
    expect(roundHistogram([0, 0, 1, 1, 2], 10, 'exact-integer')).toEqual([0, 0, 2, 3, 5]);
    // 7·[1,2,3,4,10]/20 = [.35, .7, 1.05, 1.4, 3.5] → floors [0,0,1,1,3], remainders 7,14,1,8,10 (/20) → +1 to bins 1 and 4
    expect(roundHistogram([1, 2, 3, 4, 10], 7, 'exact-integer')).toEqual([0, 1, 1, 1, 4]);
  });
  it('differs from the authors on the recorded disagreements only', () => {
    const differ = authors.cases.filter(
      ([hist, target, expected]) => JSON.stringify(roundHistogram(hist, target, 'exact-integer')) !== JSON.stringify(expected),
    );
    expect(differ.length).toBeGreaterThanOrEqual(213);
    for (const [hist, target] of differ) expect(roundHistogram(hist, target, 'exact-integer').reduce((a, b) => a + b, 0)).toBe(target);
  });
});

describe('matchedFrequency', () => {
  const base = (candidates: SamplingCandidate[], hist: number[], perClass: number, previous?: string[]): SamplingInput => ({
    classes: [0],
    perClass,
    candidates,
    referenceHistograms: new Map([[0, hist]]),
    ...(previous ? { previous: new Map([[0, previous]]) } : {}),
  });

  it('fills each bin from its own candidates', () => {
    const input = base([cand('a', 0.1), cand('b', 0.3), cand('c', 0.9), cand('d', 0.95), cand('e', 0.5)], [1, 1, 0, 0, 2], 4);
    const o = matchedFrequency(input, {}, createRng(1));
    expect(o.classes[0]!.binTargets).toEqual([1, 1, 0, 0, 2]);
    expect(ids(o)).toEqual(['a', 'b', 'c', 'd']);
    expect(o.valid).toBe(false); // only 4 reference images < 20
    expect(matchedFrequency(input, { minReferenceImages: 4 }, createRng(1)).valid).toBe(true);
  });

  it("[0,0,1,9,12] with candidates 0.5, 0.7×4, 0.9×5: the authors' targets [0,0,1,4,5] fill the class", () => {
    const cands = [cand('m', 0.5), ...[1, 2, 3, 4].map((i) => cand(`s${i}`, 0.7)), ...[1, 2, 3, 4, 5].map((i) => cand(`n${i}`, 0.9))];
    const o = matchedFrequency(base(cands, [0, 0, 1, 9, 12], 10), {}, createRng(1));
    expect(o.classes[0]).toMatchObject({ binTargets: [0, 0, 1, 4, 5], short: 0, upward: [] });
    expect(ids(o)).toEqual(['m', 'n1', 'n2', 'n3', 'n4', 'n5', 's1', 's2', 's3', 's4']);
    expect(o.valid).toBe(true);
    expect(o.parameters).toMatchObject({ rounding: 'authors-float64' });
    // The exact-integer rule wants [0,0,0,4,6]: bin 4 runs one short and nothing is above it.
    const exact = matchedFrequency(base(cands, [0, 0, 1, 9, 12], 10), { rounding: 'exact-integer' }, createRng(1));
    expect(exact.classes[0]).toMatchObject({ binTargets: [0, 0, 0, 4, 6], short: 1 });
    expect(exact.classes[0]!.imageIds).toHaveLength(9);
    expect(exact.valid).toBe(false);
  });

  it('[4,1,1,0,0] to 10 wants [7,1,2,0,0]', () => {
    const o = matchedFrequency(base([], [4, 1, 1, 0, 0], 10), { minReferenceImages: 0 }, createRng(1));
    expect(o.classes[0]!.binTargets).toEqual([7, 1, 2, 0, 0]);
    expect(() => matchedFrequency(base([], [4, 1, 1, 0, 0], 10), { rounding: 'nearest' as never }, createRng(1))).toThrow(/rounding must be/);
  });

  it('borrows upward from the next higher non-empty bin, never downward', () => {
    // targets [0,1,0,0,1]; bin 1 is empty; bin 2 is empty; bin 3 has d → d moves up into bin 1.
    const input = base([cand('d', 0.7), cand('e', 0.9), cand('f', 0.85), cand('z', 0.1)], [0, 1, 0, 0, 1], 2);
    const o = matchedFrequency(input, { minReferenceImages: 0 }, createRng(7));
    expect(o.classes[0]!.upward).toEqual([{ imageId: 'd', toBin: 1, fromBin: 3 }]);
    expect(o.classes[0]!.imageIds).toContain('d');
    expect(o.classes[0]!.imageIds).not.toContain('z');
    expect(o.classes[0]!.short).toBe(0);
  });

  it('takes the upward sample from leftovers of the higher bin after that bin is filled', () => {
    // targets [0,0,0,1,1]; bin 3 empty; bin 4 has 3 candidates: one fills bin 4, one is borrowed.
    const o = matchedFrequency(base([cand('a', 0.9), cand('b', 0.95), cand('c', 1)], [0, 0, 0, 1, 1], 2), { minReferenceImages: 0 }, createRng(3));
    expect(o.classes[0]!.imageIds).toHaveLength(2);
    expect(o.classes[0]!.upward).toHaveLength(1);
    expect(o.classes[0]!.upward![0]).toMatchObject({ toBin: 3, fromBin: 4 });
  });

  it('reports a short class instead of hiding it', () => {
    const o = matchedFrequency(base([cand('a', 0.1)], [0, 0, 0, 0, 1], 1), { minReferenceImages: 0 }, createRng(1));
    expect(o.classes[0]).toMatchObject({ imageIds: [], short: 1 });
    expect(o.shortClasses).toEqual([0]);
    expect(o.valid).toBe(false);
    const noUpward = matchedFrequency(
      base([cand('d', 0.7), cand('e', 0.9)], [0, 1, 0, 0, 1], 2),
      { minReferenceImages: 0, upwardSampling: false },
      createRng(1),
    );
    expect(noUpward.classes[0]).toMatchObject({ imageIds: ['e'], short: 1 });
  });

  it('reports a class without a reference histogram', () => {
    const o = matchedFrequency(
      { classes: [0, 1], perClass: 1, candidates: [cand('a', 0.9), cand('b', 0.9, 10, 1)], referenceHistograms: new Map([[0, [0, 0, 0, 0, 30]]]) },
      {},
      createRng(1),
    );
    expect(o.classes.map((c) => c.short)).toEqual([0, 1]);
    expect(o.shortClasses).toEqual([1]);
    expect(o.classes[1]!.notes[0]).toMatch(/no reference/);
  });

  it("keeps the parent's still-eligible images and re-samples only the gaps", () => {
    const cands = [cand('x', 0.9), cand('y', 0.9), cand('z', 0.9), cand('q', 0.9)];
    for (let seed = 0; seed < 10; seed++) {
      const o = matchedFrequency(base(cands, [0, 0, 0, 0, 25], 2, ['x', 'gone']), {}, createRng(seed));
      expect(o.classes[0]!.carriedOver).toEqual(['x']);
      expect(o.classes[0]!.dropped).toEqual(['gone']);
      expect(o.classes[0]!.imageIds[0]).toBe('x');
      expect(o.classes[0]!.imageIds).toHaveLength(2);
    }
    // more parent images in a bin than its target: a random subset of them is kept
    const over = matchedFrequency(base(cands, [0, 0, 0, 0, 25], 1, ['x', 'y']), {}, createRng(1));
    expect(over.classes[0]!.carriedOver).toHaveLength(1);
    expect(['x', 'y']).toContain(over.classes[0]!.carriedOver[0]);
  });

  it('is deterministic for a seed and independent of input order', () => {
    const cands = Array.from({ length: 50 }, (_, i) => cand(`i${String(i).padStart(2, '0')}`, (i % 11) / 10));
    const input = base(cands, [3, 4, 5, 6, 30], 10);
    const a = matchedFrequency(input, {}, createRng(42));
    const b = matchedFrequency({ ...input, candidates: [...cands].reverse() }, {}, createRng(42));
    expect(b).toEqual(a);
    expect(matchedFrequency(input, {}, createRng(43)).images).not.toEqual(a.images);
  });
});

describe('threshold', () => {
  const cands = [cand('a', 0.69), cand('b', 0.7), cand('c', 0.8), cand('d', 0.5, 10, 1), cand('e', 0.4, 10, 1)];
  it('draws only candidates at or above τ, with per-class overrides', () => {
    const o = threshold({ classes: [0, 1], perClass: 2, candidates: cands }, { tau: 0.7, perClassTau: { 1: 0.5 } }, createRng(1));
    expect(ids(o, 0)).toEqual(['b', 'c']);
    expect(o.classes[1]).toMatchObject({ imageIds: ['d'], short: 1 });
    expect(o.shortClasses).toEqual([1]);
    expect(o.parameters).toEqual({ perClass: 2, tau: 0.7, perClassTau: { 1: 0.5 } });
  });
  it('carries over parent images still above τ and drops the others', () => {
    const more = [...cands, cand('f', 0.9), cand('g', 0.95)];
    const o = threshold({ classes: [0], perClass: 2, candidates: more, previous: new Map([[0, ['a', 'g']]]) }, { tau: 0.7 }, createRng(5));
    expect(o.classes[0]!.carriedOver).toEqual(['g']);
    expect(o.classes[0]!.dropped).toEqual(['a']);
    expect(o.classes[0]!.imageIds[0]).toBe('g');
  });
  it('refuses τ outside [0, 1]', () => {
    expect(() => threshold({ classes: [0], perClass: 1, candidates: [] }, { tau: 1.5 }, createRng(1))).toThrow(/tau/);
  });
});

describe('topImages', () => {
  it('ranks by frequency, then answers, then parent membership, then id (descending)', () => {
    const cands = [cand('a', 0.9, 10), cand('b', 0.9, 12), cand('c', 1.0, 10), cand('d', 0.9, 12), cand('e', 0.5, 50)];
    const o = topImages({ classes: [0], perClass: 3, candidates: cands }, {}, createRng(1));
    expect(o.classes[0]!.imageIds).toEqual(['c', 'd', 'b']);
    const withParent = topImages({ classes: [0], perClass: 2, candidates: cands, previous: new Map([[0, ['b']]]) }, {}, createRng(1));
    expect(withParent.classes[0]!.imageIds).toEqual(['c', 'b']);
    expect(withParent.classes[0]!.carriedOver).toEqual(['b']);
  });
  it('is deterministic: only the release order depends on the seed', () => {
    const cands = Array.from({ length: 30 }, (_, i) => cand(`i${i}`, (i % 7) / 7, 10 + (i % 3)));
    const a = topImages({ classes: [0], perClass: 10, candidates: cands }, {}, createRng(1));
    const b = topImages({ classes: [0], perClass: 10, candidates: cands }, {}, createRng(2));
    expect(b.classes).toEqual(a.classes);
    expect(new Set(b.images.map((x) => x.imageId))).toEqual(new Set(a.images.map((x) => x.imageId)));
  });
});
