/**
 * Approximate search for scale: an HNSW index (usearch 2.25) over *reduced* descriptors (e.g. 8²
 * or 16² downsampled pixels, or CNN features — HNSW on 3,072-dimensional raw pixels builds slowly),
 * queried for a short list per query that is then re-ranked exactly on the full descriptors.
 * Recall against exact search is what `bench/dedup.ts` reports.
 */
import { ioError } from '../core/errors.ts';
import { exactDistance } from './exact-knn.ts';
import { vectorRow } from './vector-source.ts';
import type { Neighbour, VectorMetric, VectorSource } from './types.ts';

export interface ApproximateOptions {
  /** Reduced vectors of the queries and the references (row-major, `dimension` floats each). */
  queries: Float32Array;
  references: Float32Array;
  dimension: number;
  /** Metric on the reduced vectors (default 'l2'). */
  metric?: VectorMetric;
  /** Neighbours returned per query. */
  k: number;
  /** Candidates taken from the index per query before re-ranking (default max(4k, 50)). */
  shortList?: number;
  /** Full descriptors for the exact re-ranking (same order); without them reduced distances are returned. */
  exact?: { queries: VectorSource; references: VectorSource; metric: VectorMetric };
  /** HNSW parameters (usearch: connectivity M, expansion_add efConstruction, expansion_search ef). */
  connectivity?: number;
  expansionAdd?: number;
  expansionSearch?: number;
  /** Threads for building and searching (0 = all). */
  threads?: number;
  /** Exclude reference i from query i's list (a set searched against itself). */
  excludeSelf?: boolean;
  /** General exclusion: drop (query, reference) pairs for which this returns true. */
  exclude?: (query: number, reference: number) => boolean;
  /** General exact re-rank: the exact distance of (query, reference); overrides `exact`. */
  rerank?: (query: number, reference: number) => number;
}

export interface ApproximateResult {
  /** Neighbours per query (set is always 0). */
  neighbours: Neighbour[][];
  buildSeconds: number;
  querySeconds: number;
  rerankSeconds: number;
}

type Usearch = typeof import('usearch');
let usearchModule: Usearch | undefined;
async function loadUsearch(): Promise<Usearch> {
  if (!usearchModule) {
    try {
      usearchModule = await import('usearch');
    } catch (cause) {
      throw ioError('cannot load usearch (the HNSW index)', { cause, hint: 'run `npm ci` so that the native module is installed' });
    }
  }
  return usearchModule;
}

export async function approximateKnn(options: ApproximateOptions): Promise<ApproximateResult> {
  const usearch = await loadUsearch();
  const d = options.dimension;
  const nRefs = options.references.length / d;
  const nQueries = options.queries.length / d;
  const shortList = Math.min(nRefs, options.shortList ?? Math.max(4 * options.k, 50));
  const threads = options.threads ?? 0;
  const t0 = performance.now();
  const index = new usearch.Index({
    dimensions: d,
    metric: options.metric === 'cosine' ? usearch.MetricKind.Cos : usearch.MetricKind.L2sq,
    quantization: usearch.ScalarKind.F32,
    connectivity: options.connectivity ?? 16,
    expansion_add: options.expansionAdd ?? 128,
    expansion_search: options.expansionSearch ?? Math.max(64, shortList + (options.excludeSelf ? 1 : 0)),
    multi: false,
  });
  const keys = new BigUint64Array(nRefs);
  for (let i = 0; i < nRefs; i++) keys[i] = BigInt(i);
  index.add(keys, options.references, threads);
  const t1 = performance.now();
  const wanted = Math.min(nRefs, shortList + (options.excludeSelf || options.exclude ? 1 : 0));
  const batch = index.search(options.queries, wanted, threads) as unknown as {
    keys: BigUint64Array;
    distances: Float32Array;
    counts: BigUint64Array;
    k: number;
  };
  const t2 = performance.now();
  const neighbours: Neighbour[][] = [];
  for (let q = 0; q < nQueries; q++) {
    const count = Number(batch.counts[q]);
    const list: Neighbour[] = [];
    // A short list as long as the reference set, re-ranked exactly, is every reference: take them
    // all rather than what the graph reached (a small HNSW graph built on threads can leave a
    // reference unreachable, and the exact nearest neighbour would be lost).
    const everyReference = wanted >= nRefs && (options.rerank !== undefined || options.exact !== undefined);
    const listed = everyReference ? nRefs : count;
    for (let t = 0; t < listed; t++) {
      const index = everyReference ? t : Number(batch.keys[q * batch.k + t]);
      if (options.excludeSelf && index === q) continue;
      if (options.exclude?.(q, index)) continue;
      list.push({ set: 0, index, distance: everyReference ? Number.NaN : batch.distances[q * batch.k + t]! });
    }
    if (options.rerank) {
      for (const n of list) n.distance = options.rerank(q, n.index);
    } else if (options.exact) {
      const query = vectorRow(options.exact.queries, q);
      for (const n of list) n.distance = exactDistance(query, vectorRow(options.exact.references, n.index), options.exact.metric);
    }
    list.sort((a, b) => a.distance - b.distance || a.index - b.index);
    neighbours.push(list.slice(0, options.k));
  }
  const t3 = performance.now();
  return { neighbours, buildSeconds: (t1 - t0) / 1000, querySeconds: (t2 - t1) / 1000, rerankSeconds: (t3 - t2) / 1000 };
}

/** Recall@k of `approximate` against `exact`: the fraction of exact neighbours found. */
export function recallAtK(approximate: Neighbour[][], exact: Neighbour[][], k: number): number {
  let found = 0;
  let total = 0;
  for (const [q, truth] of exact.entries()) {
    const want = new Set(truth.slice(0, k).map((n) => `${n.set}:${n.index}`));
    total += want.size;
    for (const n of (approximate[q] ?? []).slice(0, k)) if (want.has(`${n.set}:${n.index}`)) found++;
  }
  return total === 0 ? 1 : found / total;
}
