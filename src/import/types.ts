/**
 * Contracts of the import stage: predictions made elsewhere, read into the results store under
 * canonical test-set names, and the per-(model, test set) counts that analysis and report read.
 */

/** Correct counts of one model on one test set, from the store or the bundled published results. */
export interface CountRecord {
  /** Model name. */
  model: string;
  /** Canonical test-set name (imagenet-val, cifar10.1-v6, ...). */
  testSet: string;
  /** Images in the test set (failed images count as wrong). */
  n: number;
  top1Correct: number;
  /** Null when fewer than 5 classes were stored per image (CIFAR-10 label arrays). */
  top5Correct: number | null;
  /** 'store': evaluated or imported by the user; 'published': the bundled paper results. */
  source: 'store' | 'published';
  /** The store run the counts come from (store records only). */
  runId?: number;
}

/** One test set as an importer reads it: labels and stable image ids, in the predictions' row order. */
export interface ImportDataset {
  /** Canonical name. */
  name: string;
  /** Where the labels came from. */
  source: string;
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
  datasets: ImportDataset[];
  predictions: ImportedPredictions[];
}

/** What an import did. */
export interface ImportSummary {
  format: string;
  /** Per (model, dataset): counts as stored. */
  runs: { model: string; dataset: string; runId: number; n: number; top1Correct: number; top5Correct: number | null; skipped: boolean; notes: string[] }[];
}
