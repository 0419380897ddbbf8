/**
 * The results store: what `retest eval` and `retest import` write and `retest analyze` / `report` /
 * `plan` read — test sets (with their content versions), models, runs, every prediction, each
 * run's correct counts, and published accuracy tables. One interface, one SQL implementation
 * (sql-store.ts) on either backend of the database port (SQLite or PostgreSQL); no database handle
 * appears in any signature, so callers cannot reach around it.
 *
 * Every method is async (a network database fits). Writes that belong together are one
 * transaction, so a killed process leaves all of a batch or none of it; `transaction` groups
 * several calls into one.
 */

/** One content version of a named test set. */
export interface DatasetRecord {
  /** Store id of this version (runs point at it). */
  id: number;
  /** The set's name; `<name>@v<version>` once another content became current (see `registerDataset`). */
  name: string;
  /** Number of images. */
  size: number;
  /** Number of classes. */
  numClasses: number;
  /** Path or URL the images/labels were read from (the latest source seen for this content). */
  source: string;
  /** sha256 over the (image id, label) sequence (`datasetFingerprint`). */
  fingerprint: string;
  /** Content hash of this version (ids, labels and every image's pixels or bytes); null when registered without its images (imports). */
  contentHash: string | null;
  /** Number of this version of the named set: 1 for the first content seen under the name, then 2, 3, … */
  version: number;
}

/** `registerDataset`'s answer: the record, and the version that was current before when the content changed. */
export interface RegisteredDataset extends DatasetRecord {
  /** The version that was current before this registration when the content differs from it (a changed file); else null. */
  changedFrom: number | null;
}

/** What `registerDataset` takes. */
export interface DatasetInput {
  /** The set's name (canonical, e.g. cifar10-test, or the file stem of a path). */
  name: string;
  /** Where the images/labels were read from. */
  source: string;
  /** Number of classes. */
  numClasses: number;
  /** Image ids and labels, in dataset order (position = `idx` of predictions). */
  images: readonly ImageLabel[];
  /** Content hash (ids, labels, pixels or bytes); null or absent when only labels are known (imports). */
  contentHash?: string | null;
}

/** One image of a test set. */
export interface ImageLabel {
  /** Stable id of the image (file stem, or the record index as text for arrays). */
  imageId: string;
  /** Class index. */
  label: number;
}

/** Who works on a run: one process, "host:pid". */
export interface RunOwner {
  /** The process's id, "host:pid" (`thisProcess()`). */
  id: string;
  /** Seconds a claim lasts without a write; renewed with every batch written. 0: lapses at once (tests). */
  leaseSeconds: number;
}

/** `leaseRun`'s answer. */
export type LeaseAnswer =
  | {
      /** The run is now this process's. */
      acquired: true;
    }
  | {
      /** Another live process holds the run. */
      acquired: false;
      /** The process holding the run ("host:pid"). */
      owner: string;
      /** ISO time (the database's clock) its claim lapses unless it writes again. */
      leaseUntil: string;
    };

/** One run: a model on one content version of a test set, with one config. */
export interface RunRecord {
  /** Store id. */
  id: number;
  /** The model's store id. */
  modelId: number;
  /** The dataset version's store id. */
  datasetId: number;
  /** 'running' until `finishRun`; a finished run never changes. */
  status: 'running' | 'done';
  /** The config the run was opened with (preprocessing, top-k, …); its canonical JSON identifies the run. */
  config: Record<string, unknown>;
}

/** One image's prediction, as written. */
export interface PredictionRow {
  /** Image position in the dataset. */
  idx: number;
  /** Class indices, best first; empty when the image failed. */
  topk: readonly number[];
  /** Scores of `topk` (kept as float32), or null when unknown (imported top-k). */
  scores: readonly number[] | null;
  /** Full logits (float32), only with --save-logits; absent or null otherwise. */
  logits?: Float32Array | null;
  /** Why the image failed (it counts as wrong); null when it did not. */
  error: string | null;
}

/** One image's prediction, as read back. */
export interface StoredPrediction {
  /** Image position in the dataset. */
  idx: number;
  /** Class indices, best first; empty when the image failed. */
  topk: number[];
  /** Scores of `topk`, or null when unknown. */
  scores: number[] | null;
  /** Why the image failed; null when it did not. */
  error: string | null;
  /** Full logits, or null when not saved. */
  logits: Float32Array | null;
}

/** The counts of one run, kept as its predictions are written (never recounted from the rows). */
export interface RunScore {
  /** Store id of the run. */
  runId: number;
  /** Model name. */
  model: string;
  /** The test set's name (without an `@vN` suffix, also for an older version). */
  dataset: string;
  /** Images in the dataset. */
  n: number;
  /** Images that failed (unreadable); they count as wrong. */
  failed: number;
  /** Images whose first class is the label. */
  top1Correct: number;
  /** Images with the label among their first 5 classes; null when some image has fewer than 5 stored classes. */
  top5Correct: number | null;
  /** Throughput of the last process that worked on the run; null when unknown (imports). */
  imagesPerSecond: number | null;
  /** Version of the test set's content the run read; null when that content is unknown (imports). */
  datasetVersion: number | null;
}

/**
 * Correct counts of the latest finished run of a model on the current version of a test set, as
 * the analysis stage reads them (`source: 'store'`: per-image results of the user).
 */
export interface RunCounts {
  /** Model name. */
  model: string;
  /** Test-set name. */
  testSet: string;
  /** Images in the test set (failed images count as wrong). */
  n: number;
  /** Top-1 correct. */
  top1Correct: number;
  /** Top-5 correct; null when fewer than 5 classes were stored for some image. */
  top5Correct: number | null;
  /** Always 'store': these counts have per-image predictions behind them. */
  source: 'store';
  /** The run they come from. */
  runId: number;
}

/** One published accuracy (a row × test-set cell of an accuracy table), as written. */
export interface PublishedAccuracy {
  /** Model name (the table's key cells joined by '@'). */
  model: string;
  /** Canonical test-set name. */
  testSet: string;
  /** Images in the test set. */
  n: number;
  /** round(top1Accuracy × n). */
  top1Correct: number;
  /** round(top5Accuracy × n); null when the table has no top-5 for this model. */
  top5Correct: number | null;
  /** Top-1 accuracy as published, as a fraction. */
  top1Accuracy: number;
  /** Top-5 accuracy as published, as a fraction; null when not published. */
  top5Accuracy: number | null;
  /** Name of the collection the table belongs to (`--collection`), drawn as one cloud in reports. */
  collection: string;
  /** The table file. */
  sourceFile: string;
  /** Line of the file the value is on (1 = header). */
  sourceLine: number;
  /** Column the top-1 value came from. */
  sourceColumn: string;
  /** Units of that column. */
  units: 'percent' | 'fraction';
}

/** What `writePublishedAccuracies` did. */
export interface PublishedWriteSummary {
  /** Rows written. */
  imported: number;
  /** Rows whose (model, test set) was already stored, left as they were (without `replace`). */
  skipped: PublishedAccuracy[];
  /** Models of these rows that also have finished per-image runs in the store (analyses use those instead), sorted. */
  shadowed: string[];
}

/** Counts of a published accuracy, as the analysis stage reads them (`source: 'table'`). */
export interface PublishedCounts {
  /** Model name. */
  model: string;
  /** Test-set name. */
  testSet: string;
  /** Images in the test set. */
  n: number;
  /** round(top-1 accuracy × n). */
  top1Correct: number;
  /** round(top-5 accuracy × n), or null when not published. */
  top5Correct: number | null;
  /** Always 'table': an imported accuracy table, nothing per image. */
  source: 'table';
  /** The collection the table was imported as. */
  collection: string;
}

/** What one process adds to a run's provenance when it starts writing predictions. */
export interface RunProvenanceInput {
  /** The execution provider it runs the model on ("cpu", "cuda:0", …). */
  provider: string;
  /** Its retest version (package.json). */
  retestVersion: string;
}

/** One run with its provenance, as `retest runs` lists it. */
export interface RunInfo {
  /** Store id of the run. */
  runId: number;
  /** 'running' (unfinished or interrupted) or 'done'. */
  status: 'running' | 'done';
  /** Model name. */
  model: string;
  /** The model file the run was opened with (the latest path seen for the name), or null (imports). */
  modelPath: string | null;
  /** sha256 of the model file, or null (imports). */
  modelSha256: string | null;
  /** The test set's name as stored: `<name>`, or `<name>@vN` for a version that is no longer current. */
  dataset: string;
  /** Version of the test set's content. */
  datasetVersion: number;
  /** Content hash of that version (ids, labels, pixels or bytes); null when registered without images (imports). */
  datasetContentHash: string | null;
  /** Images in the test set. */
  n: number;
  /** Predictions written so far. */
  predicted: number;
  /** Top-1 correct so far. */
  top1Correct: number;
  /** The preprocessing the run was made with (its config's `preprocessing`); null when the config has none (imports). */
  preprocessing: Record<string, unknown> | null;
  /** The run's whole config (its identity). */
  config: Record<string, unknown>;
  /** Execution providers that wrote predictions, in order; empty when unknown (runs made before provenance was kept, imports). */
  providers: string[];
  /** retest versions that wrote predictions; empty when unknown. */
  retestVersions: string[];
  /** ISO time the run was opened. */
  startedAt: string;
  /** ISO time it finished, or null. */
  finishedAt: string | null;
  /** Throughput of the last process that worked on it; null when unknown. */
  imagesPerSecond: number | null;
}

/** The results store. Errors about its content name `location` as their file. */
export interface ResultsStore {
  /** Where the store is, for messages: the SQLite path, or the PostgreSQL URL without its password. */
  readonly location: string;
  /** Which backend holds it. */
  readonly backend: 'sqlite' | 'postgres';

  /**
   * Runs `fn` with a store whose every call is part of ONE transaction: all of it is committed when
   * `fn` resolves, none of it when it rejects. Calls on the outer store wait until it ends (SQLite)
   * or run beside it (PostgreSQL). On PostgreSQL `fn` may be run again after a serialization
   * conflict, so it must have no effects outside the store. Nested calls join the open transaction.
   */
  transaction<T>(fn: (store: ResultsStore) => Promise<T>): Promise<T>;

  /**
   * Registers a test set, or returns the one already registered under that name.
   *
   * Without `contentHash` (imports: labels only) the same name with other ids or labels is refused:
   * results would silently mix two test sets. With it (`retest eval`: ids, labels and every image's
   * pixels or bytes), other content under a known name is a new version of the set: the version
   * that was current is renamed `<name>@v<version>` with its runs, and the new content becomes the
   * current `<name>`, evaluated afresh. Content seen before becomes current again, with its runs.
   */
  registerDataset(input: DatasetInput): Promise<RegisteredDataset>;
  /**
   * Refuses to leave behind, unnoticed, an interrupted run when a set's content changed: when the
   * current version of `name` has other content than `contentHash` and holds an unfinished run of
   * this model and config with predictions, resuming would need the old files back. `restart`
   * deletes that run instead. Call before `registerDataset` (nothing is changed when it throws).
   */
  checkInterruptedRun(input: { name: string; contentHash: string | null; modelId: number; config: Record<string, unknown>; restart?: boolean }): Promise<void>;
  /** The current version of the named set (or an archived one by its `name@vN`), or undefined. */
  getDataset(name: string): Promise<DatasetRecord | undefined>;
  /** The current version of every named set, by name. */
  listDatasets(): Promise<DatasetRecord[]>;
  /** Labels of a dataset version, in dataset order. */
  labels(datasetId: number): Promise<Int32Array>;
  /** Image ids of a dataset version, in dataset order. */
  imageIds(datasetId: number): Promise<string[]>;

  /**
   * Registers a model by name and returns its id. A model of another kind, or an ONNX model whose
   * file changed (other sha256), under a known name is refused rather than mixed with the old
   * file's results.
   */
  registerModel(input: { name: string; kind: 'onnx' | 'imported'; path?: string; sha256?: string }): Promise<number>;

  /** The run for (model, dataset version, config), created if new (two processes get the same run). */
  openRun(modelId: number, datasetId: number, config: Record<string, unknown>): Promise<RunRecord>;
  /**
   * Claims a run for `owner` so that two processes never write it at once, on one machine or many.
   * Granted when nobody holds it, when `owner` already does, when the holder's lease lapsed (by
   * the database's clock, so machines with skewed clocks agree), or when the holder is a process of
   * this machine that is gone (killed). Otherwise the answer names the holder.
   */
  leaseRun(runId: number, owner: RunOwner): Promise<LeaseAnswer>;
  /** Gives a run up (after finishing, or on an error); nothing happens when `owner` does not hold it. */
  releaseRun(runId: number, owner: RunOwner): Promise<void>;
  /** Positions already predicted in a run (to resume). */
  doneIndices(runId: number): Promise<Set<number>>;
  /**
   * Writes one batch of predictions and adds it to the run's counts, in one transaction: a batch
   * with a position already written is refused whole. With `owner`, the run's lease is renewed in
   * the same transaction, and the batch is refused when another process holds the run.
   */
  writePredictions(runId: number, rows: readonly PredictionRow[], owner?: RunOwner): Promise<void>;
  /** Marks a run done (its counts are complete) and releases it. */
  finishRun(runId: number, imagesPerSecond: number | null): Promise<void>;
  /** Status of a run (another process may have finished it meanwhile); undefined when there is no such run. */
  runStatus(runId: number): Promise<'running' | 'done' | undefined>;
  /** Deletes a run with its predictions. */
  deleteRun(runId: number): Promise<void>;
  /** Adds a provider and a retest version to a run's provenance (each kept once, in first-seen order). */
  recordProvenance(runId: number, input: RunProvenanceInput): Promise<void>;
  /** Every run (all statuses, all versions of every set) with its provenance, by run id; `model`/`dataset` filter by name. */
  listRuns(filter?: { model?: string; dataset?: string }): Promise<RunInfo[]>;

  /** Predictions of a run in dataset order. */
  predictions(runId: number): Promise<StoredPrediction[]>;
  /** Per-image correctness of a run, in dataset order (1 = correct; failed and missing images are 0). */
  correctness(runId: number, k?: 1 | 5): Promise<Uint8Array>;
  /** The counts of one run (a RangeError when there is no such run: a caller's bug). */
  score(runId: number): Promise<RunScore>;
  /** Every finished run on the current version of its test set, with its counts, by run id. */
  listScores(): Promise<RunScore[]>;
  /**
   * Correct counts of every finished run on the current version of its test set (runs on an older
   * content of a changed file are left out). When a model has several finished runs on one test
   * set (e.g. evaluated with two preprocessing configs), the latest one is used. `testSets` limits
   * the answer to those sets. Ordered by test set, then model.
   */
  counts(testSets?: readonly string[]): Promise<RunCounts[]>;
  /** The latest finished run of a model on the current version of a test set, or undefined. */
  latestRun(model: string, testSet: string): Promise<number | undefined>;

  /**
   * Writes published accuracies in ONE transaction (all or nothing). A row whose (model, test set)
   * is already stored is skipped, or overwritten with `replace`. `now` (ISO) is recorded as the
   * import time (default: the current time).
   */
  writePublishedAccuracies(rows: readonly PublishedAccuracy[], options?: { replace?: boolean; now?: string }): Promise<PublishedWriteSummary>;
  /** Published accuracies as counts, optionally only on some test sets; ordered by test set, then model. */
  publishedCounts(testSets?: readonly string[]): Promise<PublishedCounts[]>;

  /** Closes the store (the SQLite file or the PostgreSQL pool). Further calls fail. */
  close(): Promise<void>;
}
