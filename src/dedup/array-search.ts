/**
 * Near-duplicate search between image arrays (`retest dedup search --queries … --references …`,
 * DESIGN §1.5): open the sources, run each descriptor in turn (exact, approximate through HNSW, or
 * DSSIM re-ranking the previous short lists), and write the contact sheet and pairs file of each.
 * The CLI parses the flags and prints; the orchestration is here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { approximateSearchSources, searchSources, type SearchResult } from './search.ts';
import { recallAtK } from './approximate-knn.ts';
import { closestPairs, writeContactSheet } from './contact-sheet.ts';
import { parseDescriptor } from './descriptor-spec.ts';
import { dssimRerank } from './dssim-rerank.ts';
import { arraySource, openImageSource, type ImageSource, type OpenSourceOptions } from './image-source.ts';
import type { Descriptor, KernelReport, Neighbour } from './types.ts';

/** The query set and the reference sets of an array search; a reference naming the queries is the same source. */
export interface ArraySearchSources {
  queries: ImageSource;
  references: ImageSource[];
  /** Indices of `references` that are the query set itself (self-matches are excluded there). */
  selfSets: number[];
}

/** Opens the queries and references (`references` empty: the queries against themselves). */
export async function openArraySearchSources(queries: string, references: readonly string[], options: OpenSourceOptions): Promise<ArraySearchSources> {
  const q = await openImageSource(queries, options);
  const refs: ImageSource[] = [];
  for (const name of references.length > 0 ? references : [queries]) {
    const source = await openImageSource(name, options);
    refs.push(source.key === q.key ? q : source);
  }
  return { queries: q, references: refs, selfSets: refs.flatMap((r, i) => (r.key === q.key ? [i] : [])) };
}

export interface ArraySearchOptions {
  /** Descriptor specs in order (`pixels-std@32`, `dssim`, an ONNX feature spec…). */
  descriptors: readonly string[];
  /** Neighbours kept per query. */
  k: number;
  /** Worker threads for exact search. */
  workers?: number;
  /** Approximate search: an HNSW index over `indexDescriptor`, its `shortList` best re-ranked exactly. */
  approximate?: { indexDescriptor: string; shortList: number; recallSample: number };
  /** Runs an exact search elsewhere (the CLI's `--queue`: jobs for `retest worker` processes); 'detached' skips the descriptor. */
  exactSearch?: (descriptor: Descriptor, k: number) => Promise<SearchResult | 'detached'>;
}

/** One descriptor's outcome. */
export interface ArraySearchStep {
  /** The descriptor's name (e.g. `pixels-std@32`, `dssim`). */
  descriptor: string;
  /** The k nearest references of every query, closest first. */
  neighbours: Neighbour[][];
  /** Seconds describing and searching. */
  seconds: number;
  /** The dot-product kernel exact search ran (null otherwise). */
  kernel: KernelReport | null;
  /** Approximate search only: index timings and, with `recallSample`, recall@k against exact search. */
  approximate?: { index: string; buildSeconds: number; querySeconds: number; shortList: number; recall: { recall: number; sampled: number } | null };
}

/** Runs each descriptor in turn, yielding its neighbours as soon as it is done. */
export async function* searchArraySources(sources: ArraySearchSources, options: ArraySearchOptions): AsyncGenerator<ArraySearchStep> {
  const { queries, references } = sources;
  const mixed = references.some((r) => r.width !== queries.width || r.height !== queries.height);
  const minSide = Math.min(queries.width, ...references.map((r) => r.width));
  // Raw-pixel descriptors on sets of different sizes compare at the smallest side.
  const sized = (spec: string) => (mixed && /^pixels(-std)?$/.test(spec) ? `${spec}@${minSide}` : spec);
  let shortLists: Neighbour[][] | null = null;
  for (const spec of options.descriptors) {
    let step: ArraySearchStep | null;
    if (spec === 'dssim') {
      // DSSIM re-ranks the short lists of the previous descriptor (or of pixels-std).
      const started = performance.now();
      shortLists ??= await pixelsStdShortLists(sources, mixed ? `pixels-std@${minSide}` : 'pixels-std', options.workers);
      step = {
        descriptor: 'dssim',
        neighbours: await dssimRerank(queries, references, shortLists, options.k),
        seconds: (performance.now() - started) / 1000,
        kernel: null,
      };
    } else {
      const result = options.approximate
        ? await approximateStep(sources, sized(spec), options.k, options.approximate)
        : await exactStep(sources, sized(spec), options);
      if (result === null) continue;
      shortLists = result.shortLists;
      step = result.step;
    }
    yield step;
  }
}

async function pixelsStdShortLists(sources: ArraySearchSources, spec: string, workers: number | undefined): Promise<Neighbour[][]> {
  const base = parseDescriptor(spec);
  try {
    return (await searchSources(sources.queries, sources.references, base, { k: 30, ...(workers ? { workers } : {}) })).neighbours;
  } finally {
    await base.close();
  }
}

type Searched = { step: ArraySearchStep; shortLists: Neighbour[][] };

async function exactStep(sources: ArraySearchSources, spec: string, options: ArraySearchOptions): Promise<Searched | null> {
  const descriptor = parseDescriptor(spec);
  try {
    const k = Math.max(options.k, 30);
    const queued = options.exactSearch ? await options.exactSearch(descriptor, k) : null;
    if (queued === 'detached') return null;
    const result =
      queued ?? (await searchSources(sources.queries, sources.references, descriptor, { k, ...(options.workers ? { workers: options.workers } : {}) }));
    const neighbours = result.neighbours.map((list) => list.slice(0, options.k));
    return {
      shortLists: result.neighbours,
      step: { descriptor: descriptor.name, neighbours, seconds: result.describeSeconds + result.searchSeconds, kernel: result.kernel },
    };
  } finally {
    await descriptor.close();
  }
}

async function approximateStep(
  sources: ArraySearchSources,
  spec: string,
  k: number,
  approximate: NonNullable<ArraySearchOptions['approximate']>,
): Promise<Searched> {
  const descriptor = parseDescriptor(spec);
  const index = parseDescriptor(approximate.indexDescriptor);
  try {
    const result = await approximateSearchSources(sources.queries, sources.references, descriptor, index, {
      k: Math.max(k, 30),
      shortList: approximate.shortList,
    });
    const neighbours = result.neighbours.map((list) => list.slice(0, k));
    const recall = approximate.recallSample > 0 ? await sampleRecall(sources, descriptor, neighbours, k, approximate.recallSample) : null;
    return {
      shortLists: result.neighbours,
      step: {
        descriptor: descriptor.name,
        neighbours,
        seconds: result.describeSeconds + result.searchSeconds,
        kernel: null,
        approximate: { index: index.name, buildSeconds: result.buildSeconds, querySeconds: result.querySeconds, shortList: approximate.shortList, recall },
      },
    };
  } finally {
    await descriptor.close();
    await index.close();
  }
}

/** Recall@k of approximate neighbours on evenly spaced sample queries, against exact search. */
export async function sampleRecall(
  sources: ArraySearchSources,
  descriptor: Descriptor,
  approximate: Neighbour[][],
  k: number,
  size: number,
): Promise<{ recall: number; sampled: number }> {
  const { queries, references, selfSets } = sources;
  const n = Math.min(size, queries.count);
  const picks = Array.from({ length: n }, (_, i) => Math.floor((i * queries.count) / n));
  const pixels = new Uint8Array(n * queries.width * queries.height * 3);
  for (const [i, q] of picks.entries()) pixels.set((await queries.read(q, 1)).pixels, i * queries.width * queries.height * 3);
  const sample = arraySource('sample', `sample:${queries.key}`, { count: n, width: queries.width, height: queries.height, pixels });
  const exact = await searchSources(sample, references, descriptor, { k: k + 1 });
  const truth = exact.neighbours.map((list, i) => list.filter((nb) => !(selfSets.includes(nb.set) && nb.index === picks[i])).slice(0, k));
  return {
    recall: recallAtK(
      picks.map((q) => approximate[q] ?? []),
      truth,
      k,
    ),
    sampled: n,
  };
}

/** An image's label in output: its id when the source has ids, else its index. */
export function sourceLabel(source: ImageSource, index: number): string | number {
  return source.ids ? (source.ids[index] ?? index) : index;
}

/**
 * Writes `contact-sheet-<descriptor>.html` (the `pairs` closest pairs side by side) and
 * `pairs-<descriptor>.json` under `out`; answers the sheet's path.
 */
export async function writeSearchSheets(out: string, sources: ArraySearchSources, step: ArraySearchStep, pairsShown: number): Promise<string> {
  const { queries, references } = sources;
  const dir = resolve(out);
  mkdirSync(dir, { recursive: true });
  const name = step.descriptor;
  const safe = name.replace(/[^\w.@-]+/g, '_');
  const pairs = closestPairs(step.neighbours, sources.selfSets, pairsShown);
  const sheet = join(dir, `contact-sheet-${safe}.html`);
  await writeContactSheet(
    sheet,
    `${pairs.length} closest pairs · ${name}`,
    `${queries.name} (${queries.count}) against ${references.map((r) => `${r.name} (${r.count})`).join(', ')}; distance ${name.startsWith('dssim') ? 'DSSIM' : 'squared L2'}`,
    queries,
    references,
    pairs,
  );
  const rows = pairs.map((p) => ({
    query: sourceLabel(queries, p.query),
    set: references[p.set]!.name,
    reference: sourceLabel(references[p.set]!, p.reference),
    distance: p.distance,
  }));
  writeFileSync(
    join(dir, `pairs-${safe}.json`),
    `${JSON.stringify({ descriptor: name, queries: queries.name, references: references.map((r) => r.name), pairs: rows }, null, 1)}\n`,
  );
  return sheet;
}
