/**
 * Scales a histogram of counts to `target` items by largest-remainder rounding, exactly as the
 * ImageNetV2 code did (`round_histogram`): each bin gets floor(target·h/Σh); the remaining units go
 * to the bins with the largest remainders, ties to the higher bin. Computed in integers, so ties are
 * exact (no floating-point noise). An all-zero histogram gives all zeros.
 */
export function roundHistogram(histogram: readonly number[], target: number): number[] {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0 || target === 0) return histogram.map(() => 0);
  const floors = histogram.map((h) => Math.floor((target * h) / total));
  const remainders = histogram.map((h) => (target * h) % total);
  let left = target - floors.reduce((a, b) => a + b, 0);
  const order = histogram.map((_, i) => i).sort((a, b) => (remainders[b]! - remainders[a]!) || (b - a));
  for (const i of order) {
    if (left === 0) break;
    floors[i]! += 1;
    left -= 1;
  }
  return floors;
}

/** Bin index of a frequency given the bins' upper edges: the first edge it is below, else the last bin. */
export function binOf(frequency: number, edges: readonly number[]): number {
  for (let i = 0; i < edges.length; i++) if (frequency < edges[i]!) return i;
  return edges.length;
}
