/**
 * Percentile rank of a value among others: the percentage of `values` below `x`, ties counting
 * half (so a value equal to every other one sits at 50). Empty `values` has no rank: undefined.
 * Used for "your model's effective robustness is above 93.1 % of timm's models".
 */
export function percentileRank(values: ArrayLike<number>, x: number): number | undefined {
  if (values.length === 0 || !Number.isFinite(x)) return undefined;
  let below = 0,
    equal = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < x) below++;
    else if (v === x) equal++;
  }
  return (100 * (below + equal / 2)) / values.length;
}
