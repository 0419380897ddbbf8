/**
 * Contracts of the evaluation stage: how a model wants its input, and what a run reports.
 */
import type { Interpolation } from '../formats/index.ts';
import type { CropMode, Resampler } from '../preprocess/index.ts';

/** Everything needed to turn an image into the model's input tensor and read its output. */
export interface ModelSpec {
  /** Name used in the store and reports (sidecar `name`, else the file stem; `--name` overrides). */
  name: string;
  /** The ONNX file. */
  path: string;
  /** Graph input fed with the image batch. */
  inputName: string;
  /** Graph output holding the class scores `[batch, classes]`. */
  outputName: string;
  /** Tensor layout of the input. */
  layout: 'NCHW' | 'NHWC';
  /** Input height in pixels. */
  height: number;
  /** Input width in pixels. */
  width: number;
  /** Channel order the model expects. */
  channelOrder: 'RGB' | 'BGR';
  /** Multiplier applied to the 0–255 pixel values before normalisation (1/255 for "uint8/255", 1 for raw). */
  scale: number;
  /** Per-channel mean subtracted after scaling, or null when the graph normalises itself. */
  mean: [number, number, number] | null;
  /** Per-channel std divided by after the mean, or null when the graph normalises itself. */
  std: [number, number, number] | null;
  /** Shorter side after resizing, before the center crop; null: derived from `cropPct`, else the input size. */
  resize: number | null;
  /** Fraction of the resized image kept by the crop (0.875 = 256 → 224); used when `resize` is null. */
  cropPct: number | null;
  /** How the crop is cut (timm's crop_mode): `center` (torchvision's Resize + CenterCrop, the default), `squash` or `border` (see src/preprocess/crop-geometry.ts). */
  cropMode: CropMode;
  /** Resampling filter, Pillow's names. */
  interpolation: Interpolation;
  /** Which resampler resizes images: `pillow` (byte-identical to torchvision on Pillow, the default) or `libvips` (sharp's resize, approximate). */
  resampler: Resampler;
  /** Convert embedded ICC profiles to sRGB; false (the default): ignored, as Pillow's `Image.open` does. */
  iccToSrgb: boolean;
  /** Rotate images by their EXIF orientation; false (the default): ignored, as Pillow's `Image.open` does. */
  exifRotate: boolean;
  /** Number of classes the output has, when the sidecar or graph says; null when unknown until the first batch. */
  numClasses: number | null;
  /** Class labels in output order, when the sidecar gives them. */
  classLabels: string[] | null;
  /** Reference logits of the first images (sidecar `reference_logits_first8_exact`), for checks. */
  referenceLogits: number[][] | null;
}

/** Options of one evaluation. */
export interface EvalOptions {
  /** Images per inference call. Default 128. */
  batchSize: number;
  /** onnxruntime intra-op threads; default: the number of CPU cores. */
  threads: number | undefined;
  /** Worker threads that decode and crop image files (capped at the number of cores). Default 8. */
  decodeConcurrency: number;
  /** Keep the full output row per image in the store. */
  saveLogits: boolean;
  /** Stop at the first unreadable image instead of recording it. */
  failFast: boolean;
  /** How many top classes to store per image. Default 5. */
  topK: number;
}

/** Correct count with its exact interval. */
export interface AccuracySummary {
  /** Images whose label is the model's top class (top1) or among its top five (top5). */
  correct: number;
  /** correct / n; null when the test set has no images (a degenerate set has no accuracy). */
  accuracy: number | null;
  /** Clopper–Pearson 95 % interval. */
  ci95: [number, number];
}

/**
 * What one run scored (`evaluate`'s answer). The CLI prints it as `EvalSummaryJson`
 * (src/cli/types.ts: the same fields in snake_case, in this order).
 */
export interface EvalSummary {
  /** The model's name in the results store (the ONNX file's stem unless --name). */
  model: string;
  /** The test set's name (a registered dataset, or the path's name). */
  dataset: string;
  /** Images scored (the test set's size less `failed`). */
  n: number;
  /** Images that could not be read or decoded, recorded and left out of `n`. */
  failed: number;
  /** Top-1 accuracy with its interval. */
  top1: AccuracySummary;
  /** Null when the model has fewer than 5 classes. */
  top5: AccuracySummary | null;
  /** Throughput of the process that finished the run, in images per second; null when answered from the store. Wire: `images_per_second`. */
  imagesPerSecond: number | null;
  /** Version of the test set's content the run read (1, 2, … as its files changed); null when unknown. Wire: `dataset_version`. */
  datasetVersion: number | null;
}

/** One cell of a matrix: the single-run summary plus where it came from (printed as `CellSummaryJson`, one line per cell). */
export interface CellSummary extends EvalSummary {
  /** Store id of the cell's run. Wire: `run_id`. */
  runId: number;
  /** True when the run had finished before this command: nothing was run now. Wire: `from_store`. */
  fromStore: boolean;
  /** Execution provider this command ran the cell on ("cpu", "cuda:0"); null when answered from the store. */
  provider: string | null;
  /** The model file. Wire: `model_path`. */
  modelPath: string;
}

/** The totals of a matrix (`evaluateMatrix`'s answer; printed as `MatrixSummaryJson`, the last line, after the cells). */
export interface MatrixSummary {
  /** Cells of the matrix (models × test sets). */
  cells: number;
  /** Distinct models. */
  models: number;
  /** Test sets. */
  datasets: number;
  /** Cells answered from the store (finished earlier). Wire: `from_store`. */
  fromStore: number;
  /** Cells evaluated (wholly or resumed) now. */
  evaluated: number;
  /** Predictions written now (images × models). */
  predictions: number;
  /** Wall-clock seconds of the whole command's matrix work (hashing, loading, inference, writes). */
  seconds: number;
  /** predictions / seconds; null when nothing was predicted. Wire: `predictions_per_second`. */
  predictionsPerSecond: number | null;
  /** The execution provider ("cpu", "cuda:0", …). */
  provider: string;
  /** Images per inference call. Wire: `batch_size`. */
  batchSize: number;
}

/** One display for a matrix: cells done, images (predictions) per second, ETA. */
export interface MatrixProgress {
  /** The matrix: `cells` cells of `images` predictions in all, `doneImages` of them stored already. */
  start(total: { cells: number; images: number; doneImages: number }): void;
  /** `images` predictions were written. */
  tick(images: number): void;
  /** `done` cells are answered. */
  cellDone(done: number): void;
  /** The matrix ended. */
  stop(): void;
}
