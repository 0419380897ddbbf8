/**
 * Near-duplicate search between image sets: describe every image (in batches), then exact k-NN of
 * the queries against all reference sets at once. A reference set that is the query set itself
 * (same key) is described once and self-matches are excluded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approximateKnn } from './approximate-knn.ts';
import { exactDistance, exactKnn } from './exact-knn.ts';
import type { ImageSource } from './image-source.ts';
import type { Descriptor, KernelReport, KnnOptions, Neighbour, VectorSource } from './types.ts';
import { fileVectors, memoryVectors, readRows, vectorRow } from './vector-source.ts';
import { appendFileSync } from 'node:fs';

export interface SearchOptions {
  /** Neighbours per query. */
  k: number;
  /** Images described per batch (default 256). */
  batch?: number;
  /** Vectors larger than this many bytes go to a temporary float32 file and are streamed (default 2 GiB). */
  memoryLimitBytes?: number;
  /** Passed to exact search. */
  workers?: number;
  kernel?: KnnOptions['kernel'];
  /** Progress callbacks: describing (done, total images) and searching (done, total references). */
  onDescribe?: (set: string, done: number, total: number) => void;
  onSearch?: (done: number, total: number) => void;
}

export interface SearchResult {
  /** The descriptor's name and metric. */
  descriptor: string;
  metric: 'l2' | 'cosine';
  /** Neighbours of every query, closest first; `set` indexes the references given. */
  neighbours: Neighbour[][];
  /** Seconds describing and searching. */
  describeSeconds: number;
  searchSeconds: number;
  /** The dot-product kernel exact search ran (null for approximate search). */
  kernel: KernelReport | null;
}

/** Describes a whole image source into a vector source (memory, or a file under `dir` when large). */
export async function describeSource(
  source: ImageSource,
  descriptor: Descriptor,
  options: { batch?: number; memoryLimitBytes?: number; dir?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<VectorSource> {
  const d = await descriptor.dimension(source.width, source.height);
  const batch = options.batch ?? 256;
  const bytes = source.count * d * 4;
  const toFile = bytes > (options.memoryLimitBytes ?? 2 ** 31) && options.dir !== undefined;
  if (toFile) {
    const path = join(options.dir as string, `${source.name.replace(/[^\w.-]+/g, '_')}-${Date.now()}.f32`);
    for (let start = 0; start < source.count; start += batch) {
      const n = Math.min(batch, source.count - start);
      const v = await descriptor.describe(await source.read(start, n));
      appendFileSync(path, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      options.onProgress?.(start + n, source.count);
    }
    return fileVectors(path, d);
  }
  const out = new Float32Array(new SharedArrayBuffer(bytes));
  for (let start = 0; start < source.count; start += batch) {
    const n = Math.min(batch, source.count - start);
    out.set(await descriptor.describe(await source.read(start, n)), start * d);
    options.onProgress?.(start + n, source.count);
  }
  return memoryVectors(out, d);
}

/** The k nearest references of every query under one descriptor. */
export async function searchSources(queries: ImageSource, references: ImageSource[], descriptor: Descriptor, options: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'retest-dedup-'));
  try {
    const common = {
      ...(options.batch !== undefined ? { batch: options.batch } : {}),
      ...(options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {}),
      dir,
    };
    const queryVectors = await describeSource(queries, descriptor, { ...common, onProgress: (done, total) => options.onDescribe?.(queries.name, done, total) });
    const refVectors: VectorSource[] = [];
    const self: number[] = [];
    for (const [s, ref] of references.entries()) {
      if (ref.key === queries.key) {
        refVectors.push(queryVectors);
        self.push(s);
      } else {
        refVectors.push(await describeSource(ref, descriptor, { ...common, onProgress: (done, total) => options.onDescribe?.(ref.name, done, total) }));
      }
    }
    const t1 = performance.now();
    const result = await exactKnn(queryVectors, refVectors, {
      k: options.k,
      metric: descriptor.metric,
      excludeSelfIn: self,
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...(options.kernel !== undefined ? { kernel: options.kernel } : {}),
      ...(options.onSearch ? { onProgress: options.onSearch } : {}),
    });
    return {
      descriptor: descriptor.name,
      metric: descriptor.metric,
      neighbours: result.neighbours,
      describeSeconds: (t1 - t0) / 1000,
      searchSeconds: result.seconds,
      kernel: result.kernel,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Approximate search: an HNSW index (usearch) over `indexDescriptor` (a reduced one, e.g.
 * `pixels-std@8`) for all reference sets together, its `shortList` best per query re-ranked exactly
 * on `descriptor`. Self-matches are excluded as in exact search.
 */
export async function approximateSearchSources(
  queries: ImageSource,
  references: ImageSource[],
  descriptor: Descriptor,
  indexDescriptor: Descriptor,
  options: { k: number; shortList?: number; threads?: number },
): Promise<SearchResult & { buildSeconds: number; querySeconds: number }> {
  const t0 = performance.now();
  const qFull = await describeSource(queries, descriptor);
  const qIndex = await describeSource(queries, indexDescriptor);
  const refFull: VectorSource[] = [];
  const refIndex: VectorSource[] = [];
  const self: number[] = [];
  for (const [s, ref] of references.entries()) {
    if (ref.key === queries.key) {
      refFull.push(qFull);
      refIndex.push(qIndex);
      self.push(s);
    } else {
      refFull.push(await describeSource(ref, descriptor));
      refIndex.push(await describeSource(ref, indexDescriptor));
    }
  }
  const offsets: number[] = [];
  let total = 0;
  for (const r of refIndex) {
    offsets.push(total);
    total += r.count;
  }
  const dimension = qIndex.dimension;
  const all = new Float32Array(total * dimension);
  refIndex.forEach((r, s) => all.set(readRows(r, 0, r.count), offsets[s]! * dimension));
  const locate = (g: number) => {
    let s = offsets.length - 1;
    while (offsets[s]! > g) s--;
    return { set: s, index: g - offsets[s]! };
  };
  const t1 = performance.now();
  const result = await approximateKnn({
    queries: readRows(qIndex, 0, qIndex.count),
    references: all,
    dimension,
    metric: indexDescriptor.metric,
    k: options.k,
    ...(options.shortList !== undefined ? { shortList: options.shortList } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    exclude: self.length ? (q, g) => self.some((s) => g - offsets[s]! === q) : () => false,
    rerank: (q, g) => {
      const { set, index } = locate(g);
      return exactDistance(vectorRow(qFull, q), vectorRow(refFull[set] as VectorSource, index), descriptor.metric);
    },
  });
  const neighbours: Neighbour[][] = result.neighbours.map((list) => list.map((n) => ({ ...locate(n.index), distance: n.distance })));
  for (const list of neighbours) list.sort((a, b) => a.distance - b.distance || a.set - b.set || a.index - b.index);
  return {
    descriptor: descriptor.name,
    metric: descriptor.metric,
    neighbours,
    describeSeconds: (t1 - t0) / 1000,
    searchSeconds: result.buildSeconds + result.querySeconds + result.rerankSeconds,
    kernel: null,
    buildSeconds: result.buildSeconds,
    querySeconds: result.querySeconds,
  };
}
