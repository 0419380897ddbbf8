/**
 * Exact k-nearest-neighbour search: ‖q‖² + ‖r‖² − 2 q·r as a blocked matrix product run by
 * onnxruntime (an 8-bit integer GEMM when every value is an integer 0…255 — in the fastest
 * formulation that passes a self-check on this CPU — else float32 SGEMM), references streamed in
 * shards (from shared memory or from disk) to pooled worker threads that each keep the best
 * candidates per query; the candidates are merged and, on the float32 path, re-ranked in float64,
 * so that reported distances are exact (an exact copy has distance 0).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { onCommandEnd } from '../core/cleanup.ts';
import { usageError } from '../core/errors.ts';
import { fromWireError, isWireFailure, type WireFailure } from '../core/wire-error.ts';
import { DRAINED, type KnnTask } from './knn-worker.ts';
import type { ByteKernelKind } from './dot-kernel.ts';
import { byteDimensionProblem, chooseByteKernel, KERNEL_NAMES } from './kernel-check.ts';
import { ShardScanner, type ScanInit, type ShardTask } from './shard-scanner.ts';
import { TopK, type TopKData } from './top-k.ts';
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
  const excluded = new Set(options.excludeSelfIn ?? []);
  checkInputs(queries, references, k, excluded);
  const metric = options.metric ?? 'l2';
  const queryBlock = options.queryBlock ?? 1024;
  const workers = options.workers ?? defaultWorkers();
  const totalRefs = references.reduce((s, r) => s + r.count, 0);
  // At most 4,096 references per GEMM, and at least two shards per worker so that all are busy.
  const shardSize = options.shardSize ?? Math.max(256, Math.min(4096, Math.ceil(totalRefs / Math.max(1, 2 * workers))));
  const d = queries.dimension;
  const { offsets, total, shards } = planShards(references, shardSize);
  const selfOffsets = [...excluded].map((s) => offsets[s]!);
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
    const init: ScanInit = {
      queries,
      queryStart,
      queryCount,
      capacity,
      metric,
      kernel,
      byteKind,
      queryBlock,
      center,
      selfOffsets,
      threads: workers === 0 ? (options.threads ?? 1) : 1,
    };
    const onShard = (count: number) => {
      done += count;
      options.onProgress?.(done, total * Math.ceil(queries.count / chunk));
    };
    const top =
      capacity === 0
        ? new TopK(queryCount, 0)
        : workers === 0
          ? await scanInline(init, shards, onShard, options)
          : await scanInWorkers(init, shards, Math.min(workers, shards.length), onShard);
    for (let i = 0; i < queryCount; i++) {
      neighbours.push(
        kernel === 'bytes'
          ? fromExactScores(queries, queryStart + i, top.sorted(i), offsets, k, byteKind === 'u8s8' ? 128 : 0)
          : rerank(queries, queryStart + i, top.sorted(i), references, offsets, metric, k),
      );
    }
  }
  return { neighbours, seconds: (performance.now() - started) / 1000, kernel: report };
}

/** Rejects a bad k, references of another descriptor length, and self-search sets of the wrong size. */
function checkInputs(queries: VectorSource, references: VectorSource[], k: number, excluded: ReadonlySet<number>): void {
  if (!Number.isInteger(k) || k < 0) throw usageError('k must be a non-negative integer', { field: 'k', received: String(k) });
  for (const [s, ref] of references.entries()) {
    if (ref.dimension !== queries.dimension) {
      throw usageError('queries and references have different descriptor lengths', {
        field: `references[${s}]`,
        expected: String(queries.dimension),
        received: String(ref.dimension),
      });
    }
  }
  for (const s of excluded) {
    if (references[s]?.count !== queries.count)
      throw usageError('a set searched against itself must have as many references as queries', { field: `references[${s}]` });
  }
}

/** Each reference set's first global index, the total, and the sets cut into shards of `shardSize`. */
function planShards(references: VectorSource[], shardSize: number): { offsets: number[]; total: number; shards: ShardTask[] } {
  const offsets: number[] = [];
  let total = 0;
  for (const ref of references) {
    offsets.push(total);
    total += ref.count;
  }
  const shards: ShardTask[] = [];
  references.forEach((source, s) => {
    for (let start = 0; start < source.count; start += shardSize) {
      shards.push({ source, start, count: Math.min(shardSize, source.count - start), globalStart: offsets[s]! + start });
    }
  });
  return { offsets, total, shards };
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

/** The worker entry: the compiled file, or a bootstrap that registers tsx when running from sources. */
function workerFile(): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');
  return fileURLToPath(new URL(fromSources ? './knn-worker-tsx.mjs' : './knn-worker.js', import.meta.url));
}

/**
 * One pool for the process, kept for the next search (starting a worker costs about a second
 * under tsx); its threads are unref'd between searches, so they never keep the process alive.
 * piscina replaces a worker that died.
 */
let pool: Piscina<KnnTask, TopKData | WireFailure> | null = null;

function knnPool(size: number): Piscina<KnnTask, TopKData | WireFailure> {
  if (!pool || pool.options.maxThreads < size) {
    void pool?.destroy();
    const created = new Piscina<KnnTask, TopKData | WireFailure>({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: Math.max(size, defaultWorkers()),
      idleTimeout: 30_000,
    });
    pool = created;
    // A command that searched ends with the pool stopped, so its process exits at once.
    onCommandEnd(async () => {
      if (pool === created) pool = null;
      await created.destroy();
    });
  }
  return pool;
}

/**
 * Shards dealt round-robin to `count` tasks (equal-sized shards, so the tasks finish together);
 * each task keeps its own best candidates, merged here.
 */
async function scanInWorkers(init: ScanInit, shards: ShardTask[], count: number, onShard: (count: number) => void): Promise<TopK> {
  const top = new TopK(init.queryCount, init.capacity);
  const tasks = Math.max(1, count);
  const piscina = knnPool(tasks);
  for (const thread of piscina.threads) thread.ref();
  try {
    await scanTasks(piscina, init, shards, tasks, onShard, top);
  } finally {
    // Idle workers wait for the next search without keeping the process alive.
    for (const thread of piscina.threads) thread.unref();
  }
  return top;
}

async function scanTasks(
  piscina: Piscina<KnnTask, TopKData | WireFailure>,
  init: ScanInit,
  shards: ShardTask[],
  tasks: number,
  onShard: (count: number) => void,
  top: TopK,
): Promise<void> {
  await Promise.all(
    Array.from({ length: tasks }, async (_, t) => {
      const { port1, port2 } = new MessageChannel();
      // The worker ends with DRAINED after its last progress message: wait for it, so none is lost.
      let drain: () => void = () => {};
      const drained = new Promise<void>((resolve) => (drain = resolve));
      port1.on('message', (n: number) => (n === DRAINED ? drain() : onShard(n)));
      let result: TopKData | WireFailure;
      try {
        result = await piscina.run({ init, shards: shards.filter((_, s) => s % tasks === t), progress: port2 }, { transferList: [port2] });
      } catch (error) {
        port1.close();
        throw error;
      }
      await drained;
      port1.close();
      if (isWireFailure(result)) throw fromWireError(result.failure, 'a search worker');
      top.merge(result);
    }),
  );
}

/** Whether every value is an integer 0…255 (in-memory sources only; files are not scanned). */
function isByteValued(source: VectorSource): boolean {
  const loc = source.location;
  if (loc.kind !== 'memory') return false;
  const values = new Float32Array(loc.buffer, loc.byteOffset, source.count * source.dimension);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
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
  for (let t = 0; t < rows.length; t++) s += rows[t]!;
  return s / rows.length;
}

/**
 * Distances from the 8-bit kernel's exact scores s = ‖r‖² − 2 q·(r − offset):
 * ‖q − r‖² = s + ‖q‖² − 2·offset·Σq. Ties keep (set, index) order, as `rerank` does.
 */
function fromExactScores(
  queries: VectorSource,
  q: number,
  candidates: { index: number; score: number }[],
  offsets: number[],
  k: number,
  offset: number,
): Neighbour[] {
  const query = vectorRow(queries, q);
  let norm = 0;
  let sum = 0;
  for (let t = 0; t < query.length; t++) {
    const v = query[t]!;
    norm += v * v;
    sum += v;
  }
  return candidates.slice(0, k).map((c) => {
    let set = offsets.length - 1;
    while (offsets[set]! > c.index) set--;
    return { set, index: c.index - offsets[set]!, distance: c.score + norm - 2 * offset * sum };
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
    while (offsets[set]! > c.index) set--;
    const index = c.index - offsets[set]!;
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
      const diff = a[t]! - b[t]!;
      s += diff * diff;
    }
    return s;
  }
  let dot = 0,
    na = 0,
    nb = 0;
  for (let t = 0; t < a.length; t++) {
    dot += a[t]! * b[t]!;
    na += a[t]! * a[t]!;
    nb += b[t]! * b[t]!;
  }
  return na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
}
