/**
 * Exact k-nearest-neighbour search: ‖q‖² + ‖r‖² − 2 q·r as a blocked matrix product run by
 * onnxruntime (an 8-bit integer GEMM when every value is an integer 0…255 — in the fastest
 * formulation that passes a self-check on this CPU — else float32 SGEMM), references streamed in
 * shards (from shared memory or from disk) to pooled worker threads that each keep the best
 * candidates per query; the candidates are merged and, on the float32 path, re-ranked in float64,
 * so that reported distances are exact (an exact copy has distance 0).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { usageError } from '../core/errors.ts';
import type { ByteKernelKind } from './dot-kernel.ts';
import { byteDimensionProblem, chooseByteKernel, KERNEL_NAMES } from './kernel-check.ts';
import { ShardScanner, type ScanInit, type ShardTask } from './shard-scanner.ts';
import { TopK } from './top-k.ts';
import { readRows, vectorRow } from './vector-source.ts';
import type { KernelReport, KnnOptions, KnnResult, Neighbour, VectorSource } from './types.ts';

/** Extra candidates per query kept in float32 and re-ranked exactly (guards against float32 ties). */
const MARGIN = 8;

/** Default worker count: the machine's cores, at most 8. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

export async function exactKnn(queries: VectorSource, references: VectorSource[], options: KnnOptions): Promise<KnnResult> {
  const started = performance.now();
  const k = options.k;
  if (!Number.isInteger(k) || k < 0) throw usageError('k must be a non-negative integer', { field: 'k', received: String(k) });
  for (const [s, ref] of references.entries()) {
    if (ref.dimension !== queries.dimension) {
      throw usageError('queries and references have different descriptor lengths', { field: `references[${s}]`, expected: String(queries.dimension), received: String(ref.dimension) });
    }
  }
  const metric = options.metric ?? 'l2';
  const queryBlock = options.queryBlock ?? 1024;
  const workers = options.workers ?? defaultWorkers();
  const totalRefs = references.reduce((s, r) => s + r.count, 0);
  // At most 4,096 references per GEMM, and at least two shards per worker so that all are busy.
  const shardSize = options.shardSize ?? Math.max(256, Math.min(4096, Math.ceil(totalRefs / Math.max(1, 2 * workers))));
  const d = queries.dimension;
  const excluded = new Set(options.excludeSelfIn ?? []);
  for (const s of excluded) {
    if (references[s]?.count !== queries.count) throw usageError('a set searched against itself must have as many references as queries', { field: `references[${s}]` });
  }

  const offsets: number[] = [];
  let total = 0;
  for (const ref of references) {
    offsets.push(total);
    total += ref.count;
  }
  const shards: ShardTask[] = [];
  references.forEach((source, s) => {
    for (let start = 0; start < source.count; start += shardSize) {
      shards.push({ source, start, count: Math.min(shardSize, source.count - start), globalStart: (offsets[s] as number) + start });
    }
  });
  const selfOffsets = [...excluded].map((s) => offsets[s] as number);
  const center = metric === 'l2' ? meanValue(queries) : 0;
  const requested = options.kernel ?? 'auto';
  const { kernel, byteKind, report } = await pickKernel(requested, metric, [queries, ...references], d, options);
  // The 8-bit kernel's scores are exact integers: no margin and no re-rank needed.
  const capacity = Math.min(kernel === 'bytes' ? k : k + MARGIN, total);

  // Queries in chunks small enough that every worker can hold its own copy (≈ 128 MB each).
  const chunk = Math.max(queryBlock, Math.floor(32_000_000 / Math.max(1, d)));
  const neighbours: Neighbour[][] = [];
  let done = 0;
  for (let queryStart = 0; queryStart < queries.count; queryStart += chunk) {
    const queryCount = Math.min(chunk, queries.count - queryStart);
    const init: ScanInit = { queries, queryStart, queryCount, capacity, metric, kernel, byteKind, queryBlock, center, selfOffsets, threads: workers === 0 ? (options.threads ?? 1) : 1 };
    const onShard = (count: number) => {
      done += count;
      options.onProgress?.(done, total * Math.ceil(queries.count / chunk));
    };
    const top = capacity === 0 ? new TopK(queryCount, 0) : workers === 0 ? await scanInline(init, shards, onShard, options) : await scanInWorkers(init, shards, Math.min(workers, shards.length), onShard);
    for (let i = 0; i < queryCount; i++) {
      neighbours.push(kernel === 'bytes' ? fromExactScores(queries, queryStart + i, top.sorted(i), offsets, k, byteKind === 'u8s8' ? 128 : 0) : rerank(queries, queryStart + i, top.sorted(i), references, offsets, metric, k));
    }
  }
  return { neighbours, seconds: (performance.now() - started) / 1000, kernel: report };
}

/**
 * The kernel a search runs. 'auto' takes the 8-bit path when the values allow it; the 8-bit path
 * takes the fastest formulation that passes the self-check on this CPU, else falls back to float32
 * (exact after the float64 re-rank). Every kernel passed over is reported with the reason.
 */
async function pickKernel(
  requested: NonNullable<KnnOptions['kernel']>,
  metric: 'l2' | 'cosine',
  sources: VectorSource[],
  d: number,
  options: KnnOptions,
): Promise<{ kernel: ScanInit['kernel']; byteKind: ByteKernelKind; report: KernelReport }> {
  if (requested === 'onnx' || requested === 'js') return { kernel: requested, byteKind: 'u8s8', report: { name: KERNEL_NAMES[requested], skipped: [] } };
  const bytesOk = metric === 'l2' && sources.every(isByteValued);
  if (!bytesOk) {
    if (requested === 'bytes') throw usageError('the bytes kernel needs L2 and in-memory vectors whose values are integers 0…255', { field: 'kernel' });
    return { kernel: 'onnx', byteKind: 'u8s8', report: { name: 'float32', skipped: [] } };
  }
  const skipped: KernelReport['skipped'] = [];
  const choice = await chooseByteKernel(...(options.byteKernelFactory ? [options.byteKernelFactory] : []));
  for (const r of choice.rejected) skipped.push({ name: KERNEL_NAMES[r.kind], reason: `failed the self-check: ${r.reason}` });
  if (choice.kind !== null) {
    const tooLong = byteDimensionProblem(d, choice.kind);
    if (tooLong === null) return { kernel: 'bytes', byteKind: choice.kind, report: { name: KERNEL_NAMES[choice.kind], skipped } };
    skipped.push({ name: KERNEL_NAMES[choice.kind], reason: tooLong });
  }
  return { kernel: 'onnx', byteKind: 'u8s8', report: { name: 'float32', skipped } };
}

async function scanInline(init: ScanInit, shards: ShardTask[], onShard: (count: number) => void, options: KnnOptions): Promise<TopK> {
  const scanner = new ShardScanner(init, options.byteKernelFactory);
  await scanner.open();
  try {
    for (const shard of shards) {
      await scanner.scan(shard);
      onShard(shard.count);
    }
  } finally {
    await scanner.close();
  }
  const top = new TopK(init.queryCount, init.capacity);
  top.merge(scanner.result());
  return top;
}

/**
 * Starts a search worker. From compiled JavaScript the worker file is loaded directly; from the
 * TypeScript sources (tsx, vitest) a one-line bootstrap registers tsx inside the worker first,
 * because module hooks registered in the main thread do not reach worker threads.
 */
function startWorker(): Worker {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.ts')) return new Worker(new URL('./knn-worker.js', import.meta.url));
  // The ESM build of tsx's API (its CommonJS build cannot register hooks from inside a worker).
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./knn-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

/**
 * Idle workers kept for the next search (starting one costs about a second under tsx). They are
 * unref'd while idle, so they never keep the process alive.
 */
const idle: Worker[] = [];

function takeWorker(): Worker {
  const worker = idle.pop() ?? startWorker();
  worker.ref();
  return worker;
}

function releaseWorker(worker: Worker, healthy: boolean): void {
  worker.removeAllListeners('message');
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  if (!healthy) {
    void worker.terminate();
    return;
  }
  worker.unref();
  worker.on('exit', () => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
  });
  idle.push(worker);
}

async function scanInWorkers(init: ScanInit, shards: ShardTask[], count: number, onShard: (count: number) => void): Promise<TopK> {
  const top = new TopK(init.queryCount, init.capacity);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, count) }, () =>
      new Promise<void>((resolve, reject) => {
        const worker = takeWorker();
        const fail = (error: Error) => {
          releaseWorker(worker, false);
          reject(error);
        };
        const feed = () => {
          if (next < shards.length) worker.postMessage({ type: 'shard', task: shards[next++] });
          else worker.postMessage({ type: 'finish' });
        };
        worker.on('message', (message: { type: string; count?: number; scores?: Float64Array; indices?: Int32Array; sizes?: Int32Array; message?: string; stack?: string }) => {
          if (message.type === 'done') {
            onShard(message.count ?? 0);
            feed();
          } else if (message.type === 'result') {
            top.merge({ scores: message.scores as Float64Array, indices: message.indices as Int32Array, sizes: message.sizes as Int32Array });
            releaseWorker(worker, true);
            resolve();
          } else if (message.type === 'error') {
            const error = new Error(`search worker failed: ${message.message}`);
            if (message.stack) error.stack = message.stack;
            fail(error);
          }
        });
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`search worker exited with code ${code}`)));
        worker.postMessage({ type: 'init', init });
        feed();
      }),
    ),
  );
  return top;
}

/** Whether every value is an integer 0…255 (in-memory sources only; files are not scanned). */
function isByteValued(source: VectorSource): boolean {
  const loc = source.location;
  if (loc.kind !== 'memory') return false;
  const values = new Float32Array(loc.buffer, loc.byteOffset, source.count * source.dimension);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v >= 0 && v <= 255 && Math.floor(v) === v)) return false;
  }
  return true;
}

/** Mean of the first (up to) 1,000 query vectors' values: the L2 centering constant. */
function meanValue(source: VectorSource): number {
  const n = Math.min(source.count, 1000);
  if (n === 0) return 0;
  const rows = readRows(source, 0, n);
  let s = 0;
  for (let t = 0; t < rows.length; t++) s += rows[t] as number;
  return s / rows.length;
}

/**
 * Distances from the 8-bit kernel's exact scores s = ‖r‖² − 2 q·(r − offset):
 * ‖q − r‖² = s + ‖q‖² − 2·offset·Σq. Ties keep (set, index) order, as `rerank` does.
 */
function fromExactScores(queries: VectorSource, q: number, candidates: { index: number; score: number }[], offsets: number[], k: number, offset: number): Neighbour[] {
  const query = vectorRow(queries, q);
  let norm = 0;
  let sum = 0;
  for (let t = 0; t < query.length; t++) {
    const v = query[t] as number;
    norm += v * v;
    sum += v;
  }
  return candidates.slice(0, k).map((c) => {
    let set = offsets.length - 1;
    while ((offsets[set] as number) > c.index) set--;
    return { set, index: c.index - (offsets[set] as number), distance: c.score + norm - 2 * offset * sum };
  });
}

/** Exact float64 distances for one query's candidates; best k, ties by (set, index). */
function rerank(
  queries: VectorSource,
  q: number,
  candidates: { index: number; score: number }[],
  references: VectorSource[],
  offsets: number[],
  metric: 'l2' | 'cosine',
  k: number,
): Neighbour[] {
  const query = vectorRow(queries, q);
  const out: Neighbour[] = [];
  for (const c of candidates) {
    let set = offsets.length - 1;
    while ((offsets[set] as number) > c.index) set--;
    const index = c.index - (offsets[set] as number);
    out.push({ set, index, distance: exactDistance(query, vectorRow(references[set] as VectorSource, index), metric) });
  }
  out.sort((a, b) => a.distance - b.distance || a.set - b.set || a.index - b.index);
  return out.slice(0, k);
}

/** Squared L2, or 1 − cos, in float64. */
export function exactDistance(a: Float32Array, b: Float32Array, metric: 'l2' | 'cosine'): number {
  if (metric === 'l2') {
    let s = 0;
    for (let t = 0; t < a.length; t++) {
      const diff = (a[t] as number) - (b[t] as number);
      s += diff * diff;
    }
    return s;
  }
  let dot = 0, na = 0, nb = 0;
  for (let t = 0; t < a.length; t++) {
    dot += (a[t] as number) * (b[t] as number);
    na += (a[t] as number) * (a[t] as number);
    nb += (b[t] as number) * (b[t] as number);
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}
