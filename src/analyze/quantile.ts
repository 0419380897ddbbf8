/**
 * Sample quantiles with linear interpolation between order statistics (numpy's default,
 * "linear" / R type 7), by quickselect, so a band over many x values stays O(n) per value.
 * Reorders `values` in place. Empty input gives undefined.
 */
export function quantileInPlace(values: Float64Array, p: number): number | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = select(values, lo, 0, n - 1);
  if (h === lo) return a;
  // The next order statistic is the minimum of the part right of lo (already partitioned).
  let b = Infinity;
  for (let i = lo + 1; i < n; i++) if (values[i]! < b) b = values[i]!;
  return a + (h - lo) * (b - a);
}

/** Both ends of a central interval (e.g. 0.025 and 0.975). */
export function percentileInterval(values: Float64Array, level = 0.95): [number, number] | undefined {
  const lower = quantileInPlace(values, (1 - level) / 2);
  const upper = quantileInPlace(values, 1 - (1 - level) / 2);
  return lower === undefined || upper === undefined ? undefined : [lower, upper];
}

/** Quickselect with a median-of-three pivot and a three-way partition (so runs of equal values stay linear): afterwards values[k] is the k-th smallest, everything left of k is ≤ it and everything right is ≥ it. */
function select(a: Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    const x = a[left]!,
      y = a[mid]!,
      z = a[right]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // a[left..lt-1] < pivot, a[lt..i-1] == pivot, a[gt+1..right] > pivot
    let lt = left,
      i = left,
      gt = right;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) swap(a, lt++, i++);
      else if (v > pivot) swap(a, i, gt--);
      else i++;
    }
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else return pivot;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
