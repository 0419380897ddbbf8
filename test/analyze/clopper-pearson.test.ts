import { describe, expect, it } from 'vitest';
import { clopperPearson } from '../../src/analyze/index.ts';

// [k, n, lower, upper]: scipy 1.10.1 (Debian python3-scipy), alpha = 0.05:
//   lower = 0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
//   upper = 1 if k == n else beta.ppf(0.975, k + 1, n - k)
const SCIPY: [number, number, number, number][] = [
  [0, 1, 0.0, 0.975],
  [1, 1, 0.025, 1.0],
  [0, 10, 0.0, 0.3084971078187608],
  [1, 10, 0.0025285785444617848, 0.4450161170281954],
  [5, 10, 0.18708602844739855, 0.8129139715526015],
  [9, 10, 0.5549838829718047, 0.9974714214555382],
  [10, 10, 0.6915028921812392, 1.0],
  [0, 100, 0.0, 0.03621669264517641],
  [50, 100, 0.39832112950330106, 0.6016788704966989],
  [100, 100, 0.9637833073548235, 1.0],
  [3, 2021, 0.00030622646015905517, 0.004331900739263708],
  [1555, 2000, 0.7586218258996523, 0.7955610868105689],
  [2000, 2000, 0.998157260206594, 1.0],
  [6333, 10000, 0.6237671272637788, 0.6427551811116221],
  [8465, 10000, 0.8392841759916649, 0.8535134010830446],
  [9999, 10000, 0.9994429630020529, 0.9999974682224065],
  [10000, 10000, 0.9996311800853812, 1.0],
  [0, 50000, 0.0, 7.377486758288227e-5],
  [38065, 50000, 0.7575383747909376, 0.7650312674950102],
  [50000, 50000, 0.9999262251324171, 1.0],
];

describe('clopperPearson', () => {
  it.each(SCIPY)('k=%i of n=%i agrees with scipy beta.ppf to 1e-9', (k, n, lower, upper) => {
    const [lo, hi] = clopperPearson(k, n);
    expect(Math.abs(lo - lower)).toBeLessThan(1e-9);
    expect(Math.abs(hi - upper)).toBeLessThan(1e-9);
  });

  it('gives the closed forms at k = 0 and k = n exactly', () => {
    expect(clopperPearson(0, 20)[0]).toBe(0);
    expect(clopperPearson(20, 20)[1]).toBe(1);
    // k = 0: upper = 1 − (α/2)^(1/n)
    expect(clopperPearson(0, 20)[1]).toBeCloseTo(1 - 0.025 ** (1 / 20), 12);
  });

  it('answers n = 0 with the whole interval rather than NaN', () => {
    expect(clopperPearson(0, 0)).toEqual([0, 1]);
  });

  it('contains the point estimate and narrows with n', () => {
    const [a, b] = clopperPearson(60, 100);
    const [c, d] = clopperPearson(6000, 10000);
    expect(a).toBeLessThan(0.6);
    expect(b).toBeGreaterThan(0.6);
    expect(d - c).toBeLessThan(b - a);
  });

  it('refuses misuse', () => {
    expect(() => clopperPearson(5, 4)).toThrow(RangeError);
    expect(() => clopperPearson(-1, 4)).toThrow(RangeError);
    expect(() => clopperPearson(1.5, 4)).toThrow(RangeError);
    expect(() => clopperPearson(1, 4, 0)).toThrow(RangeError);
  });
});
