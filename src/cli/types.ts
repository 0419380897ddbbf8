/**
 * The contract between the command line and the composition root (`src/app`): every command is
 * registered with an `App`, through which it opens stores and starts servers. The CLI never
 * imports `src/app`; `src/app` builds the CLI with its implementation of this interface.
 */
import type { Command } from 'commander';
import type { AnalysisJson, FrequencyBin } from '../analyze/index.ts';
import type { ManifestFile } from '../export/index.ts';
import type { GroupStatus } from '../jobs/index.ts';
import type { ResultsApp } from './app-results.ts';
import type { WorkspaceApp } from './app-workspace.ts';

export type { StoreStatus } from './app-results.ts';
export type { WorkspaceStores } from './app-workspace.ts';

export interface App extends ResultsApp, WorkspaceApp {}

/** One sub-command (or group): adds itself to `program`, using `app` for stores and servers. */
export type RegisterCommand = (program: Command, app: App) => void;

/*
 * The `--json` answers a command builds itself (answers that are a stage's type, such as
 * `EvalSummary` or `IngestSummary`, are documented in that stage's types.ts). Wire casing: the
 * snake_case names here are the output's, never used inside.
 */

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
