/**
 * Rank agreement between two scorings of the same models. Spearman's ρ is the Pearson correlation
 * of the ranks (ties get their average rank); Kendall's τ-b corrects for ties in either ranking.
 * Fewer than two values, or a ranking with no variation, has no correlation: undefined.
 */

/** 1-based ranks, ties sharing their average rank. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]!] = rank;
    i = j + 1;
  }
  return ranks;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`pearson: x has ${n} values, y has ${y.length}`);
  if (n < 2) return undefined;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0,
    syy = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx,
      dy = y[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : undefined;
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  if (x.length !== y.length) throw new RangeError(`spearman: x has ${x.length} values, y has ${y.length}`);
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's τ-b (O(n²): fine for the hundreds of models an analysis compares). */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`kendallTauB: x has ${n} values, y has ${y.length}`);
  if (n < 2) return undefined;
  let concordant = 0,
    discordant = 0,
    tiesX = 0,
    tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denominator = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denominator > 0 ? (concordant - discordant) / denominator : undefined;
}
