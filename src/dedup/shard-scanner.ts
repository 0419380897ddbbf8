/**
 * One thread's share of exact search: it holds a chunk of queries and, shard by shard, scores
 * references against them with the dot kernel and keeps the best `capacity` per query. Run inside a
 * worker thread (`knn-worker.ts`) or, with `workers: 0`, in the calling thread.
 */
import { createDotKernel, onnxByteKernel, type ByteDotKernel, type ByteKernelKind, type DotKernel } from './dot-kernel.ts';
import type { ByteKernelFactory } from './kernel-check.ts';
import { TopK } from './top-k.ts';
import { readRows } from './vector-source.ts';
import type { VectorMetric, VectorSource } from './types.ts';

/** Everything a scanner needs; structured-clonable so it can be posted to a worker. */
export interface ScanInit {
  /** The query set and the chunk of it this scan covers. */
  queries: VectorSource;
  queryStart: number;
  queryCount: number;
  /** Candidates kept per query (k plus a margin re-ranked exactly later). */
  capacity: number;
  metric: VectorMetric;
  /** 'bytes': values are integers 0…255 (checked by the caller): the exact 8-bit integer GEMM. */
  kernel: 'onnx' | 'js' | 'bytes';
  /** With 'bytes': the formulation that passed the self-check on this CPU (`chooseByteKernel`). */
  byteKind: ByteKernelKind;
  /** Queries per GEMM. */
  queryBlock: number;
  /** Intra-op threads of the dot kernel (1 inside worker threads). */
  threads: number;
  /** Subtracted from every value before L2 scoring (keeps float32 norms small; distances unchanged). */
  center: number;
  /** Global reference offsets of sets that are the query set itself: (offset + i) is query i. */
  selfOffsets: number[];
}

/** A shard of one reference set: `count` vectors from `start`, numbered globally from `globalStart`. */
export interface ShardTask {
  source: VectorSource;
  start: number;
  count: number;
  globalStart: number;
}

export class ShardScanner {
  private readonly init: ScanInit;
  private kernel: DotKernel | null = null;
  private byteKernel: ByteDotKernel | null = null;
  private queries: Float32Array = new Float32Array(0);
  private queryBytes: Uint8Array = new Uint8Array(0);
  private readonly top: TopK;
  private refBuffer: Float32Array = new Float32Array(0);
  private readonly skip: ((row: number, col: number) => boolean) | null;

  /** Creates the 8-bit kernel (inline scans may be given the factory the self-check used). */
  private readonly byteFactory: ByteKernelFactory;

  constructor(init: ScanInit, byteFactory: ByteKernelFactory = (threads, kind) => onnxByteKernel(threads, kind)) {
    this.init = init;
    this.byteFactory = byteFactory;
    this.top = new TopK(init.queryCount, init.capacity);
    const offsets = init.selfOffsets.map((o) => o + init.queryStart);
    this.skip = offsets.length === 0 ? null : (row, col) => offsets.some((o) => col - o === row);
  }

  /** Reads this chunk's queries and opens the kernel. */
  async open(): Promise<void> {
    const { queries, queryStart, queryCount } = this.init;
    if (this.init.kernel === 'bytes') {
      this.queryBytes = Uint8Array.from(readRows(queries, queryStart, queryCount));
      this.byteKernel = await this.byteFactory(this.init.threads, this.init.byteKind);
      return;
    }
    this.queries = prepare(readRows(queries, queryStart, queryCount), queries.dimension, this.init.metric, this.init.center);
    this.kernel = await createDotKernel(this.init.kernel, this.init.threads);
  }

  /** Scores one shard against every query of the chunk. */
  async scan(task: ShardTask): Promise<void> {
    if (this.init.kernel === 'bytes') return this.scanBytes(task);
    if (!this.kernel) throw new Error('ShardScanner.scan before open()');
    const d = task.source.dimension;
    if (this.refBuffer.length < task.count * d) this.refBuffer = new Float32Array(task.count * d);
    const refs = prepare(readRows(task.source, task.start, task.count, this.refBuffer), d, this.init.metric, this.init.center);
    const norms = new Float32Array(task.count);
    for (let j = 0; j < task.count; j++) {
      let s = 0;
      for (let t = j * d, end = t + d; t < end; t++) s += refs[t]! * refs[t]!;
      norms[j] = s;
    }
    const block = this.init.queryBlock;
    for (let i = 0; i < this.init.queryCount; i += block) {
      const m = Math.min(block, this.init.queryCount - i);
      const q = this.queries.subarray(i * d, (i + m) * d);
      const scores = await this.kernel.scores(q, m, refs, task.count, d, norms);
      this.top.pushBlock(scores, i, m, task.globalStart, task.count, this.skip);
    }
  }

  /** The 8-bit path: scores ‖r‖² − 2 q·(r − offset) (the per-query term −2·offset·Σq does not change a ranking). */
  private async scanBytes(task: ShardTask): Promise<void> {
    if (!this.byteKernel) throw new Error('ShardScanner.scan before open()');
    const d = task.source.dimension;
    const n = task.count;
    const refs = readRows(task.source, task.start, n, this.refBuffer.length >= n * d ? this.refBuffer : (this.refBuffer = new Float32Array(n * d)));
    const norms = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = j * d, end = t + d; t < end; t++) s += refs[t]! * refs[t]!;
      norms[j] = s;
    }
    const shard = this.byteKernel.prepareShard(refs, n, d);
    const block = this.init.queryBlock;
    for (let i = 0; i < this.init.queryCount; i += block) {
      const m = Math.min(block, this.init.queryCount - i);
      const dots = await this.byteKernel.dots(this.queryBytes.subarray(i * d, (i + m) * d), m, shard, n, d);
      this.top.pushDots(dots, norms, i, m, task.globalStart, n, this.skip);
    }
  }

  /** The kept candidates (scores are ‖r‖² − 2q·r: comparable within a query only). */
  result(): { scores: Float64Array; indices: Int32Array; sizes: Int32Array } {
    return { scores: this.top.scores, indices: this.top.indices, sizes: this.top.sizes };
  }

  async close(): Promise<void> {
    await this.kernel?.close();
    this.kernel = null;
    await this.byteKernel?.close();
    this.byteKernel = null;
  }
}

/** Centers values for L2, or unit-normalises rows for cosine, in place. */
function prepare(rows: Float32Array, d: number, metric: VectorMetric, center: number): Float32Array {
  if (metric === 'cosine') {
    for (let o = 0; o < rows.length; o += d) {
      let s = 0;
      for (let t = o; t < o + d; t++) s += rows[t]! * rows[t]!;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let t = o; t < o + d; t++) rows[t] = rows[t]! * inv;
    }
  } else if (center !== 0) {
    for (let t = 0; t < rows.length; t++) rows[t] = rows[t]! - center;
  }
  return rows;
}
