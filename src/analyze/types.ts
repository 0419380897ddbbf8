/**
 * Contracts of the analysis stage: plain data in, plain data out. Accuracies are fractions in
 * [0, 1]; gaps and effective robustness are differences of fractions (0.12 = 12 points).
 */

/** How many of `n` predictions were correct. */
export interface Count {
  /** Correct predictions. */
  correct: number;
  /** Images scored (failed images count as wrong, so n is the test-set size). */
  n: number;
}

/** A count with its accuracy and exact 95 % interval. */
export interface AccuracyEstimate extends Count {
  /** correct / n. */
  accuracy: number;
  /** Clopper–Pearson 95 % interval [lower, upper]. */
  ci95: [number, number];
}

/** The scale in which a fit is computed: plain accuracy, Φ⁻¹(accuracy) or log(a / (1 − a)). */
export type Scale = 'linear' | 'probit' | 'logit';

/** An ordinary least squares line y = slope · x + intercept. */
export interface LineFit {
  /** Change of y per unit of x (in the fit's scale). */
  slope: number;
  /** y at x = 0 (in the fit's scale). */
  intercept: number;
  /** Coefficient of determination; null when y has no variance. */
  r2: number | null;
}

/** A line fit with seeded-bootstrap percentile intervals. */
export interface FitWithIntervals extends LineFit {
  /** Bootstrap percentile 95 % interval of the slope; null when fewer than 3 models. */
  slopeCi95: [number, number] | null;
  /** Bootstrap percentile 95 % interval of the intercept; null when fewer than 3 models. */
  interceptCi95: [number, number] | null;
}

/**
 * Where a model's numbers came from:
 * - 'store': per-image results the user evaluated or imported ("your models");
 * - 'table': published accuracies the user imported into the store (`retest import accuracies`):
 *   counts only, nothing per image;
 * - 'published': the results bundled with retest (the paper's counts, timm's table).
 */
export type CountSource = 'store' | 'table' | 'published';

/** One model scored on both test sets. */
export interface ModelPair {
  /** Model name. */
  model: string;
  /** Where the numbers came from. */
  source: CountSource;
  /** The published collection ('recht2019', 'timm', or an imported table's name); undefined for 'store'. */
  collection?: string;
  /** Correct count and size on the original test set (for the chosen metric). */
  original: Count;
  /** Correct count and size on the new test set (for the chosen metric). */
  new: Count;
}

/** Per-model row of an analysis. */
export interface ModelComparison {
  /** Model name. */
  model: string;
  /** Accuracy and its interval on the original test set. */
  original: AccuracyEstimate;
  /** Accuracy and its interval on the new test set. */
  new: AccuracyEstimate;
  /** original.accuracy − new.accuracy. */
  gap: number;
  /** new.accuracy minus the fitted line at original.accuracy (fit in the analysis scale, mapped back to accuracy); null without a fit. */
  effectiveRobustness: number | null;
}

/** An analysis of two test sets (its wire form, snake_case, is `AnalysisJson`). */
export interface Analysis {
  /** Original test-set name. */
  original: string;
  /** New test-set name. */
  new: string;
  /** 'top1' or 'top5'. */
  metric: 'top1' | 'top5';
  /** One row per model, sorted by original accuracy (then name). */
  models: ModelComparison[];
  /** Fits of new vs original accuracy across models; a scale is null when fewer than 2 distinct models. */
  fits: Record<Scale, FitWithIntervals | null>;
  /** Rank agreement of the models between the two test sets; null with fewer than 2 models. */
  rankCorrelation: RankCorrelation;
}

/** Rank agreement of the models between the two test sets. */
export interface RankCorrelation {
  /** Spearman's ρ; null with fewer than 2 models or no variance. */
  spearman: number | null;
  /** Kendall's τ-b; null with fewer than 2 models or no variance. */
  kendall: number | null;
}

/** A fit as written in `retest analyze --json` and the report's analysis files. */
export interface FitJson {
  /** Fitted slope. */
  slope: number;
  /** Fitted intercept. */
  intercept: number;
  /** FitWithIntervals.slopeCi95. */
  slope_ci95: [number, number] | null;
  /** FitWithIntervals.interceptCi95. */
  intercept_ci95: [number, number] | null;
  /** Coefficient of determination; null when y has no variance. */
  r2: number | null;
}

/** A model's row as written in `retest analyze --json`. */
export interface ModelComparisonJson {
  /** Model name. */
  model: string;
  /** Accuracy on the original test set. */
  original: AccuracyEstimate;
  /** Accuracy on the new test set. */
  new: AccuracyEstimate;
  /** original.accuracy − new.accuracy. */
  gap: number;
  /** ModelComparison.effectiveRobustness. */
  effective_robustness: number | null;
}

/** The `retest analyze --json` object (and the report's analysis/<pair>.json): `Analysis` in wire casing. */
export interface AnalysisJson {
  /** Original test-set name. */
  original: string;
  /** New test-set name. */
  new: string;
  /** 'top1' or 'top5'. */
  metric: 'top1' | 'top5';
  /** Per model, in the analysis's order. */
  models: ModelComparisonJson[];
  /** Fits per scale; null when fewer than 2 distinct models. */
  fits: Record<Scale, FitJson | null>;
  /** Analysis.rankCorrelation. */
  rank_correlation: RankCorrelation;
}

/** Accuracy of the models on the images whose selection frequency falls in one bin. */
export interface FrequencyBin {
  /** Inclusive lower edge. */
  lower: number;
  /** Upper edge (exclusive, except for the last bin, which includes 1). */
  upper: number;
  /** Images in the bin. */
  images: number;
  /** Accuracy of each model on those images (null when the bin is empty), in the order of the models given. */
  accuracy: (number | null)[];
  /** Mean over models; null when the bin is empty. */
  meanAccuracy: number | null;
}

/** Correct counts of one model on one test set, from the store or the bundled published results. */
export interface CountRecord {
  /** Model name. */
  model: string;
  /** Canonical test-set name (imagenet-val, cifar10.1-v6, ...). */
  testSet: string;
  /** Images in the test set (failed images count as wrong). */
  n: number;
  /** Images whose top-1 prediction is the label. */
  top1Correct: number;
  /** Null when fewer than 5 classes were stored per image (CIFAR-10 label arrays). */
  top5Correct: number | null;
  /** 'store': per-image results of the user; 'table': an imported accuracy table; 'published': bundled with retest. */
  source: CountSource;
  /** For 'table' and 'published': which collection ('recht2019', 'timm', an imported table's name). */
  collection?: string;
  /** The store run the counts come from (store records only). */
  runId?: number;
}
