import { describe, expect, it } from 'vitest';
import { FREQUENCY_BIN_COUNT, FREQUENCY_BIN_LABELS, FREQUENCY_BOUNDS, FREQUENCY_EDGES, frequencyBin } from '../../src/core/index.ts';
import { accuracyByFrequency } from '../../src/analyze/index.ts';

describe("frequency bins (the paper's five)", () => {
  it('pins the edges, bounds, count and labels', () => {
    expect(FREQUENCY_EDGES).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(FREQUENCY_BOUNDS).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(FREQUENCY_BIN_COUNT).toBe(5);
    expect(FREQUENCY_BIN_LABELS).toEqual(['0–.2', '.2–.4', '.4–.6', '.6–.8', '.8–1']);
    expect(Object.isFrozen(FREQUENCY_EDGES)).toBe(true);
  });

  it('bins 0, 0.2, values exactly on an edge (upper bin), just below an edge, and 1 (last bin)', () => {
    const cases: [number, number][] = [
      [0, 0],
      [0.1, 0],
      [0.19999999999999998, 0],
      [0.2, 1],
      [1 / 5, 1],
      [0.3999, 1],
      [0.4, 2],
      [2 / 5, 2],
      [0.6, 3],
      [3 / 5, 3],
      [0.2 + 0.4, 3],
      [0.7999, 3],
      [0.8, 4],
      [4 / 5, 4],
      [0.9, 4],
      [1, 4],
    ];
    expect(cases.map(([f]) => frequencyBin(f))).toEqual(cases.map(([, b]) => b));
    // 0.1·3 = 0.30000000000000004 stays in bin 1; 7/10 in bin 3.
    expect([0.1 * 3, 7 / 10, 9 / 10].map((f) => frequencyBin(f))).toEqual([1, 3, 4]);
  });

  it('takes other edges (Threshold-style single edge, custom MatchedFrequency bins)', () => {
    expect([0, 0.69, 0.7, 1].map((f) => frequencyBin(f, [0.7]))).toEqual([0, 0, 1, 1]);
    expect([0, 0.5, 1].map((f) => frequencyBin(f, [0.5]))).toEqual([0, 1, 1]);
    expect(frequencyBin(0.3, [])).toBe(0);
  });

  it('analyze bins accuracy by the same bounds', () => {
    const freqs = [0, 0.2, 0.4, 0.6, 0.8, 1];
    const bins = accuracyByFrequency(freqs, [[1, 1, 1, 1, 1, 1]]);
    expect(bins.map((b) => [b.lower, b.upper, b.images])).toEqual([
      [0, 0.2, 1],
      [0.2, 0.4, 1],
      [0.4, 0.6, 1],
      [0.6, 0.8, 1],
      [0.8, 1, 2],
    ]);
  });
});
