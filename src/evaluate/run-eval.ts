/**
 * `retest eval`: runs one ONNX classifier over one test set and keeps every prediction.
 *
 * Work is resumable: predictions are written one batch per transaction, and a restarted run skips
 * the images already in the store. Decoding and cropping the next batches (worker threads, see
 * batches.ts) overlaps inference of the current one (onnxruntime runs off the JS thread).
 */
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataError, usageError } from '../core/errors.ts';
import { hashFile } from '../core/hash.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import { clopperPearson } from '../analyze/index.ts';
import { datasetContentHash, FileHashCache } from '../datasets/index.ts';
import { thisProcess, type ResultsStore, type PredictionRow, type RunOwner, type RunScore } from '../results/index.ts';
import { loadModel, type LoadedModel } from './model.ts';
import { mapClassesToModel } from './class-map.ts';
import { defaultSidecarPath, modelSpecFrom, preprocessingOf, type ModelOverrides } from './sidecar.ts';
import { prepareBatches, startCropPool, type BatchOptions, type PreparedBatch } from './batches.ts';
import type { CropPool } from '../preprocess/index.ts';
import { defaultBatchSize, resolveDevice, type DeviceSpec } from '../onnx/index.ts';
import { retestVersion } from './provenance.ts';
import { firstNonFinite, topK } from './tensor.ts';
import type { EvalOptions, EvalSummary, ModelSpec } from './types.ts';

/** The images `evaluate` reads: either in-memory pixel arrays or files (see src/datasets). */
export interface EvalDataset {
  name: string;
  source: string;
  numClasses: number;
  images: { imageId: string; label: number }[];
  pixels: { height: number; width: number; data: Uint8Array } | null;
  files: string[] | null;
  /**
   * Content hash (see `datasetContentHash`) when the caller computed it; computed here otherwise.
   * Null: no identity beyond ids and labels (then a changed file under the same name is not seen).
   */
  contentHash?: string | null;
  /** Name of each label, when known (folder names for a class-folder tree). */
  classNames?: string[] | null;
  /** `sorted-names`: labels are sorted folder-name positions, mapped through the sidecar's `classes` when it has them. */
  labelOrder?: 'fixed' | 'sorted-names';
}

export const defaultEvalOptions: EvalOptions = {
  batchSize: 128,
  threads: undefined,
  decodeConcurrency: 8,
  saveLogits: false,
  failFast: false,
  topK: 5,
};

export interface EvaluateInput {
  store: ResultsStore;
  dataset: EvalDataset;
  modelPath: string;
  overrides?: ModelOverrides;
  options?: Partial<EvalOptions>;
  progress?: Progress;
  /** Cache of image-file hashes (the dataset's identity); default: none kept. */
  fileHashes?: FileHashCache;
  /** Discard an interrupted run of this model on other content of the set (files changed since). */
  restart?: boolean;
  /** This process, as the owner of the run it works on (tests give two owners in one process). */
  owner?: RunOwner;
  /** Called once when another process is working on the same run and this one waits for it. */
  onWait?: (holder: string) => void;
  /** `--device` (default cpu); a provider the installed onnxruntime-node lacks is an error before any work. */
  device?: string | DeviceSpec;
}

/** The options given, without those given as undefined (they would hide the defaults). */
export function definedOptions(options: Partial<EvalOptions> | undefined): Partial<EvalOptions> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) as Partial<EvalOptions>;
}

/** What identifies one evaluation run in the store (see `registerEvalRun`). */
export interface EvalRunIdentity {
  modelPath: string;
  /** The model as its file and sidecar declare it (name, preprocessing). */
  declared: ModelSpec;
  /** sha256 of the model file. */
  sha256: string;
  dataset: EvalDataset;
  /** The test set's content hash (null: identified by ids and labels only). */
  contentHash: string | null;
  options: Pick<EvalOptions, 'topK' | 'saveLogits'>;
  /**
   * Refuse (or with `restart`, discard) an interrupted run of this model on other content of the
   * set; false: no check (a shard of a run its planner registered).
   */
  interrupted: { restart: boolean } | false;
}

/**
 * Registers the model, the test set's current version and the run (one per model file,
 * preprocessing, top-k/logits and test-set content), as every way of evaluating does: one run, one
 * evaluate, one matrix cell or one queued shard find the same row.
 */
export async function registerEvalRun(store: ResultsStore, input: EvalRunIdentity): Promise<RegisteredEvalRun> {
  const { dataset, contentHash } = input;
  const modelId = await store.registerModel({ name: input.declared.name, kind: 'onnx', path: input.modelPath, sha256: input.sha256 });
  const config = { model_sha256: input.sha256, preprocessing: preprocessingOf(input.declared), topK: input.options.topK, saveLogits: input.options.saveLogits };
  if (input.interrupted) await store.checkInterruptedRun({ name: dataset.name, contentHash, modelId, config, restart: input.interrupted.restart });
  const record = await store.registerDataset({
    name: dataset.name,
    source: dataset.source,
    numClasses: dataset.numClasses,
    images: dataset.images,
    contentHash,
  });
  return { run: await store.openRun(modelId, record.id, config), modelId, config, datasetVersion: record.version };
}

/** `registerEvalRun`'s answer. */
export interface RegisteredEvalRun {
  run: Awaited<ReturnType<ResultsStore['openRun']>>;
  modelId: number;
  /** The run's configuration as stored (its hash is part of the run's identity). */
  config: Record<string, unknown>;
  /** The version of the test set's content the run is on. */
  datasetVersion: number;
}

/** Evaluates a model on a dataset, resuming or answering from the store when it can. */
export async function evaluate(input: EvaluateInput): Promise<EvalSummary> {
  return (await evaluateRun(input)).summary;
}

/** `evaluate`, also saying whether the answer came from a run finished earlier (no inference now). */
export async function evaluateRun(input: EvaluateInput): Promise<{ summary: EvalSummary; fromStore: boolean }> {
  const { store } = input;
  const providers = await resolveDevice(input.device ?? 'cpu');
  const options = { ...defaultEvalOptions, batchSize: defaultBatchSize(providers.device), ...definedOptions(input.options) };
  const progress = input.progress ?? silentProgress;
  const overrides = input.overrides ?? {};

  // The run's identity comes from the file, the declared preprocessing and the test set's content,
  // so a finished run is found without loading the model, and a changed test set is run again.
  checkModelFile(input.modelPath);
  const declared = modelSpecFrom(input.modelPath, overrides);
  const dataset = mapClassesToModel(input.dataset, declared.classLabels, overrides.sidecar ?? defaultSidecarPath(input.modelPath));
  const sha256 = await hashFile(input.modelPath);
  const contentHash =
    dataset.contentHash !== undefined ? dataset.contentHash : await datasetContentHash(dataset, input.fileHashes ?? new FileHashCache(null), progress);
  const { run } = await registerEvalRun(store, {
    modelPath: input.modelPath,
    declared,
    sha256,
    dataset,
    contentHash,
    options,
    interrupted: { restart: input.restart ?? false },
  });
  if (run.status === 'done') return { summary: summarize(await store.score(run.id)), fromStore: true };

  // One process per run: a second one waits for the first (and answers from the store when it
  // finishes), or takes over when the first is gone.
  const owner = input.owner ?? thisProcess();
  if ((await leaseOrWait(store, run.id, owner, input.onWait)) === 'done') return { summary: summarize(await store.score(run.id)), fromStore: true };

  // Image files need the crop workers: start them while the model loads (they take a moment).
  const pool = dataset.files ? startCropPool(options) : undefined;
  pool?.catch(() => {});
  let model: LoadedModel;
  try {
    model = await loadModel(input.modelPath, overrides, options.threads ?? (providers.usesThreads ? availableParallelism() : undefined), providers);
    await store.recordProvenance(run.id, { provider: providers.label, retestVersion: retestVersion() });
  } catch (error) {
    await closePool(pool);
    await store.releaseRun(run.id, owner);
    throw error;
  }
  try {
    checkCompatible(model.spec, dataset);
    await predictRemaining(store, run.id, owner, model, dataset, { ...options, pool }, progress);
  } finally {
    progress.stop();
    await store.releaseRun(run.id, owner);
    await model.session.release();
    await closePool(pool);
  }
  return { summary: summarize(await store.score(run.id)), fromStore: false };
}

/** A model path that is missing or a folder is a usage error naming `--model`. */
export function checkModelFile(path: string): void {
  if (!existsSync(path)) throw usageError(`model file not found`, { file: path, field: '--model', hint: 'give the path to an .onnx file' });
  if (!statSync(path).isFile())
    throw usageError('--model is a folder, not a model file', {
      file: path,
      field: '--model',
      expected: 'an .onnx file',
      received: 'a folder',
      hint: 'give the path to the .onnx file inside it',
    });
}

/**
 * Takes the run's lease, or waits for the process that holds it: 'done' when that one finished the
 * run meanwhile (answer from the store), 'leased' once this process may work on it.
 */
async function leaseOrWait(store: ResultsStore, runId: number, owner: RunOwner, onWait: ((holder: string) => void) | undefined): Promise<'leased' | 'done'> {
  for (let waited = false; ; waited = true) {
    const lease = await store.leaseRun(runId, owner);
    if (lease.acquired) return 'leased';
    if (!waited) onWait?.(lease.owner);
    await sleep(250);
    if ((await store.runStatus(runId)) === 'done') return 'done';
  }
}

/** Predicts the images the run has no prediction for yet, batch by batch, each batch written as it comes; then finishes the run. */
async function predictRemaining(
  store: ResultsStore,
  runId: number,
  owner: RunOwner,
  model: LoadedModel,
  dataset: EvalDataset,
  options: Parameters<typeof runBatches>[3],
  progress: Progress,
): Promise<void> {
  const done = await store.doneIndices(runId);
  const todo: number[] = [];
  for (let i = 0; i < dataset.images.length; i++) if (!done.has(i)) todo.push(i);
  progress.start(dataset.images.length, done.size, `${model.spec.name} on ${dataset.name}`);
  const started = performance.now();
  await runBatches(model, dataset, todo, options, async (batch, output, classes) => {
    await store.writePredictions(runId, toRows(batch, output, classes, options, dataset), owner);
    progress.tick(batch.indices.length);
  });
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  await store.finishRun(runId, todo.length > 0 && seconds > 0 ? todo.length / seconds : null);
}

async function closePool(pool: Promise<CropPool> | undefined): Promise<void> {
  if (!pool) return;
  try {
    await (await pool).close();
  } catch {
    // A pool that failed to start has nothing to close; its error surfaced where it was used.
  }
}

export function checkCompatible(spec: ModelSpec, dataset: EvalDataset): void {
  if (spec.numClasses !== null && spec.numClasses !== dataset.numClasses) {
    throw dataError(`model "${spec.name}" predicts ${spec.numClasses} classes but test set "${dataset.name}" has ${dataset.numClasses}`, {
      file: spec.path,
      field: 'output classes',
      expected: String(dataset.numClasses),
      received: String(spec.numClasses),
      hint: 'evaluate the model on a test set with the same classes',
    });
  }
  if (!dataset.pixels && !dataset.files)
    throw dataError(`test set "${dataset.name}" has no images, only labels`, {
      file: dataset.source,
      hint: 'point --dataset at the images (a .bin, .npy pair or image folder)',
    });
}

/** Feeds the prepared batches to the model in order. */
async function runBatches(
  model: LoadedModel,
  dataset: EvalDataset,
  todo: number[],
  options: EvalOptions & Pick<BatchOptions, 'pool'>,
  consume: (batch: PreparedBatch, output: Float32Array, classes: number) => Promise<void>,
): Promise<void> {
  const { spec } = model;
  for await (const batch of prepareBatches(spec, dataset, todo, { ...options, tensor: true })) {
    const dims = spec.layout === 'NCHW' ? [batch.indices.length, 3, spec.height, spec.width] : [batch.indices.length, spec.height, spec.width, 3];
    const result = await model.session.run({ [spec.inputName]: { data: batch.tensor!, dims } }, [spec.outputName]);
    const output = result[spec.outputName]!;
    const classes = output.dims[output.dims.length - 1]!;
    if (classes !== dataset.numClasses) {
      throw dataError(`model "${spec.name}" returned ${classes} scores per image, test set "${dataset.name}" has ${dataset.numClasses} classes`, {
        file: spec.path,
      });
    }
    await consume(batch, output.data, classes);
  }
}

export function toRows(
  batch: PreparedBatch,
  output: Float32Array,
  classes: number,
  options: Pick<EvalOptions, 'topK' | 'saveLogits'>,
  dataset: EvalDataset,
): PredictionRow[] {
  return batch.indices.map((idx, slot) => {
    const failure = batch.failures.get(slot);
    if (failure !== undefined) return { idx, topk: [], scores: null, logits: null, error: failure };
    const offset = slot * classes;
    const bad = firstNonFinite(output, offset, classes);
    if (bad >= 0) {
      // Nothing of this batch is written: the store keeps only whole, valid batches.
      throw dataError(`the model returned ${output[offset + bad]} for class ${bad} of image ${idx}`, {
        file: dataset.files?.[idx] ?? dataset.source,
        record: `${idx} (id ${dataset.images[idx]!.imageId})`,
        expected: 'finite scores',
        hint: 'check the preprocessing (mean/std, scale) and the model file',
      });
    }
    const { classes: top, scores } = topK(output, offset, classes, options.topK);
    return { idx, topk: top, scores, logits: options.saveLogits ? output.slice(offset, offset + classes) : null, error: null };
  });
}

/** A run's summary from its counts. */
export function summarize(score: RunScore): EvalSummary {
  // A set with no images has no accuracy (null), not 0.
  const accuracy = (correct: number) => ({ correct, accuracy: score.n > 0 ? correct / score.n : null, ci95: clopperPearson(correct, score.n) });
  return {
    model: score.model,
    dataset: score.dataset,
    n: score.n,
    failed: score.failed,
    top1: accuracy(score.top1Correct),
    top5: score.top5Correct === null ? null : accuracy(score.top5Correct),
    imagesPerSecond: score.imagesPerSecond,
    datasetVersion: score.datasetVersion,
  };
}
