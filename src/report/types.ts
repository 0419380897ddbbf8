/**
 * Contracts of the report stage. Specs are Vega-Lite (v6) objects; accuracies in plots and
 * tables are percentages.
 */
import type { AccuracyEstimate, AnalysisJson, Comparison, FitJson, FrequencyBin, Scale } from '../analyze/index.ts';
import type { CloudPanel } from './cloud-panel.ts';

/** A Vega-Lite specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** Axes of the scatter: plain percent, or probit-spaced (ticks still labelled in percent). */
export type Axes = Extract<Scale, 'linear' | 'probit'>;

/** Accuracy by selection frequency for one test set of a pair. */
export interface FrequencySection {
  /** The test set whose images the frequencies belong to. */
  testSet: string;
  /** Where the frequencies came from. */
  source: string;
  /** Model names, in the order of each bin's `accuracy`. */
  models: string[];
  /** The selection-frequency bins with each model's accuracy on the images in them. */
  bins: FrequencyBin[];
}

/** Everything the report shows for one (original, new) pair. */
export interface PairReport {
  /** Human title ("ImageNet → ImageNetV2 MatchedFrequency"). */
  title: string;
  /** File-name stem for this pair's outputs (`imagenet-val__imagenetv2-matched-frequency`). */
  slug: string;
  /** The analysis of the pair with each model's source and whether it is in the fit. */
  comparison: Comparison;
  /** Patterns whose models were kept out of the fit. */
  fitExclude: string[];
  /** Accuracy by selection frequency, one section per test set with frequencies (may be empty). */
  frequencies: FrequencySection[];
}

/** A published collection's cloud on one pair, as the report shows it. */
export interface CloudReport {
  /** Title of the pair. */
  title: string;
  /** File-name stem of this panel's outputs (`imagenet-val__imagenetv2-matched-frequency.cloud-timm`). */
  slug: string;
  /** The cloud's points and fits as the plot draws them. */
  panel: CloudPanel;
  /** Headline numbers of the cloud's comparison (your models + the cloud's, fitted over the cloud's). */
  headline: PairHeadline;
  /** The static SVG (kept for papers, and shown until the interactive plot has rendered). */
  svg: string;
  /** The interactive plot: the Vega spec (compiled from specs/<slug>.interactive.vl.json). */
  vega: Record<string, unknown>;
}

/** Headline numbers of one pair, as `retest report` prints them. */
export interface PairHeadline {
  /** Original test-set name. */
  original: string;
  /** New test-set name. */
  new: string;
  /** Human title of the pair. */
  title: string;
  /** The accuracy compared. */
  metric: 'top1' | 'top5';
  /** Models compared. */
  models: number;
  /** Models from the user's store (evaluated or imported). */
  yourModels: number;
  /** Models the fits use. */
  modelsInFit: number;
  /** Mean of original − new accuracy over the models, in points (percent). */
  meanDropPoints: number | null;
  /** Slope (with interval) of the fit in the linear scale; null when the models do not determine a line. */
  linear: HeadlineSlope | null;
  /** Slope (with interval) of the fit in the probit scale; null when the models do not determine a line. */
  probit: HeadlineSlope | null;
  /** For a cloud panel: the collection fitted ('timm', an imported table); absent for the main panel. */
  collection?: string;
}

export interface ReportSummary {
  /** Output folder. */
  out: string;
  /** Files written, relative to `out`, sorted. */
  files: string[];
  /** Headlines of the main panels (your models and the paper's). */
  pairs: PairHeadline[];
  /** Headlines of the cloud panels (your models and another published collection, fitted over it). */
  clouds: PairHeadline[];
}

/** A fitted slope with its bootstrap interval, for a headline. */
export interface HeadlineSlope {
  /** The fitted slope. */
  slope: number;
  /** Bootstrap percentile 95 % interval; null when fewer than 3 models. */
  slopeCi95: [number, number] | null;
}

/**
 * The report's `analysis/<pair>.cloud-<collection>.json`: `CloudPanel` in wire casing (snake_case
 * throughout), keys in this order: collection, reference_collection, the cloud's analysis
 * (`AnalysisJson`), reference_fits, yours.
 */
export interface CloudAnalysisJson extends AnalysisJson {
  /** The cloud's collection ('timm', an imported table's name). */
  collection: string;
  /** The reference collection (the paper's) when it has models on this pair; else null. */
  reference_collection: string | null;
  /** The reference's fits per scale (over its own models); null without a reference. */
  reference_fits: Record<Scale, FitJson | null> | null;
  /** Your models, in the cloud analysis's order. */
  yours: YourModelJson[];
}

/** One of your models in a cloud analysis file (`YourModelPosition` in wire casing). */
export interface YourModelJson {
  /** Model name. */
  model: string;
  /** Accuracy on the original test set: correct, n, accuracy, ci95. */
  original: AccuracyEstimate;
  /** Accuracy on the new test set. */
  new: AccuracyEstimate;
  /** One entry per fit: the cloud's first, then the reference collection's. */
  under: PositionUnderFitJson[];
}

/** What one collection's fit says about one of your models (`PositionUnderFit` in wire casing). */
export interface PositionUnderFitJson {
  /** The collection whose models were fitted. */
  collection: string;
  /** Models in that fit. */
  fit_models: number;
  /** Your new accuracy minus that fit at your original accuracy (fraction); null without a fit. */
  effective_robustness: number | null;
  /** Percentage of the collection's fitted models whose effective robustness is below yours (ties count half); null without a fit. */
  percentile: number | null;
}
