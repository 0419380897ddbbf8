/**
 * `retest eval` as jobs. The submitter registers the model, the test set and the run exactly as
 * `evaluateRun` does (so a queued run and an in-process run of the same model, set and config are
 * the same run), then submits one 'eval-shard' job per slice of 1–5 k images and an 'eval-finish'
 * job over them. A shard job runs the model on the images of its slice not yet in the store and
 * writes their predictions batch by batch (each batch one transaction, refused whole when a
 * position is already written), so running it again — after a SIGKILL, or twice at once — writes
 * the same rows, never doubles them. 'eval-finish' checks every image is there and finishes the run.
 *
 * Uses only the evaluation stage's exported functions (src/evaluate/index.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { dataError, usageError } from '../core/errors.ts';
import { hashFile } from '../core/hash.ts';
import { datasetContentHash, FileHashCache, resolveDataset, type LoadedDataset } from '../datasets/index.ts';
import {
  loadModel,
  modelSpecFrom,
  preprocessingOf,
  prepareBatches,
  registerEvalRun,
  summarize,
  toRows,
  type EvalDataset,
  type EvalSummary,
  type LoadedModel,
  type ModelOverrides,
} from '../evaluate/index.ts';
import type { ResultsStore } from '../results/index.ts';
import { checkIdentity, fileRef, locateDataRef, openFileRef, relativeToDataDir, type DataRef } from './data-ref.ts';
import type { GroupSpec, JobContext, JobSpec } from './types.ts';

/** Input of an 'eval-shard' job. */
export interface EvalShardJob {
  runId: number;
  /** What the run is in the submitter's store: a worker whose --db is another store refuses the job. */
  run: RunIdentity;
  model: DataRef;
  /** Flags that override the sidecar (never `sidecar` itself: the worker reads the one beside the model). */
  overrides: ModelOverrides;
  /** `preprocessingOf(spec)` on the submitter: the worker refuses a model that would be fed otherwise. */
  preprocessing: Record<string, unknown>;
  dataset: DataRef;
  numClasses: number;
  start: number;
  count: number;
  topK: number;
  saveLogits: boolean;
  batchSize: number;
  failFast: boolean;
}

/** A run as `ResultsStore.score` names it. */
export interface RunIdentity {
  model: string;
  dataset: string;
  n: number;
}

/** Input of an 'eval-finish' job. */
export interface EvalFinishJob {
  runId: number;
  run: RunIdentity;
  /** Images in the test set. */
  n: number;
}

/** Output of an 'eval-shard' job. */
export interface EvalShardResult {
  /** Images predicted now (0 when all were in the store already). */
  images: number;
  seconds: number;
}

/** What `planEval` is given: the test set as `resolveDataset` loaded it, and the model file. */
export interface EvalPlanInput {
  store: ResultsStore;
  dataset: LoadedDataset;
  modelPath: string;
  overrides?: ModelOverrides;
  options?: { topK?: number; saveLogits?: boolean; batchSize?: number; failFast?: boolean };
  /** The shared data folder the model and test set lie in (workers' `--data-dir`). */
  dataDir: string | undefined;
  /** Images per shard job (default 2,500). */
  shardSize?: number;
  fileHashes?: FileHashCache;
  restart?: boolean;
}

/** `planEval`'s answer: the run, and either its summary (finished earlier) or the jobs that finish it. */
export type EvalPlan = { runId: number; summary: EvalSummary; group: null } | { runId: number; summary: null; group: GroupSpec };

/** Registers the run as `evaluateRun` does, and plans its jobs. */
export async function planEval(input: EvalPlanInput): Promise<EvalPlan> {
  const { store, dataset } = input;
  const overrides = input.overrides ?? {};
  const topKCount = input.options?.topK ?? 5;
  const saveLogits = input.options?.saveLogits ?? false;
  if (!existsSync(input.modelPath) || !statSync(input.modelPath).isFile())
    throw usageError('model file not found', { file: input.modelPath, field: '--model', hint: 'give the path to an .onnx file' });
  if (overrides.sidecar !== undefined)
    throw usageError('--sidecar is not sent to workers: put the sidecar beside the model (model.onnx → model.json)', { field: '--sidecar' });
  const declared = modelSpecFrom(input.modelPath, overrides);
  if (dataset.labelOrder === 'sorted-names' && declared.classLabels) {
    throw usageError("--queue does not yet map class folders through a model's class list", {
      file: dataset.source,
      field: '--queue',
      hint: 'run this evaluation without --queue',
    });
  }
  const model = await fileRef(input.modelPath, input.dataDir, 'the model');
  const datasetPath = relativeToDataDir(dataset.source, input.dataDir, `test set ${dataset.name}`);
  const sha256 = await hashFile(input.modelPath);
  const contentHash = await datasetContentHash(dataset, input.fileHashes ?? new FileHashCache(null));
  if (contentHash === null) throw dataError('the test set has no images to identify it by', { file: dataset.source });
  const { run } = await registerEvalRun(store, {
    modelPath: input.modelPath,
    declared,
    sha256,
    dataset,
    contentHash,
    options: { topK: topKCount, saveLogits },
    interrupted: { restart: input.restart ?? false },
  });
  if (run.status === 'done') return { runId: run.id, summary: summarize(await store.score(run.id)), group: null };

  const shard = input.shardSize ?? 2500;
  const n = dataset.images.length;
  const score = await store.score(run.id);
  const identity: RunIdentity = { model: score.model, dataset: score.dataset, n: score.n };
  const children: JobSpec[] = [];
  for (let start = 0, s = 0; start < n; start += shard, s++) {
    const count = Math.min(shard, n - start);
    const data: EvalShardJob = {
      runId: run.id,
      run: identity,
      model,
      overrides,
      preprocessing: preprocessingOf(declared),
      dataset: { path: datasetPath, identity: contentHash },
      numClasses: dataset.numClasses,
      start,
      count,
      topK: topKCount,
      saveLogits,
      batchSize: input.options?.batchSize ?? 128,
      failFast: input.options?.failFast ?? false,
    };
    children.push({ kind: 'eval-shard', id: `shard-${s}`, data, units: count });
  }
  const finish: EvalFinishJob = { runId: run.id, run: identity, n };
  return {
    runId: run.id,
    summary: null,
    group: { name: `eval ${declared.name} on ${dataset.name} (run ${run.id})`, jobs: [{ kind: 'eval-finish', id: 'finish', data: finish, children }] },
  };
}

/** Per-process caches: a worker runs many shards of the same model and set. */
const datasets = new Map<string, Promise<LoadedDataset>>();
const models = new Map<string, Promise<LoadedModel>>();

async function datasetOf(ref: DataRef, dataDir: string): Promise<LoadedDataset> {
  const path = locateDataRef(ref, dataDir);
  const key = `${path}\n${ref.identity}`;
  let loaded = datasets.get(key);
  if (loaded === undefined) {
    loaded = (async () => {
      const dataset = await resolveDataset(path, { cacheDir: dataDir });
      checkIdentity(ref, path, await datasetContentHash(dataset, new FileHashCache(null)));
      return dataset;
    })();
    datasets.set(key, loaded);
    loaded.catch(() => datasets.delete(key));
  }
  return loaded;
}

async function modelOf(ref: DataRef, overrides: ModelOverrides, dataDir: string, threads: number): Promise<LoadedModel> {
  const path = await openFileRef(ref, dataDir);
  const key = `${path}\n${ref.identity}\n${JSON.stringify(overrides)}\n${threads}`;
  let model = models.get(key);
  if (model === undefined) {
    model = loadModel(path, overrides, threads);
    models.set(key, model);
    model.catch(() => models.delete(key));
  }
  return model;
}

/** Runs one 'eval-shard' job. */
export async function runEvalShard(
  job: EvalShardJob,
  context: Pick<JobContext, 'dataDir'>,
  services: { results(): Promise<ResultsStore>; threads: number },
): Promise<EvalShardResult> {
  const started = performance.now();
  const [dataset, model] = await Promise.all([datasetOf(job.dataset, context.dataDir), modelOf(job.model, job.overrides, context.dataDir, services.threads)]);
  const { spec } = model;
  if (JSON.stringify(preprocessingOf(spec)) !== JSON.stringify(job.preprocessing)) {
    throw dataError("the model's preprocessing on this worker differs from the submitter's (another sidecar?)", {
      file: spec.path,
      expected: JSON.stringify(job.preprocessing),
      received: JSON.stringify(preprocessingOf(spec)),
    });
  }
  if (spec.numClasses !== null && spec.numClasses !== job.numClasses) {
    throw dataError(`model "${spec.name}" predicts ${spec.numClasses} classes but the test set has ${job.numClasses}`, {
      file: spec.path,
      expected: String(job.numClasses),
      received: String(spec.numClasses),
    });
  }
  if (job.start + job.count > dataset.images.length)
    throw dataError(`the job asks for images ${job.start}…${job.start + job.count} of a set of ${dataset.images.length}`, { file: dataset.source });
  const store = await services.results();
  await checkRun(store, job.runId, job.run);
  const done = await store.doneIndices(job.runId);
  const todo: number[] = [];
  for (let i = job.start; i < job.start + job.count; i++) if (!done.has(i)) todo.push(i);
  const evalDataset: EvalDataset = { ...dataset, contentHash: job.dataset.identity };
  for await (const batch of prepareBatches(spec, evalDataset, todo, {
    batchSize: job.batchSize,
    decodeConcurrency: Math.max(1, services.threads),
    failFast: job.failFast,
    tensor: true,
  })) {
    const dims = spec.layout === 'NCHW' ? [batch.indices.length, 3, spec.height, spec.width] : [batch.indices.length, spec.height, spec.width, 3];
    const result = await model.session.run({ [spec.inputName]: { data: batch.tensor as Float32Array, dims } }, [spec.outputName]);
    const output = result[spec.outputName] as { data: Float32Array; dims: readonly number[] };
    const classes = output.dims[output.dims.length - 1]!;
    if (classes !== job.numClasses)
      throw dataError(`model "${spec.name}" returned ${classes} scores per image, the test set has ${job.numClasses} classes`, { file: spec.path });
    await store.writePredictions(job.runId, toRows(batch, output.data, classes, { topK: job.topK, saveLogits: job.saveLogits }, evalDataset));
  }
  return { images: todo.length, seconds: (performance.now() - started) / 1000 };
}

/** Runs one 'eval-finish' job: every image predicted ⇒ the run is done. */
export async function runEvalFinish(
  job: EvalFinishJob,
  context: Pick<JobContext, 'childrenValues'>,
  services: { results(): Promise<ResultsStore> },
): Promise<EvalSummary> {
  const store = await services.results();
  await checkRun(store, job.runId, job.run);
  const done = await store.doneIndices(job.runId);
  if (done.size !== job.n)
    throw dataError(`run ${job.runId} has ${done.size} of ${job.n} predictions after all its shards completed`, {
      field: 'predictions',
      hint: 'retry the group: shards skip the images already stored',
    });
  const shards = Object.values(await context.childrenValues()) as EvalShardResult[];
  const images = shards.reduce((s, r) => s + r.images, 0);
  const seconds = shards.reduce((s, r) => s + r.seconds, 0);
  if ((await store.runStatus(job.runId)) !== 'done') await store.finishRun(job.runId, images > 0 && seconds > 0 ? images / seconds : null);
  return summarize(await store.score(job.runId));
}

/** Refuses a job whose run is not the one in this worker's store (its --db is another store). */
async function checkRun(store: ResultsStore, runId: number, expected: RunIdentity): Promise<void> {
  let found: RunIdentity | null = null;
  try {
    const score = await store.score(runId);
    found = { model: score.model, dataset: score.dataset, n: score.n };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  if (found === null || found.model !== expected.model || found.dataset !== expected.dataset || found.n !== expected.n) {
    throw dataError(`run ${runId} (${expected.model} on ${expected.dataset}) is not in this worker's results store`, {
      file: store.location,
      field: '--db',
      expected: `run ${runId}: ${expected.model} on ${expected.dataset}, ${expected.n} images`,
      received: found === null ? 'no such run' : `run ${runId}: ${found.model} on ${found.dataset}, ${found.n} images`,
      hint: 'start `retest worker` with the --db the jobs were submitted with (PostgreSQL when workers are on several machines)',
    });
  }
}

/** What `evalFromCli` is given by `retest eval --queue`. */
export interface EvalFromCliInput extends Omit<EvalPlanInput, 'store'> {
  store: ResultsStore;
  queue: string;
  detach: boolean;
  quiet: boolean;
  /** Prints the answer (the command's own formatting). */
  print(summary: EvalSummary, fromStore: boolean): void;
}

/**
 * `retest eval --queue`: the run as jobs for `retest worker` processes (which write the
 * predictions into their `--db`, the same store), with the progress line; prints the summary, or
 * the group id with `--detach`.
 */
export async function evalFromCli(input: EvalFromCliInput): Promise<void> {
  const plan = await planEval(input);
  if (plan.group === null) {
    input.print(plan.summary, true);
    return;
  }
  const { queueRunner } = await import('./queue-runner.ts');
  const { terminalGroupProgress } = await import('./progress.ts');
  const { jobsDidNotFinish } = await import('./dedup-jobs.ts');
  const runner = await queueRunner(input.queue);
  try {
    const group = await runner.submit(plan.group);
    if (input.detach) {
      process.stdout.write(
        input.quiet
          ? `${JSON.stringify({ group, run: plan.runId, detached: true })}\n`
          : `submitted job group ${group} (run ${plan.runId}): \`retest jobs status ${group} --queue ${input.queue}\`\n`,
      );
      return;
    }
    const onProgress = terminalGroupProgress({ quiet: input.quiet, unit: 'images' });
    const status = await runner.wait(group, onProgress ? { onProgress } : {});
    if (status.state !== 'done') throw jobsDidNotFinish(status);
    input.print(summarize(await input.store.score(plan.runId)), false);
  } finally {
    await runner.close();
  }
}
