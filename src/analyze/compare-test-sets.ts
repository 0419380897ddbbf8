/**
 * The analysis of one (original, new) pair of test sets across models: per-model accuracies with
 * exact intervals, gaps, the linear trend in three scales with seeded-bootstrap intervals,
 * effective robustness and rank correlations. Pure: counts in, numbers out.
 */
import { createRng } from '../core/rng.ts';
import { bootstrapLines, lineIntervals, type BootstrapLines } from './bootstrap.ts';
import { clopperPearson } from './clopper-pearson.ts';
import { olsFit } from './ols.ts';
import { kendallTauB, spearman } from './rank-correlation.ts';
import { fromScale, SCALES, toScale } from './scales.ts';
import type { AccuracyEstimate, Analysis, Count, CountSource, FitWithIntervals, ModelComparison, ModelPair, Scale } from './types.ts';

export interface CompareOptions {
  /** Original test-set name (for the output). */
  original: string;
  /** New test-set name. */
  new: string;
  /** Which count the pairs hold. */
  metric: 'top1' | 'top5';
  /** Scale of the fit used for effective robustness. Default 'linear'. */
  scale?: Scale;
  /** Bootstrap resamples. Default 100,000 (the paper's). */
  resamples?: number;
  /** Bootstrap seed. Default 0. */
  seed?: number | string;
  /** Which models the fit uses (all by default); the others are still listed and get an effective robustness. */
  inFit?: (model: string) => boolean;
}

export interface Comparison {
  /** The `retest analyze --json` object. */
  analysis: Analysis;
  /** Where each model's numbers came from, in `analysis.models` order. */
  sources: CountSource[];
  /** Each model's published collection ('recht2019', 'timm', a table's name), null for the user's per-image results; `analysis.models` order. */
  collections: (string | null)[];
  /** Whether each model was used for the fit, in `analysis.models` order. */
  inFit: boolean[];
  /** Mean of the gaps in accuracy (original − new); null without models. */
  meanGap: number | null;
  /** Scale used for effective robustness. */
  scale: Scale;
  /** The bootstrap lines per scale (for plotting the band); null where there is no fit. */
  bootstrap: Record<Scale, BootstrapLines | null>;
  resamples: number;
  seed: number | string;
}

export const DEFAULT_RESAMPLES = 100_000;

/** (1 − new accuracy) / (1 − original accuracy): how many times more errors on the new set; null when the original has no errors. */
export function errorRatio(model: { original: { accuracy: number }; new: { accuracy: number } }): number | null {
  const originalError = 1 - model.original.accuracy;
  return originalError > 0 ? (1 - model.new.accuracy) / originalError : null;
}

export function estimate(count: Count): AccuracyEstimate {
  return { correct: count.correct, n: count.n, accuracy: count.n > 0 ? count.correct / count.n : 0, ci95: clopperPearson(count.correct, count.n) };
}

/** Fit in one scale with bootstrap intervals; null when the models do not determine a line. */
export function fitInScale(
  scale: Scale,
  originalAccuracy: ArrayLike<number>,
  newAccuracy: ArrayLike<number>,
  resamples: number,
  seed: number | string,
): { fit: FitWithIntervals; lines: BootstrapLines } | null {
  const x = Float64Array.from(originalAccuracy as ArrayLike<number>, (a) => toScale(scale, a));
  const y = Float64Array.from(newAccuracy as ArrayLike<number>, (a) => toScale(scale, a));
  const line = olsFit(x, y);
  if (!line) return null;
  const lines = bootstrapLines(x, y, resamples, createRng(seed));
  const intervals = x.length >= 3 ? lineIntervals(lines) : undefined;
  return {
    // key order as documented for `retest analyze --json`
    fit: { slope: line.slope, intercept: line.intercept, slopeCi95: intervals?.slope ?? null, interceptCi95: intervals?.intercept ?? null, r2: line.r2 },
    lines,
  };
}

export function compareTestSets(pairs: readonly ModelPair[], options: CompareOptions): Comparison {
  const scale = options.scale ?? 'linear';
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const seed = options.seed ?? 0;
  const names = new Set<string>();
  for (const p of pairs) {
    if (names.has(p.model)) throw new RangeError(`compareTestSets: model "${p.model}" appears twice`);
    names.add(p.model);
  }
  const sorted = [...pairs].sort((a, b) => a.original.correct / a.original.n - b.original.correct / b.original.n || (a.model < b.model ? -1 : 1));
  const rows = sorted.map((p) => ({ model: p.model, original: estimate(p.original), new: estimate(p.new) }));
  const xo = rows.map((r) => r.original.accuracy);
  const yn = rows.map((r) => r.new.accuracy);
  const inFit = rows.map((r) => (options.inFit ? options.inFit(r.model) : true));
  const fitX = xo.filter((_, i) => inFit[i]);
  const fitY = yn.filter((_, i) => inFit[i]);

  const fits = {} as Record<Scale, FitWithIntervals | null>;
  const bootstrap = {} as Record<Scale, BootstrapLines | null>;
  for (const s of SCALES) {
    const result = fitInScale(s, fitX, fitY, resamples, seed);
    fits[s] = result?.fit ?? null;
    bootstrap[s] = result?.lines ?? null;
  }
  const fit = fits[scale];
  const models: ModelComparison[] = rows.map((r) => ({
    model: r.model,
    original: r.original,
    new: r.new,
    gap: r.original.accuracy - r.new.accuracy,
    effectiveRobustness: fit ? r.new.accuracy - fromScale(scale, fit.slope * toScale(scale, r.original.accuracy) + fit.intercept) : null,
  }));
  const analysis: Analysis = {
    original: options.original,
    new: options.new,
    metric: options.metric,
    models,
    fits,
    rankCorrelation: { spearman: spearman(xo, yn) ?? null, kendall: kendallTauB(xo, yn) ?? null },
  };
  return {
    analysis,
    sources: sorted.map((p) => p.source),
    collections: sorted.map((p) => p.collection ?? null),
    inFit,
    meanGap: models.length > 0 ? models.reduce((s, m) => s + m.gap, 0) / models.length : null,
    scale,
    bootstrap,
    resamples,
    seed,
  };
}
