/**
 * Accuracy by selection-frequency bin: how often models are right on images that few or many
 * annotators picked as the class. The paper's finding is that accuracy rises with the frequency.
 * Default bins are the paper's (core/frequency-bins.ts): [0, 0.2), [0.2, 0.4), [0.4, 0.6), [0.6, 0.8), [0.8, 1].
 */
import { FREQUENCY_BOUNDS } from '../core/frequency-bins.ts';
import type { FrequencyBin } from './types.ts';

/**
 * `frequencies[i]` is image i's selection frequency in [0, 1] (NaN = unknown: the image is left out);
 * `correct[m][i]` is 1 when model m got image i right.
 */
export function accuracyByFrequency(
  frequencies: ArrayLike<number>,
  correct: readonly ArrayLike<number>[],
  edges: readonly number[] = FREQUENCY_BOUNDS,
): FrequencyBin[] {
  if (edges.length < 2) throw new RangeError('accuracyByFrequency: need at least two bin edges');
  for (let b = 1; b < edges.length; b++) {
    if (!(edges[b]! > edges[b - 1]!)) throw new RangeError(`accuracyByFrequency: bin edges must increase, got ${edges.join(', ')}`);
  }
  const n = frequencies.length;
  for (const [m, c] of correct.entries()) {
    if (c.length !== n) throw new RangeError(`accuracyByFrequency: model ${m} has ${c.length} images, the frequencies ${n}`);
  }
  const bins = edges.length - 1;
  const binOf = new Int32Array(n).fill(-1);
  const images = new Array<number>(bins).fill(0);
  const last = edges[bins]!;
  for (let i = 0; i < n; i++) {
    const f = frequencies[i]!;
    if (!Number.isFinite(f) || f < edges[0]! || f > last) continue;
    let b = 0;
    while (b < bins - 1 && f >= edges[b + 1]!) b++;
    binOf[i] = b;
    images[b] = images[b]! + 1;
  }
  const hits = correct.map(() => new Array<number>(bins).fill(0));
  correct.forEach((c, m) => {
    const h = hits[m] as number[];
    for (let i = 0; i < n; i++) {
      const b = binOf[i]!;
      if (b >= 0 && c[i]) h[b] = h[b]! + 1;
    }
  });
  return Array.from({ length: bins }, (_, b) => {
    const count = images[b]!;
    const accuracy = hits.map((h) => (count > 0 ? h[b]! / count : null));
    const known = accuracy.filter((a): a is number => a !== null);
    return {
      lower: edges[b]!,
      upper: edges[b + 1]!,
      images: count,
      accuracy,
      meanAccuracy: known.length > 0 ? known.reduce((s, a) => s + a, 0) / known.length : null,
    };
  });
}
