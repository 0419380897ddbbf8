/**
 * `retest eval` with several models and test sets: the matrix of (model, test set) cells.
 *
 * Each cell is its own run, stored and resumable exactly as a single evaluation (run-eval.ts): a
 * finished cell answers from the store, an interrupted one continues where it stopped, and a cell
 * another process is working on is waited for at the end. What the matrix adds is sharing: on one
 * test set, the models whose crops are the same (same resize, crop, filter, resampler, colour
 * handling and crop mode — `cropSpecOf`) form one group, and each image is decoded and cropped once
 * for the whole group; models that also scale and normalise alike share the float tensor too.
 * Inside a group the models run one after the other on each batch, while the next batches are
 * cropped (worker threads).
 *
 * `predictCells` is the engine, also for callers that evaluate an explicit list of image positions
 * (`evaluateShard`, for a job queue).
 */
import { availableParallelism } from 'node:os';
import { dataError, usageError } from '../core/errors.ts';
import { hashFile } from '../core/hash.ts';
import { silentProgress } from '../core/progress.ts';
import { datasetContentHash, FileHashCache } from '../datasets/index.ts';
import { defaultBatchSize, resolveDevice, type DeviceSpec, type ProviderChoice } from '../onnx/index.ts';
import { canonicalJson, thisProcess, type ResultsStore, type RunOwner } from '../results/index.ts';
import type { CropPool } from '../preprocess/index.ts';
import { cropSpecOf, prepareBatches, startCropPool, type PreparedBatch } from './batches.ts';
import { mapClassesToModel } from './class-map.ts';
import { loadModel, type LoadedModel } from './model.ts';
import { retestVersion } from './provenance.ts';
import {
  checkCompatible,
  checkModelFile,
  defaultEvalOptions,
  definedOptions,
  evaluateRun,
  registerEvalRun,
  summarize,
  toRows,
  type EvalDataset,
} from './run-eval.ts';
import { defaultSidecarPath, modelSpecFrom, type ModelOverrides } from './sidecar.ts';
import { writeImageToTensor } from './tensor.ts';
import type { CellSummary, EvalOptions, MatrixProgress, MatrixSummary, ModelSpec } from './types.ts';

/** One model of a matrix: its file and the flags/sidecar/timm config that shape its input. */
export interface MatrixModel {
  /** The ONNX file. */
  path: string;
  /** Flags over its sidecar (and `timmConfig`). */
  overrides?: ModelOverrides;
}

export interface MatrixInput {
  store: ResultsStore;
  /** The test sets (rows of the matrix), each loaded once. */
  datasets: EvalDataset[];
  /** The models (columns). */
  models: MatrixModel[];
  /** Options for every cell; `batchSize` defaults per device (`defaultBatchSize`). */
  options?: Partial<EvalOptions>;
  /** `--device` (default cpu): a provider the installed onnxruntime-node lacks is an error before any work. */
  device?: string | DeviceSpec;
  /** One display for the whole matrix. */
  progress?: MatrixProgress;
  /** Cache of image-file hashes (the test sets' identity). */
  fileHashes?: FileHashCache;
  /** Discard interrupted runs whose test-set files changed since (as `retest eval --restart`). */
  restart?: boolean;
  /** This process as the owner of the runs it works on. */
  owner?: RunOwner;
  /** Called as each cell is answered (from the store or evaluated), in the order they finish. */
  onCell?: (cell: CellSummary) => void;
  /** Called once per cell another process holds, when this one starts waiting for it. */
  onWait?: (holder: string, cell: { model: string; dataset: string }) => void;
}

/** A cell that needs predictions: its run, its model, the positions still to predict. */
export interface CellWork {
  /** The run the predictions go to. */
  runId: number;
  /** The open model. */
  model: LoadedModel;
  /** Dataset positions to predict, ascending. */
  todo: number[];
  /** The test set as this model scores it (labels mapped to its classes). */
  dataset: EvalDataset;
  /** Writes go with this owner's lease (renewed per batch); absent: no lease (disjoint shards). */
  owner?: RunOwner | undefined;
}

interface Cell {
  model: PreparedModel;
  dataset: EvalDataset;
  source: EvalDataset;
  runId: number;
  config: Record<string, unknown>;
  datasetVersion: number;
  n: number;
  done: number;
}

interface PreparedModel {
  path: string;
  overrides: ModelOverrides;
  declared: ModelSpec;
  sha256: string;
  modelId: number;
}

/** Runs every (model, test set) cell; returns the summary after `onCell` was called for each cell. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the matrix loop: groups, leases, shared decode and per-cell writes interleave by design
export async function evaluateMatrix(input: MatrixInput): Promise<MatrixSummary> {
  const { store } = input;
  const started = performance.now();
  const providers = await resolveDevice(input.device ?? 'cpu');
  const options: EvalOptions = { ...defaultEvalOptions, batchSize: defaultBatchSize(providers.device), ...definedOptions(input.options) };
  const threads = options.threads ?? (providers.usesThreads ? availableParallelism() : undefined);
  const progress = input.progress ?? silentMatrixProgress;
  const owner = input.owner ?? thisProcess();
  if (input.models.length === 0) throw usageError('no model to evaluate', { field: '--model', hint: 'give one or more .onnx files (globs allowed)' });
  if (input.datasets.length === 0) throw usageError('no test set to evaluate on', { field: '--dataset' });

  // Models: identity from the file and its declared preprocessing (no session needed yet).
  const models: PreparedModel[] = [];
  const names = new Map<string, string>();
  for (const m of input.models) {
    checkModelFile(m.path);
    const overrides = m.overrides ?? {};
    const declared = modelSpecFrom(m.path, overrides);
    const other = names.get(declared.name);
    if (other !== undefined && other !== m.path) {
      throw usageError(`two models of the matrix are named "${declared.name}"`, {
        file: m.path,
        field: '--model',
        expected: 'one name per model',
        received: `also ${other}`,
        hint: 'give them names in their sidecars (or evaluate them in separate commands with --name)',
      });
    }
    if (other !== undefined) continue; // the same file twice
    names.set(declared.name, m.path);
    const sha256 = await hashFile(m.path);
    models.push({ path: m.path, overrides, declared, sha256, modelId: await store.registerModel({ name: declared.name, kind: 'onnx', path: m.path, sha256 }) });
  }

  // Cells: register every run first, so the display knows the whole matrix.
  const hashes = new Map<EvalDataset, string | null>();
  const fileHashes = input.fileHashes ?? new FileHashCache(null);
  const cells: Cell[] = [];
  for (const source of input.datasets) {
    for (const model of models) {
      const dataset = mapClassesToModel(source, model.declared.classLabels, model.overrides.sidecar ?? defaultSidecarPath(model.path));
      let contentHash = dataset.contentHash !== undefined ? dataset.contentHash : hashes.get(dataset);
      if (contentHash === undefined) {
        contentHash = await datasetContentHash(dataset, fileHashes, silentProgress);
        hashes.set(dataset, contentHash);
      }
      const { run, config, datasetVersion } = await registerEvalRun(store, {
        modelPath: model.path,
        declared: model.declared,
        sha256: model.sha256,
        dataset,
        contentHash,
        options,
        interrupted: { restart: input.restart ?? false },
      });
      cells.push({
        model,
        dataset,
        source,
        runId: run.id,
        config,
        datasetVersion,
        n: dataset.images.length,
        done: run.status === 'done' ? dataset.images.length : -1,
      });
    }
  }
  // Positions already predicted, for the unfinished cells.
  const todo = new Map<Cell, number[]>();
  let doneImages = 0;
  for (const cell of cells) {
    if (cell.done >= 0) {
      doneImages += cell.n;
      continue;
    }
    const done = await store.doneIndices(cell.runId);
    const list: number[] = [];
    for (let i = 0; i < cell.n; i++) if (!done.has(i)) list.push(i);
    todo.set(cell, list);
    doneImages += done.size;
  }
  const totalImages = cells.reduce((sum, c) => sum + c.n, 0);
  progress.start({ cells: cells.length, images: totalImages, doneImages });

  let fromStore = 0;
  let predicted = 0;
  let cellsDone = 0;
  const emit = async (cell: Cell, answeredFromStore: boolean, imagesPerSecond: number | null) => {
    const score = await store.score(cell.runId);
    const summary: CellSummary = {
      ...summarize(score),
      imagesPerSecond: imagesPerSecond ?? score.imagesPerSecond,
      runId: cell.runId,
      fromStore: answeredFromStore,
      provider: answeredFromStore ? null : providers.label,
      modelPath: cell.model.path,
    };
    cellsDone++;
    if (answeredFromStore) fromStore++;
    progress.cellDone(cellsDone);
    input.onCell?.(summary);
  };
  for (const cell of cells) if (cell.done >= 0) await emit(cell, true, null);

  // Open every model that has work (its graph fixes the input size, hence the groups); lease a
  // group's cells just before the group runs, so no lease lapses while earlier groups run.
  const unfinished = cells.filter((c) => c.done < 0);
  const sessions = new Map<PreparedModel, LoadedModel>();
  const deferred: Cell[] = [];
  const leased = new Set<Cell>();
  let pool: Promise<CropPool> | undefined;
  try {
    for (const cell of unfinished) {
      if (!sessions.has(cell.model)) sessions.set(cell.model, await loadModel(cell.model.path, cell.model.overrides, threads, providers));
      checkCompatible(sessions.get(cell.model)!.spec, cell.dataset);
    }
    // Per test set, per crop: one group, one pass over the images.
    for (const source of input.datasets) {
      const groups = new Map<string, Cell[]>();
      for (const cell of unfinished) {
        if (cell.source !== source) continue;
        const key = cropKey(sessions.get(cell.model)!.spec, source);
        groups.set(key, [...(groups.get(key) ?? []), cell]);
      }
      for (const candidates of groups.values()) {
        const group: Cell[] = [];
        for (const cell of candidates) {
          const lease = await store.leaseRun(cell.runId, owner);
          if (!lease.acquired) {
            input.onWait?.(lease.owner, { model: cell.model.declared.name, dataset: cell.dataset.name });
            deferred.push(cell);
            continue;
          }
          leased.add(cell);
          group.push(cell);
          await store.recordProvenance(cell.runId, { provider: providers.label, retestVersion: retestVersion() });
        }
        if (group.length === 0) continue;
        if (source.files && group.some((c) => todo.get(c)!.length > 0)) pool ??= startCropPool(options);
        const groupStarted = performance.now();
        const works = group.map(
          (cell): CellWork => ({ runId: cell.runId, model: sessions.get(cell.model)!, todo: todo.get(cell)!, dataset: cell.dataset, owner }),
        );
        await predictCells(store, source, works, { ...options, pool }, (images) => {
          predicted += images;
          progress.tick(images);
        });
        const seconds = (performance.now() - groupStarted) / 1000;
        for (const cell of group) {
          const count = todo.get(cell)!.length;
          const rate = count > 0 && seconds > 0 ? count / seconds : null;
          await store.finishRun(cell.runId, rate);
          leased.delete(cell);
          await emit(cell, false, rate);
        }
      }
    }
  } finally {
    for (const cell of leased) await store.releaseRun(cell.runId, owner).catch(() => {});
    for (const session of sessions.values()) await session.session.release();
    if (pool) await (await pool.catch(() => null))?.close();
  }

  // Cells another process held: wait for each (or take it over when that process is gone).
  for (const cell of deferred) {
    const { summary, fromStore: answered } = await evaluateRun({
      store,
      dataset: cell.source,
      modelPath: cell.model.path,
      overrides: cell.model.overrides,
      options,
      fileHashes,
      owner,
      device: providers.device,
      restart: false,
    });
    cellsDone++;
    if (answered) fromStore++;
    progress.cellDone(cellsDone);
    input.onCell?.({ ...summary, runId: cell.runId, fromStore: answered, provider: answered ? null : providers.label, modelPath: cell.model.path });
  }
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  return {
    cells: cells.length,
    models: models.length,
    datasets: input.datasets.length,
    fromStore,
    evaluated: cells.length - fromStore,
    predictions: predicted,
    seconds,
    predictionsPerSecond: predicted > 0 && seconds > 0 ? predicted / seconds : null,
    provider: providers.label,
    batchSize: options.batchSize,
  };
}

/** Models whose crops are the same on this test set share one decode and crop per image. */
function cropKey(spec: ModelSpec, dataset: EvalDataset): string {
  if (dataset.pixels && dataset.pixels.height === spec.height && dataset.pixels.width === spec.width) return `direct ${spec.height}x${spec.width}`;
  return canonicalJson(cropSpecOf(spec));
}

/** Models that scale, normalise and lay out alike get the same float tensor from the same crops. */
function tensorKey(spec: ModelSpec): string {
  return canonicalJson([spec.layout, spec.channelOrder, spec.scale, spec.mean, spec.std, spec.height, spec.width]);
}

/**
 * The engine: predicts `works` (cells of one test set whose models crop alike — the caller groups
 * them; the first model's spec decides the crops) and writes each batch of each cell in its own
 * transaction. One pass over the union of their positions; each batch's crops are made once,
 * each distinct tensor once, and every model whose cell needs some of the batch runs on those rows.
 * `onImages` is called with the number of predictions written after each write.
 */
export async function predictCells(
  store: ResultsStore,
  dataset: EvalDataset,
  works: readonly CellWork[],
  options: EvalOptions & { pool?: Promise<CropPool> | undefined },
  onImages: (images: number) => void = () => {},
): Promise<void> {
  const active = works.filter((w) => w.todo.length > 0);
  if (active.length === 0) return;
  const first = active[0]!.model.spec;
  const union = [...new Set(active.flatMap((w) => w.todo))].sort((a, b) => a - b);
  const wanted = active.map((w) => new Set(w.todo));
  const rowBytes = first.height * first.width * 3;
  for await (const batch of prepareBatches(first, dataset, union, { ...options, tensor: false })) {
    const tensors = new Map<string, Float32Array>();
    for (let c = 0; c < active.length; c++) {
      const work = active[c]!;
      const spec = work.model.spec;
      const rows: number[] = [];
      batch.indices.forEach((idx, row) => {
        if (wanted[c]!.has(idx)) rows.push(row);
      });
      if (rows.length === 0) continue;
      const whole = rows.length === batch.indices.length;
      let tensor = whole ? tensors.get(tensorKey(spec)) : undefined;
      if (!tensor) {
        tensor = new Float32Array(rows.length * rowBytes);
        rows.forEach((row, slot) => {
          if (!batch.failures.has(row)) writeImageToTensor(batch.crops, row * rowBytes, spec, tensor!, slot);
        });
        if (whole) tensors.set(tensorKey(spec), tensor);
      }
      const part: PreparedBatch = whole
        ? { ...batch, tensor }
        : {
            indices: rows.map((r) => batch.indices[r]!),
            crops: new Uint8Array(0),
            tensor,
            failures: new Map(rows.flatMap((r, slot) => (batch.failures.has(r) ? [[slot, batch.failures.get(r)!] as [number, string]] : []))),
          };
      const dims = spec.layout === 'NCHW' ? [rows.length, 3, spec.height, spec.width] : [rows.length, spec.height, spec.width, 3];
      const result = await work.model.session.run({ [spec.inputName]: { data: tensor, dims } }, [spec.outputName]);
      const output = result[spec.outputName]!;
      const classes = output.dims[output.dims.length - 1]!;
      if (classes !== work.dataset.numClasses) {
        throw dataError(`model "${spec.name}" returned ${classes} scores per image, test set "${work.dataset.name}" has ${work.dataset.numClasses} classes`, {
          file: spec.path,
        });
      }
      await store.writePredictions(work.runId, toRows(part, output.data, classes, options, work.dataset), work.owner);
      onImages(rows.length);
    }
  }
}

/** What `evaluateShard` did. */
export interface ShardResult {
  /** The run the shard belongs to (the same for every shard of one model on one test-set content and config). */
  runId: number;
  /** Predictions written now (positions of the shard not predicted before). */
  written: number;
  /** Positions of the shard already predicted (by an earlier attempt), skipped. */
  skipped: number;
  /** True when this shard's write completed the run (it was marked done). */
  finished: boolean;
  /** The execution provider used. */
  provider: string;
}

/**
 * Evaluates one model on an explicit list of positions of a test set (a shard), writing through the
 * results store into the model's run on that content and config — the run `retest eval` would use,
 * so shards and whole-set evaluations add up to the same run. Positions already predicted are
 * skipped (a retried shard is idempotent). Writes go without a lease: shards of one run are
 * disjoint and may run at once on several machines; the run is marked done by the shard that
 * completes it.
 */
export async function evaluateShard(input: {
  store: ResultsStore;
  dataset: EvalDataset;
  modelPath: string;
  overrides?: ModelOverrides;
  /** Dataset positions to evaluate. */
  indices: readonly number[];
  options?: Partial<EvalOptions>;
  device?: string | DeviceSpec;
  fileHashes?: FileHashCache;
  /** An open model to reuse across shards (its spec must come from the same file and overrides). */
  model?: LoadedModel;
}): Promise<ShardResult> {
  const { store } = input;
  const providers: ProviderChoice = await resolveDevice(input.device ?? 'cpu');
  const options: EvalOptions = { ...defaultEvalOptions, batchSize: defaultBatchSize(providers.device), ...definedOptions(input.options) };
  checkModelFile(input.modelPath);
  const overrides = input.overrides ?? {};
  const declared = modelSpecFrom(input.modelPath, overrides);
  const dataset = mapClassesToModel(input.dataset, declared.classLabels, overrides.sidecar ?? defaultSidecarPath(input.modelPath));
  for (const idx of input.indices) {
    if (!Number.isInteger(idx) || idx < 0 || idx >= dataset.images.length)
      throw usageError(`image position ${idx} is not in test set "${dataset.name}"`, {
        field: 'indices',
        expected: `0 … ${dataset.images.length - 1}`,
        received: String(idx),
      });
  }
  const sha256 = await hashFile(input.modelPath);
  const contentHash = dataset.contentHash !== undefined ? dataset.contentHash : await datasetContentHash(dataset, input.fileHashes ?? new FileHashCache(null));
  const { run } = await registerEvalRun(store, { modelPath: input.modelPath, declared, sha256, dataset, contentHash, options, interrupted: false });
  const done = await store.doneIndices(run.id);
  const todo = [...new Set(input.indices)].filter((i) => !done.has(i)).sort((a, b) => a - b);
  const skipped = new Set(input.indices).size - todo.length;
  if (run.status === 'done' || todo.length === 0) return { runId: run.id, written: 0, skipped, finished: false, provider: providers.label };
  const model =
    input.model ?? (await loadModel(input.modelPath, overrides, options.threads ?? (providers.usesThreads ? availableParallelism() : undefined), providers));
  let pool: Promise<CropPool> | undefined;
  try {
    checkCompatible(model.spec, dataset);
    await store.recordProvenance(run.id, { provider: model.session.provider, retestVersion: retestVersion() });
    if (input.dataset.files) pool = startCropPool(options);
    await predictCells(store, input.dataset, [{ runId: run.id, model, todo, dataset, owner: undefined }], { ...options, pool });
  } finally {
    if (!input.model) await model.session.release();
    if (pool) await (await pool.catch(() => null))?.close();
  }
  // One transaction: of two shards ending at once, one marks the run done.
  const finished = await store.transaction(async (tx) => {
    if ((await tx.runStatus(run.id)) !== 'running' || (await tx.doneIndices(run.id)).size !== dataset.images.length) return false;
    await tx.finishRun(run.id, null);
    return true;
  });
  return { runId: run.id, written: todo.length, skipped, finished, provider: model.session.provider };
}

const silentMatrixProgress: MatrixProgress = { start() {}, tick() {}, cellDone() {}, stop() {} };
