/**
 * Contracts of the report stage. Specs are Vega-Lite (v6) objects; accuracies in plots and
 * tables are percentages.
 */
import type { Comparison, FrequencyBin, Scale } from '../analyze/index.ts';
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
  bins: FrequencyBin[];
}

/** Everything the report shows for one (original, new) pair. */
export interface PairReport {
  /** Human title ("ImageNet → ImageNetV2 MatchedFrequency"). */
  title: string;
  /** File-name stem for this pair's outputs (`imagenet-val__imagenetv2-matched-frequency`). */
  slug: string;
  comparison: Comparison;
  /** Patterns whose models were kept out of the fit. */
  fitExclude: string[];
  frequencies: FrequencySection[];
}

/** A published collection's cloud on one pair, as the report shows it. */
export interface CloudReport {
  /** Title of the pair. */
  title: string;
  /** File-name stem of this panel's outputs (`imagenet-val__imagenetv2-matched-frequency.cloud-timm`). */
  slug: string;
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
  original: string;
  new: string;
  title: string;
  metric: 'top1' | 'top5';
  models: number;
  /** Models from the user's store (evaluated or imported). */
  yourModels: number;
  modelsInFit: number;
  /** Mean of original − new accuracy over the models, in points (percent). */
  meanDropPoints: number | null;
  linear: HeadlineSlope | null;
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
