/**
 * Exact near-duplicate search as jobs. The queries are cut into chunks and the references into
 * shards; a 'dedup-search' job finds the k nearest of one shard for one chunk (`exactKnn`, the
 * single-machine search, on that slice), and a 'dedup-merge' job per chunk — whose children are
 * that chunk's search jobs — keeps the k best of all shards, ordered by (distance, set, index):
 * the order `exactKnn` itself breaks ties in. Distances are exact either way (integer scores on the
 * 8-bit path, float64 re-rank on the float32 path), so the merged lists equal the single-machine
 * search's, distance for distance.
 */
import {
  openImageSource,
  parseDescriptor,
  exactKnn,
  memoryVectors,
  type Descriptor,
  type ImageSource,
  type KernelReport,
  type Neighbour,
  type SearchResult,
  type VectorSource,
} from '../dedup/index.ts';
import { dataError, usageError } from '../core/errors.ts';
import { openFileRef, fileRef, type DataRef } from './data-ref.ts';
import type { GroupSpec, JobContext, JobRunner, GroupStatus, JobSpec } from './types.ts';

/** A slice of an image set. */
interface Slice {
  ref: DataRef;
  start: number;
  count: number;
}

/** Input of a 'dedup-search' job. */
export interface DedupSearchJob {
  descriptor: string;
  k: number;
  queries: Slice;
  reference: Slice & { set: number };
  /** Worker threads of the search (default 1: other jobs may run beside it). */
  threads?: number;
}

/** Output of a 'dedup-search' job: per query of the chunk, [set, index within its set, distance] of its k best in the shard. */
export interface DedupPartial {
  kernel: string;
  neighbours: [number, number, number][][];
}

/** Input of a 'dedup-merge' job. */
export interface DedupMergeJob {
  k: number;
  queryStart: number;
  queryCount: number;
}

/** Output of a 'dedup-merge' job. */
export interface DedupMerged {
  queryStart: number;
  kernel: string;
  neighbours: [number, number, number][][];
}

/** What to search, for `planDedupSearch`. */
export interface DedupPlanInput {
  descriptor: string;
  k: number;
  queries: { ref: DataRef; count: number };
  references: { ref: DataRef; count: number }[];
  /** Queries per chunk (default 1,000). */
  queryChunk?: number;
  /** References per shard (default 10,000). */
  referenceShard?: number;
  threads?: number;
}

/** The job group of one exact search: per query chunk a merge job over its shard searches. */
export function planDedupSearch(input: DedupPlanInput, name = `dedup search ${input.descriptor} k=${input.k}`): GroupSpec {
  const chunk = input.queryChunk ?? 1000;
  const shard = input.referenceShard ?? 10_000;
  const jobs: JobSpec[] = [];
  for (let c = 0, queryStart = 0; queryStart < input.queries.count; c++, queryStart += chunk) {
    const queryCount = Math.min(chunk, input.queries.count - queryStart);
    const children: JobSpec[] = [];
    input.references.forEach((reference, set) => {
      for (let r = 0, start = 0; start < reference.count; r++, start += shard) {
        const count = Math.min(shard, reference.count - start);
        const data: DedupSearchJob = {
          descriptor: input.descriptor,
          k: input.k,
          queries: { ref: input.queries.ref, start: queryStart, count: queryCount },
          reference: { ref: reference.ref, start, count, set },
          ...(input.threads ? { threads: input.threads } : {}),
        };
        children.push({ kind: 'dedup-search', id: `search-q${c}-s${set}-r${r}`, data, units: count * queryCount });
      }
    });
    const merge: DedupMergeJob = { k: input.k, queryStart, queryCount };
    jobs.push({ kind: 'dedup-merge', id: `merge-q${c}`, data: merge, children });
  }
  return { name, jobs };
}

/** Per-process caches: workers run many jobs on the same sets. */
const sources = new Map<string, Promise<ImageSource>>();
const descriptors = new Map<string, Descriptor>();

export async function sourceOf(ref: DataRef, dataDir: string): Promise<ImageSource> {
  const path = await openFileRef(ref, dataDir);
  const key = `${path}\n${ref.identity}`;
  let source = sources.get(key);
  if (source === undefined) {
    source = openImageSource(path, { cacheDir: dataDir });
    sources.set(key, source);
    source.catch(() => sources.delete(key));
  }
  return source;
}

export function descriptorOf(spec: string): Descriptor {
  let descriptor = descriptors.get(spec);
  if (descriptor === undefined) {
    descriptor = parseDescriptor(spec);
    descriptors.set(spec, descriptor);
  }
  return descriptor;
}

export async function describeSlice(source: ImageSource, slice: Slice, descriptor: Descriptor): Promise<VectorSource> {
  if (slice.start < 0 || slice.start + slice.count > source.count) {
    throw dataError(`the job asks for images ${slice.start}…${slice.start + slice.count} of a set of ${source.count}`, {
      file: slice.ref.path,
      hint: 're-submit: the set changed size',
    });
  }
  const d = await descriptor.dimension(source.width, source.height);
  const out = new Float32Array(new SharedArrayBuffer(slice.count * d * 4));
  const batch = 256;
  for (let at = 0; at < slice.count; at += batch) {
    const n = Math.min(batch, slice.count - at);
    out.set(await descriptor.describe(await source.read(slice.start + at, n)), at * d);
  }
  return memoryVectors(out, d);
}

/** Runs one 'dedup-search' job. */
export async function runDedupSearch(job: DedupSearchJob, context: Pick<JobContext, 'dataDir'>): Promise<DedupPartial> {
  const descriptor = descriptorOf(job.descriptor);
  const [querySource, referenceSource] = await Promise.all([sourceOf(job.queries.ref, context.dataDir), sourceOf(job.reference.ref, context.dataDir)]);
  const queries = await describeSlice(querySource, job.queries, descriptor);
  const references = await describeSlice(referenceSource, job.reference, descriptor);
  // Worker threads, not the calling thread: the job's lock is renewed on this thread's event loop.
  const result = await exactKnn(queries, [references], { k: job.k, metric: descriptor.metric, workers: Math.max(1, job.threads ?? 1) });
  const offset = job.reference.start;
  return {
    kernel: result.kernel.name,
    neighbours: result.neighbours.map((list) => list.map((n) => [job.reference.set, offset + n.index, n.distance])),
  };
}

/** Runs one 'dedup-merge' job over its children's partial lists. */
export async function runDedupMerge(job: DedupMergeJob, context: Pick<JobContext, 'childrenValues'>): Promise<DedupMerged> {
  const partials = Object.values(await context.childrenValues()) as DedupPartial[];
  const kernels = new Set(partials.map((p) => p.kernel));
  const neighbours: [number, number, number][][] = [];
  for (let q = 0; q < job.queryCount; q++) {
    const all = partials.flatMap((p) => p.neighbours[q] ?? []);
    all.sort((a, b) => a[2] - b[2] || a[0] - b[0] || a[1] - b[1]);
    neighbours.push(all.slice(0, job.k));
  }
  return { queryStart: job.queryStart, kernel: [...kernels].sort().join('+'), neighbours };
}

/** The merged results of a finished search group as `searchSources` answers (neighbours of every query, in order). */
export function mergedNeighbours(results: Record<string, unknown>, queryCount: number): { neighbours: Neighbour[][]; kernel: string } {
  const merged = Object.values(results) as DedupMerged[];
  merged.sort((a, b) => a.queryStart - b.queryStart);
  const neighbours: Neighbour[][] = [];
  for (const m of merged) {
    if (m.queryStart !== neighbours.length) throw new Error(`query chunk at ${neighbours.length} is missing from the results (this is a bug)`);
    for (const list of m.neighbours) neighbours.push(list.map(([set, index, distance]) => ({ set, index, distance })));
  }
  if (neighbours.length !== queryCount) throw new Error(`${neighbours.length} of ${queryCount} queries in the results (this is a bug)`);
  return { neighbours, kernel: [...new Set(merged.map((m) => m.kernel))].join('+') };
}

/** What `searchThroughRunner` is given: image-set files (a CIFAR .bin or an .npy of images). */
export interface QueuedSearchInput {
  runner: JobRunner;
  dataDir: string | undefined;
  queries: ImageSource;
  references: ImageSource[];
  descriptor: string;
  k: number;
  queryChunk?: number;
  referenceShard?: number;
  onProgress?: (status: GroupStatus) => void;
  /** Return after submitting (the group id), without waiting. */
  detach?: boolean;
}

/**
 * Exact search of `queries` against `references` as jobs on `runner`: the same neighbours as
 * `searchSources`. A set searched against itself (self-matches excluded) is not supported here.
 */
export async function searchThroughRunner(input: QueuedSearchInput): Promise<(SearchResult & { group: string }) | { group: string; detached: true }> {
  const started = performance.now();
  if (input.references.some((r) => r.key === input.queries.key)) {
    throw usageError('a set searched against itself is not split into jobs yet', { field: '--queue', hint: 'run this search without --queue' });
  }
  const refOf = (source: ImageSource) => fileRef(source.key, input.dataDir, `image set ${source.name}`);
  const group = planDedupSearch({
    descriptor: input.descriptor,
    k: input.k,
    queries: { ref: await refOf(input.queries), count: input.queries.count },
    references: await Promise.all(input.references.map(async (r) => ({ ref: await refOf(r), count: r.count }))),
    ...(input.queryChunk ? { queryChunk: input.queryChunk } : {}),
    ...(input.referenceShard ? { referenceShard: input.referenceShard } : {}),
  });
  const id = await input.runner.submit(group);
  if (input.detach) return { group: id, detached: true };
  const status = await input.runner.wait(id, { ...(input.onProgress ? { onProgress: input.onProgress } : {}) });
  if (status.state !== 'done') throw jobsDidNotFinish(status);
  const { neighbours, kernel } = mergedNeighbours(await input.runner.results(id), input.queries.count);
  const report: KernelReport = { name: kernel as KernelReport['name'], skipped: [] };
  return {
    group: id,
    descriptor: input.descriptor,
    metric: descriptorOf(input.descriptor).metric,
    neighbours,
    describeSeconds: 0,
    searchSeconds: (performance.now() - started) / 1000,
    kernel: report,
  };
}

/** The error of a group that ended parked or cancelled. */
export function jobsDidNotFinish(status: GroupStatus) {
  const first = status.parked[0];
  return dataError(
    `job group ${status.id} ${status.state === 'cancelled' ? 'was cancelled' : `has ${status.parked.length} parked job${status.parked.length === 1 ? '' : 's'}`}${first ? `; ${first.id}: ${first.error}` : ''}`,
    {
      field: 'jobs',
      hint: `see \`retest jobs status ${status.id} --queue …\`; fix the cause and \`retest jobs retry ${status.id} --queue …\``,
    },
  );
}

/**
 * `retest dedup search --queue`: the search as jobs on the queue, with the progress line; the
 * result as `searchSources` gives it, or 'detached' after printing the group id (`--detach`).
 */
export async function searchFromCli(input: {
  queue: string;
  dataDir: string | undefined;
  queries: ImageSource;
  references: ImageSource[];
  spec: string;
  k: number;
  detach: boolean;
  quiet: boolean;
}): Promise<SearchResult | 'detached'> {
  if (!/^pixels(-std)?(@\d+)?$/.test(input.spec))
    throw usageError('--queue runs the pixels and pixels-std descriptors (feature models are not shipped to workers yet)', {
      field: '--descriptor',
      received: input.spec,
    });
  const { queueRunner } = await import('./queue-runner.ts');
  const { terminalGroupProgress } = await import('./progress.ts');
  const runner = await queueRunner(input.queue);
  try {
    const onProgress = terminalGroupProgress({ quiet: input.quiet, unit: 'pairs' });
    const result = await searchThroughRunner({
      runner,
      dataDir: input.dataDir,
      queries: input.queries,
      references: input.references,
      descriptor: input.spec,
      k: input.k,
      detach: input.detach,
      ...(onProgress ? { onProgress } : {}),
    });
    if ('detached' in result) {
      process.stdout.write(
        input.quiet
          ? `${JSON.stringify({ group: result.group, detached: true })}\n`
          : `submitted job group ${result.group}: \`retest jobs status ${result.group} --queue ${input.queue}\`\n`,
      );
      return 'detached';
    }
    return result;
  } finally {
    await runner.close();
  }
}
