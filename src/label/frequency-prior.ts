/**
 * An empirical-Bayes prior for selection frequencies: a distribution over a grid of frequencies
 * (200 cells) fitted to every image's answers at once by EM (the nonparametric maximum-likelihood
 * prior of a binomial mixture). It says how frequencies are spread in this pool — on CIFAR-10H most
 * images sit near 1 — so 10 yes out of 10 is read as "almost surely ≥ 0.8", which a per-image
 * interval alone cannot say (Clopper–Pearson gives [0.69, 1]). Pure; images with the same
 * (answers, selected) are grouped, so a fit costs little whatever the pool size.
 *
 * The maximum-likelihood prior is spiky (it puts its mass on a few frequencies), and with few
 * images it would declare an image settled merely because others had the same answers; a flat
 * floor (`floor` of the mass spread evenly, 10 % by default) keeps every frequency possible.
 */
import { frequencyBin } from '../core/frequency-bins.ts';

/** A fitted prior: weights over grid frequencies. */
export interface FrequencyPrior {
  /** Grid frequencies (cell centres), increasing. */
  grid: Float64Array;
  /** Prior weight of each cell; sums to 1. */
  weights: Float64Array;
}

/** Fits the prior to (answers, selected) tallies; images without answers are ignored. */
export function fitFrequencyPrior(
  tallies: readonly { answers: number; selected: number }[],
  options: { cells?: number; iterations?: number; floor?: number } = {},
): FrequencyPrior {
  const cells = options.cells ?? 200;
  const iterations = options.iterations ?? 50;
  const floor = options.floor ?? 0.1;
  if (!(floor >= 0 && floor <= 1)) throw new RangeError(`fitFrequencyPrior: floor must be in [0, 1], got ${floor}`);
  const grid = Float64Array.from({ length: cells }, (_, g) => (g + 0.5) / cells);
  const weights = new Float64Array(cells).fill(1 / cells);
  const groups = new Map<string, { n: number; k: number; count: number }>();
  for (const t of tallies) {
    if (t.answers <= 0) continue;
    const key = `${t.answers}/${t.selected}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { n: t.answers, k: t.selected, count: 1 });
  }
  const list = [...groups.values()];
  const total = list.reduce((s, g) => s + g.count, 0);
  if (total === 0) return { grid, weights };
  const logP = Float64Array.from(grid, Math.log),
    logQ = Float64Array.from(grid, (p) => Math.log(1 - p));
  // Likelihood of each group at each cell, scaled per group (the scale cancels in the posterior).
  const like = list.map((g) => {
    const l = new Float64Array(cells);
    let max = -Infinity;
    for (let c = 0; c < cells; c++) {
      l[c] = g.k * logP[c]! + (g.n - g.k) * logQ[c]!;
      if (l[c]! > max) max = l[c]!;
    }
    for (let c = 0; c < cells; c++) l[c] = Math.exp(l[c]! - max);
    return l;
  });
  const next = new Float64Array(cells);
  for (let it = 0; it < iterations; it++) {
    next.fill(0);
    list.forEach((g, i) => {
      const l = like[i] as Float64Array;
      let s = 0;
      for (let c = 0; c < cells; c++) s += weights[c]! * l[c]!;
      if (!(s > 0)) return;
      const scale = g.count / s;
      for (let c = 0; c < cells; c++) next[c] = next[c]! + weights[c]! * l[c]! * scale;
    });
    for (let c = 0; c < cells; c++) weights[c] = next[c]! / total;
  }
  for (let c = 0; c < cells; c++) weights[c] = (1 - floor) * weights[c]! + floor / cells;
  return { grid, weights };
}

/** Bin of a frequency against increasing edges: the number of edges ≤ it. */
export function binAgainst(frequency: number, edges: readonly number[]): number {
  return frequencyBin(frequency, edges);
}

/**
 * The posterior probability that an image with `selected` of `answers` has its true frequency in
 * another bin (against `edges`) than its current estimate selected / answers.
 */
export function misplacementProbability(prior: FrequencyPrior, answers: number, selected: number, edges: readonly number[]): number {
  if (answers <= 0) return 1;
  const here = binAgainst(selected / answers, edges);
  let max = -Infinity;
  const cells = prior.grid.length;
  const log = new Float64Array(cells);
  for (let c = 0; c < cells; c++) {
    const p = prior.grid[c]!,
      w = prior.weights[c]!;
    log[c] = w > 0 ? Math.log(w) + selected * Math.log(p) + (answers - selected) * Math.log(1 - p) : -Infinity;
    if (log[c]! > max) max = log[c]!;
  }
  let all = 0,
    away = 0;
  for (let c = 0; c < cells; c++) {
    const v = Math.exp(log[c]! - max);
    all += v;
    if (binAgainst(prior.grid[c]!, edges) !== here) away += v;
  }
  return all > 0 ? away / all : 1;
}
