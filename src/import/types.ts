/**
 * Contracts of the import stage: predictions made elsewhere, read into the results store under
 * canonical test-set names, and the per-(model, test set) counts that analysis and report read.
 */

/** Counts per (model, test set): defined by the analysis stage, which consumes them. */
export type { CountRecord } from '../analyze/index.ts';

/** One test set as an importer reads it: labels and stable image ids, in the predictions' row order. */
export interface ImportDataset {
  /** Canonical name. */
  name: string;
  /** Where the labels came from. */
  source: string;
  /** Number of classes of the label space (10 for CIFAR-10, 1000 for ImageNet). */
  numClasses: number;
  /** Image ids in row order. */
  imageIds: string[];
  /** Class index per row. */
  labels: Int32Array;
}

/** One model's predictions on one test set, already validated. */
export interface ImportedPredictions {
  /** Model name as it will appear in the store. */
  model: string;
  /** Canonical test-set name; must be one of the importer's datasets. */
  dataset: string;
  /** The file read. */
  file: string;
  /** Classes per row, best first (k = 1 for label arrays). */
  k: number;
  /** Row-major rows × k class indices. */
  topk: Int32Array;
  /** Notes about how the file was read (e.g. "top-5 stored best-last: reversed"). */
  notes: string[];
}

/** Everything one `retest import` call writes, in one transaction. */
export interface ImportBatch {
  /** Format name recorded in each run's config ("imagenetv2-npy", "cifar10.1-json", "csv", "npy-logits"). */
  format: string;
  /** The test sets the predictions are scored against (labels and image ids). */
  datasets: ImportDataset[];
  /** One entry per (model, test set) file read. */
  predictions: ImportedPredictions[];
}

/** What an import did. */
export interface ImportSummary {
  /** Format name, as in ImportBatch. */
  format: string;
  /** Per (model, dataset): counts as stored. */
  runs: ImportedRun[];
}

/** One run an import wrote (or found already stored). */
export interface ImportedRun {
  /** Model name in the results store. */
  model: string;
  /** Test set name. */
  dataset: string;
  /** The run's id in the results store. */
  runId: number;
  /** Images in the test set (one prediction each). */
  n: number;
  /** Images whose top-1 prediction is the label. */
  top1Correct: number;
  /** Images with the label among the top five; null when the file has only top-1 predictions. */
  top5Correct: number | null;
  /** True when the same run was stored already (nothing written). */
  skipped: boolean;
  /** Remarks about the file (e.g. renamed model, ignored columns). */
  notes: string[];
}
