/**
 * Ingest as jobs. The slow part of ingesting a candidate — reading or downloading it, decoding,
 * writing its original, 500-px and 256² files into the workspace's content-addressed blobs — runs
 * in 'ingest-batch' jobs on workers that see the workspace folder under their `--data-dir`; the
 * rows are then written by the submitting process through the ordinary `ingest` (src/collect) in
 * source order, with the workers' answers as its `storeContent`. So the files and rows are the
 * ones an in-process ingest writes, failures recorded with the same reasons. Blobs are named by
 * their content, so a batch run twice writes the same files.
 */
import { DownloadFailure } from '../core/http.ts';
import {
  ingest,
  ingestFailureReason,
  isIngested,
  storeCandidate,
  type Candidate,
  type CandidateSource,
  type IngestOptions,
  type IngestSummary,
  type StoredContent,
} from '../collect/index.ts';
import { usageError } from '../core/errors.ts';
import type { Workspace } from '../workspace/index.ts';
import { join, resolve } from 'node:path';
import { locateDataRef, relativeToDataDir } from './data-ref.ts';
import { jobsDidNotFinish } from './dedup-jobs.ts';
import type { GroupSpec, GroupStatus, JobContext, JobRunner } from './types.ts';

/** A candidate as a job carries it: a file's path relative to the data folder. */
type QueuedCandidate = Omit<Candidate, 'path' | 'url' | 'pixels'> & { url?: string; relativePath?: string };

/** Input of an 'ingest-batch' job. */
export interface IngestBatchJob {
  /** The workspace folder, relative to the data folder. */
  workspace: string;
  config: { displayLongerSide: number; displayJpegQuality: number; squareSize: number };
  candidates: QueuedCandidate[];
  options: Pick<IngestOptions, 'maxBytes' | 'timeoutMs' | 'downloadRetries'>;
}

/** Output: per candidate, what was stored, or why not. */
export type IngestBatchResult = (StoredContent | { error: string })[];

const keyOf = (c: { source: string; sourceId: string; classIdx: number }) => `${c.source}\n${c.sourceId}\n${c.classIdx}`;

/** Runs one 'ingest-batch' job. */
export async function runIngestBatch(job: IngestBatchJob, context: Pick<JobContext, 'dataDir'>): Promise<IngestBatchResult> {
  const dir = locateDataRef({ path: job.workspace, identity: '' }, context.dataDir);
  const out: IngestBatchResult = [];
  for (const q of job.candidates) {
    const { relativePath, url, ...rest } = q;
    const candidate = (
      url !== undefined ? { ...rest, url } : { ...rest, path: join(resolve(context.dataDir), ...(relativePath as string).split('/')) }
    ) as Candidate;
    try {
      out.push(await storeCandidate({ dir, config: job.config }, candidate, job.options));
    } catch (error) {
      const reason = ingestFailureReason(error);
      if (reason === null) throw error;
      out.push({ error: reason });
    }
  }
  return out;
}

/** What `ingestThroughRunner` is given. `source` is called twice (candidates are listed, then ingested). */
export interface QueuedIngestInput {
  runner: JobRunner;
  dataDir: string | undefined;
  workspace: Workspace;
  source: () => CandidateSource;
  options?: IngestOptions;
  /** Candidates per job (default 50). */
  batchSize?: number;
  onProgress?: (status: GroupStatus) => void;
}

/** Ingests `source` into `workspace` with the content stored by jobs on `runner`; the same files and rows as `ingest`. */
export async function ingestThroughRunner(input: QueuedIngestInput): Promise<IngestSummary & { group: string }> {
  const workspace = relativeToDataDir(input.workspace.dir, input.dataDir, 'the workspace');
  // Pass 1: the candidates that need their content stored (as `ingest` decides: a valid class, not ingested yet).
  const todo: QueuedCandidate[] = [];
  for await (const c of input.source().candidates({ onFailure: () => {} })) {
    if (!Number.isInteger(c.classIdx) || c.classIdx < 0 || c.classIdx >= input.workspace.classes.length) continue;
    if (await isIngested(input.workspace, c.source, c.sourceId)) continue;
    if (c.pixels)
      throw usageError('candidates given as pixel arrays are ingested in this process (they would travel through Redis)', {
        field: '--queue',
        hint: 'run `retest collect arrays` without --queue',
      });
    const { path, url, pixels: _pixels, ...rest } = c;
    todo.push(url !== undefined ? { ...rest, url } : { ...rest, relativePath: relativeToDataDir(path as string, input.dataDir, `candidate ${c.sourceId}`) });
  }
  const size = input.batchSize ?? 50;
  const { displayLongerSide, displayJpegQuality, squareSize } = input.workspace.config;
  const options = {
    ...(input.options?.maxBytes !== undefined ? { maxBytes: input.options.maxBytes } : {}),
    ...(input.options?.timeoutMs !== undefined ? { timeoutMs: input.options.timeoutMs } : {}),
    ...(input.options?.downloadRetries !== undefined ? { downloadRetries: input.options.downloadRetries } : {}),
  };
  const group: GroupSpec = { name: `ingest ${todo.length} candidates into ${workspace}`, jobs: [] };
  for (let start = 0, b = 0; start < todo.length; start += size, b++) {
    const data: IngestBatchJob = {
      workspace,
      config: { displayLongerSide, displayJpegQuality, squareSize },
      candidates: todo.slice(start, start + size),
      options,
    };
    group.jobs.push({ kind: 'ingest-batch', id: `batch-${b}`, data, units: data.candidates.length });
  }
  const id = await input.runner.submit(group);
  const status = await input.runner.wait(id, input.onProgress ? { onProgress: input.onProgress } : {});
  if (status.state !== 'done') throw jobsDidNotFinish(status);
  const results = await input.runner.results(id);
  const stored = new Map<string, StoredContent | { error: string }>();
  group.jobs.forEach((job) => {
    const answers = results[job.id] as IngestBatchResult;
    (job.data as IngestBatchJob).candidates.forEach((c, i) => stored.set(keyOf(c), answers[i] as StoredContent | { error: string }));
  });
  // Pass 2: the rows, in source order, as `ingest` writes them; a candidate the jobs did not see (the source changed) is stored here.
  const target = { dir: input.workspace.dir, config: input.workspace.config };
  const summary = await ingest(input.workspace, input.source(), {
    ...input.options,
    storeContent: async (c) => {
      const answer = stored.get(keyOf(c));
      if (answer === undefined) return storeCandidate(target, c, input.options ?? {});
      if ('error' in answer) throw new DownloadFailure(answer.error);
      return answer;
    },
  });
  return { ...summary, group: id };
}

/** `retest collect … --queue`: `ingestThroughRunner` on the queue, with the progress line. */
export async function ingestFromCli(input: {
  queue: string;
  dataDir: string | undefined;
  workspace: Workspace;
  source: () => CandidateSource;
  options: IngestOptions;
  quiet: boolean;
}): Promise<IngestSummary> {
  const { queueRunner } = await import('./queue-runner.ts');
  const { terminalGroupProgress } = await import('./progress.ts');
  const runner = await queueRunner(input.queue);
  try {
    const onProgress = terminalGroupProgress({ quiet: input.quiet, unit: 'images' });
    const { progress: _progress, ...options } = input.options;
    const { group: _group, ...summary } = await ingestThroughRunner({
      runner,
      dataDir: input.dataDir,
      workspace: input.workspace,
      source: input.source,
      options,
      ...(onProgress ? { onProgress } : {}),
    });
    return summary;
  } finally {
    await runner.close();
  }
}
