/**
 * The contract between the command line and the composition root (`src/app`): every command is
 * registered with an `App`, through which it opens stores and starts servers. The CLI never
 * imports `src/app`; `src/app` builds the CLI with its implementation of this interface.
 */
import type { Command } from 'commander';
import type { AnalysisJson, FrequencyBin } from '../analyze/index.ts';
import type { AccuracySummary } from '../evaluate/index.ts';
import type { ManifestFile } from '../export/index.ts';
import type { GroupStatus } from '../jobs/index.ts';
import type { ResultsApp } from './app-results.ts';
import type { WorkspaceApp } from './app-workspace.ts';

export type { StoreStatus } from './app-results.ts';
export type { WorkspaceStores } from './app-workspace.ts';

/** What commands open stores and start servers with (built by the composition root, src/app). */
export interface App extends ResultsApp, WorkspaceApp {}

/** One sub-command (or group): adds itself to `program`, using `app` for stores and servers. */
export type RegisterCommand = (program: Command, app: App) => void;

/*
 * The `--json` answers a command builds itself (answers that are a stage's type, such as
 * `EvalSummary` or `IngestSummary`, are documented in that stage's types.ts). Wire casing: the
 * snake_case names here are the output's, never used inside.
 */

/**
 * `retest eval --json` with one model and one test set: `EvalSummary` (src/evaluate/types.ts) in
 * wire casing, keys in this order (src/cli/eval-json.ts converts).
 */
export interface EvalSummaryJson {
  /** The model's name in the results store (the ONNX file's stem unless --name). */
  model: string;
  /** The test set's name (a registered dataset, or the path's name). */
  dataset: string;
  /** Images scored (the test set's size less `failed`). */
  n: number;
  /** Images that could not be read or decoded, recorded and left out of `n`. */
  failed: number;
  /** Top-1: `correct`, `accuracy` (null for 0 images), `ci95` (Clopper–Pearson). */
  top1: AccuracySummary;
  /** Top-5 likewise; null when the model has fewer than 5 classes. */
  top5: AccuracySummary | null;
  /** Throughput of the process that finished the run; null when answered from the store. */
  images_per_second: number | null;
  /** Version of the test set's content the run read (1, 2, … as its files changed); null when unknown. */
  dataset_version: number | null;
}

/** One cell line of `retest eval --json` with several models or test sets: the single-run object plus where it came from. */
export interface CellSummaryJson extends EvalSummaryJson {
  /** Store id of the cell's run. */
  run_id: number;
  /** True when the run had finished before this command: nothing was run now. */
  from_store: boolean;
  /** Execution provider this command ran the cell on ("cpu", "cuda:0"); null when answered from the store. */
  provider: string | null;
  /** The model file. */
  model_path: string;
}

/** The last line of `retest eval --json` with several cells (always printed after the cells). */
export interface MatrixSummaryJson {
  /** Always true: tells the summary line from the cell lines. */
  summary: true;
  /** Cells of the matrix (models × test sets). */
  cells: number;
  /** Distinct models. */
  models: number;
  /** Test sets. */
  datasets: number;
  /** Cells answered from the store (finished earlier). */
  from_store: number;
  /** Cells evaluated (wholly or resumed) now. */
  evaluated: number;
  /** Predictions written now (images × models). */
  predictions: number;
  /** Wall-clock seconds of the whole command's matrix work (hashing, loading, inference, writes). */
  seconds: number;
  /** predictions / seconds; null when nothing was predicted. */
  predictions_per_second: number | null;
  /** The execution provider ("cpu", "cuda:0", …). */
  provider: string;
  /** Images per inference call. */
  batch_size: number;
}

/** `retest export imagenetv2 OUT --json`. */
export interface ExportFolderJson {
  /** The export folder, as given. */
  out: string;
  /** Images written. */
  count: number;
  /** The revision exported. */
  revision: number;
  /** The manifest's path (`OUT/manifest.json`). */
  manifest: string;
}

/** `retest export npy PREFIX --json`. */
export interface ExportNpyJson {
  /** The prefix, as given (`PREFIX_data.npy`, `PREFIX_labels.npy`, `PREFIX_manifest.json`). */
  prefix: string;
  /** Images written. */
  count: number;
  /** The revision exported. */
  revision: number;
  /** The two arrays written, with their checksums. */
  files: ManifestFile[];
}

/** `retest jobs status [group] --json`. */
export interface JobsStatusJson {
  /** Every group on the queue (or the one asked for). */
  groups: GroupStatus[];
}

/** `retest jobs retry GROUP --json`. */
export interface JobsRetryJson {
  /** The group. */
  group: string;
  /** Parked jobs put back on the queue. */
  retried: number;
}

/** `retest jobs cancel GROUP --json`. */
export interface JobsCancelJson {
  /** The group. */
  group: string;
  /** Jobs removed before they started. */
  removed: number;
}

/** Accuracy by selection-frequency bin on one test set, in `retest analyze --json`. */
export interface SelectionFrequencyJson {
  /** The test set the frequencies belong to. */
  test_set: string;
  /** The frequencies file read. */
  source: string;
  /** Models with per-image results on that test set, in the order of each bin's `accuracy`. */
  models: string[];
  /** The bins (core/frequency-bins.ts), low to high. */
  bins: FrequencyBin[];
}

/** Per-class accuracy of one class, in `retest analyze --per-class --json`. */
export interface PerClassJson {
  /** Class index. */
  class: number;
  /** Mean accuracy over the models on this class's images of the original test set. */
  original: ClassAccuracyJson;
  /** The same on the new test set. */
  new: ClassAccuracyJson;
  /** original.accuracy − new.accuracy; null when either is. */
  gap: number | null;
}

/** A class's images and accuracy on one test set. */
export interface ClassAccuracyJson {
  /** Images of the class in the test set. */
  n: number;
  /** Mean over the models of their accuracy on those images; null without images. */
  accuracy: number | null;
}

/** `retest analyze --json`: the analysis in wire casing, with the optional sections. */
export interface AnalyzeJson extends AnalysisJson {
  /** With --frequencies: accuracy by selection frequency per test set. */
  selection_frequency?: SelectionFrequencyJson[];
  /** With --per-class: the models counted and one row per class. */
  per_class?: PerClassSectionJson;
}

/** The per-class section of `retest analyze --per-class --json`. */
export interface PerClassSectionJson {
  /** The models averaged (those with per-image results in the store). */
  models: string[];
  /** One row per class index, in order; empty when a test set has no per-image results. */
  classes: PerClassJson[];
}

/** `retest plan accuracy --half-width W --json`: the images an interval of that half-width needs. */
export interface PlanAccuracyTargetJson {
  /** The half-width asked for, as a fraction (--half-width 1 → 0.01). */
  half_width: number;
  /** The accuracy assumed. */
  accuracy: number;
  /** Confidence level of the interval (0.95). */
  level: number;
  /** Images needed. */
  n: number;
  /** The exact (Clopper–Pearson) interval at n images. */
  interval: [number, number];
  /** Its half-width, ≤ half_width. */
  achieved_half_width: number;
}

/** `retest plan accuracy --n … --json`: the interval at each test-set size. */
export interface PlanAccuracyTableJson {
  /** The accuracy assumed. */
  accuracy: number;
  /** Confidence level of the intervals. */
  level: number;
  /** One row per --n, in order. */
  rows: PlanAccuracyRowJson[];
}

/** One test-set size of `retest plan accuracy`. */
export interface PlanAccuracyRowJson {
  /** Images in the test set. */
  n: number;
  /** Correct images at the assumed accuracy (rounded). */
  correct: number;
  /** The exact interval. */
  interval: [number, number];
  /** (upper − lower) / 2. */
  half_width: number;
}

/** `retest plan drop --json`: the new test set's size that detects a drop with the power asked. */
export interface PlanDropJson {
  /** Accuracy on the original test set. */
  original_accuracy: number;
  /** The drop, as a fraction (--drop 3 → 0.03). */
  drop: number;
  /** Two-sided significance level. */
  alpha: number;
  /** Power wanted. */
  power: number;
  /** Images in the original test set when fixed; null: both sets the same size. */
  original_n: number | null;
  /** Images needed in the new test set; null when no size reaches the power (original_n too small). */
  new_n: number | null;
  /** The power at new_n; null with new_n. */
  achieved_power: number | null;
}

/** `retest plan trend --json`: the trend slope's spread when fitting fewer models. */
export interface PlanTrendJson {
  /** Original test set. */
  original: string;
  /** New test set. */
  new: string;
  /** The scale of the fit ('linear', 'probit', 'logit'). */
  scale: string;
  /** Models on both test sets. */
  given_models: number;
  /** Random subsets drawn per model count. */
  resamples: number;
  /** RNG seed of the draws, as given (a number or a string seed). */
  seed: number | string;
  /** One row per model count asked for. */
  rows: PlanTrendRowJson[];
}

/** One model count of `retest plan trend`. */
export interface PlanTrendRowJson {
  /** Models per fit (drawn with replacement from the given ones, seeded). */
  models: number;
  /** Median slope over the draws; null when no draw had a line. */
  median: number | null;
  /** Central 95 % interval of the slope over the draws; null like median. */
  interval: [number, number] | null;
  /** (upper − lower) / 2; null like median. */
  half_width: number | null;
  /** Draws that had a line (all x equal gives none). */
  draws: number;
}

/** `retest plan answers --json`: answers per image for a standard error of the selection frequency. */
export interface PlanAnswersJson {
  /** The standard error wanted, as a fraction. */
  standard_error: number;
  /** Answers needed at several true frequencies (0.5 the worst case). */
  rows: PlanAnswersRowJson[];
  /** With a workspace: what its labelled candidates need; null without one. */
  pilot: PlanAnswersPilotJson | null;
}

/** Answers per image at one true selection frequency. */
export interface PlanAnswersRowJson {
  /** The frequency assumed. */
  frequency: number;
  /** Answers an image needs. */
  answers: number;
}

/** The pilot part of `retest plan answers`. */
export interface PlanAnswersPilotJson {
  /** Candidates with enough answers in the workspace. */
  candidates: number;
  /** Answers per image so the root-mean-square standard error over their frequencies meets the target; null without candidates. */
  answers: number | null;
}
