/**
 * MatchedFrequency's fill on counts rather than images (DESIGN §1.6): each bin first takes from its
 * own candidates; then, lowest bin first, each slot still open takes one candidate from the next
 * higher bin that has any left ("upward sampling"); what no bin can fill is the shortfall. Counts
 * may be fractional (expected counts). Equivalently, the shortfall is
 * max over b of (Σ_{j≥b} target_j − Σ_{j≥b} available_j), and 0 when none is positive: bins can
 * only lend downwards.
 */
export function upwardFillShortfall(targets: readonly number[], available: readonly number[]): number {
  if (targets.length !== available.length) throw new RangeError(`upwardFillShortfall: ${targets.length} targets but ${available.length} bins of candidates`);
  const left = available.map((a, b) => Math.max(0, a - targets[b]!));
  let short = 0;
  for (let b = 0; b < targets.length; b++) {
    let need = Math.max(0, targets[b]! - available[b]!);
    for (let next = b + 1; next < targets.length && need > 0; next++) {
      const take = Math.min(need, left[next]!);
      left[next] = left[next]! - take;
      need -= take;
    }
    short += need;
  }
  return short;
}

/**
 * The fewest candidates C (in total, at the pilot's bin shares) whose expected counts C·shareᵦ fill
 * every slot: C = max over bins b with demand of Σ_{j≥b} target_j / Σ_{j≥b} share_j. Null when a
 * bin's demand can only come from bins the pilot never saw (share 0 at and above it).
 */
export function candidatesToFill(targets: readonly number[], share: readonly number[]): number | null {
  let need = 0;
  let demand = 0,
    supply = 0;
  for (let b = targets.length - 1; b >= 0; b--) {
    demand += targets[b]!;
    supply += share[b]!;
    if (demand === 0) continue;
    if (supply <= 0) return null;
    need = Math.max(need, demand / supply);
  }
  return Math.ceil(need - 1e-9);
}
