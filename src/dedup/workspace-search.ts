/**
 * Search inside a workspace (DESIGN §1.5): every candidate against the candidate pool itself, the
 * workspace's original (reference) images and any external reference sets; the top-k neighbours
 * per metric are stored for review, images of external originals closer than the threshold are
 * saved for the review page, optional automatic decisions are recorded (CIFAR-10.1's rule:
 * Euclidean pixel L2 ≤ 1000 at 32²), and `dedup_status` is updated.
 *
 * DSSIM is too expensive against everything, so, as the ImageNetV2 authors did, it searches each
 * candidate against a restricted set: the training images of its class and of its 5 most similar
 * classes (`trainReferences`, which need labels), every other original (the workspace's reference
 * images and the `references` sets: validation and test images), and the candidate pool minus
 * blacklisted images and content copies.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { usageError } from '../core/errors.ts';
import { encodePng } from '../formats/index.ts';
import { workspacePath, type Workspace } from '../workspace/index.ts';
import { parseDescriptor } from './descriptor-spec.ts';
import { dssim, ssimWindow } from './ssim.ts';
import { fileSource, type ImageSource } from './image-source.ts';
import { imageAt, resampleBatch } from './resample.ts';
import { recordDecisions, updateDedupStatus } from './review-store.ts';
import { searchSources } from './search.ts';
import { reviewThreshold, REVIEW_TOP } from './thresholds.ts';
import type { DedupContext, DedupImage, ImageBatch, Neighbour, NeighbourRow } from './types.ts';

/** The workspace's images with `role` (of `images`, the catalog's), ordered by id, as a source over their square copies. */
export function workspaceSource(workspace: Workspace, images: readonly DedupImage[], role: 'candidate' | 'reference'): ImageSource {
  const rows = images
    .filter((im) => im.role === role)
    .map((im) => ({ id: im.id, role: im.role, square_path: im.squarePath, class_idx: im.classIdx }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const side = workspace.config.squareSize;
  return fileSource(
    role === 'candidate' ? 'candidates' : 'originals',
    `workspace:${workspace.dir}:${role}`,
    rows.map((r) => workspacePath(workspace, r.square_path)),
    side,
    { ids: rows.map((r) => r.id), roles: rows.map((r) => r.role), paths: rows.map((r) => r.square_path), labels: rows.map((r) => r.class_idx) },
  );
}

export interface WorkspaceSearchOptions {
  /** The near-duplicate store and what it reads from other stages (the composition root's `WorkspaceStores.dedup`). */
  stores: DedupContext;
  /** Descriptor names (`pixels`, `pixels-std`, `features:…`, `dssim`); dssim re-ranks the others' short lists. */
  descriptors: string[];
  /** External reference sets (all originals): validation and test images, searched in full by every metric. */
  references: ImageSource[];
  /**
   * External training sets (originals too; searched in full by the vector metrics). DSSIM searches
   * only their images of the candidate's class and its 5 most similar classes, so they need labels
   * in the workspace's class indices.
   */
  trainReferences?: ImageSource[];
  /** Neighbours stored per candidate and metric (default 100, as the paper). */
  k?: number;
  /** Review threshold per descriptor name; default `defaultThreshold`. */
  thresholds?: Record<string, number>;
  /**
   * Record 'duplicate' automatically (reviewer 'auto:euclidean-l2<=X') for raw-pixel pairs whose
   * Euclidean L2 (the square root of the stored squared distance) is at or below this value
   * (CIFAR-10.1: 1000 on 32² pixels, 0–255).
   */
  autoDuplicateBelow?: number;
  /**
   * How DSSIM is computed: 'search' (default, the authors' search of the class-restricted reference
   * set) or 'short-list' (re-scores only the first 30 neighbours the vector metrics found: fast, but
   * a DSSIM neighbour no vector metric ranks in its top 30 is missed; not the authors' process).
   */
  dssim?: 'search' | 'short-list';
  workers?: number;
  onProgress?: (message: string) => void;
}

export interface WorkspaceSearchSummary {
  candidates: number;
  /** Per metric: its review threshold (null: none, `thresholdNote` says why), pairs under it, time and the dot kernel. */
  metrics: { metric: string; threshold: number | null; thresholdNote: string | null; underThreshold: number; seconds: number; kernel: string | null }[];
  autoDuplicates: number;
  status: Record<'clear' | 'pending' | 'duplicate', number>;
}

export async function searchWorkspace(workspace: Workspace, options: WorkspaceSearchOptions): Promise<WorkspaceSearchSummary> {
  const ctx = options.stores;
  const images = await ctx.sources.images();
  const candidates = workspaceSource(workspace, images, 'candidate');
  const originals = workspaceSource(workspace, images, 'reference');
  const k = options.k ?? 100;
  const trainReferences = options.trainReferences ?? [];
  const references: ImageSource[] = [candidates, ...(originals.count > 0 ? [originals] : []), ...options.references, ...trainReferences];
  const summary: WorkspaceSearchSummary = { candidates: candidates.count, metrics: [], autoDuplicates: 0, status: { clear: 0, pending: 0, duplicate: 0 } };
  const now = new Date().toISOString();
  const vectorSpecs = options.descriptors.filter((d) => d !== 'dssim');
  if (candidates.count === 0) {
    summary.status = (await updateDedupStatus(ctx, now)).counts;
    return summary;
  }
  const scope: SearchScope = { workspace, ctx, images, candidates, originals, references, k, now };
  for (const spec of vectorSpecs) await searchVectorMetric(scope, spec, options, summary);
  if (options.descriptors.includes('dssim')) summary.metrics.push(await searchDssimMetric(scope, options));
  summary.status = (await updateDedupStatus(ctx, now)).counts;
  return summary;
}

/** What every metric of one workspace search shares. */
interface SearchScope {
  workspace: Workspace;
  ctx: DedupContext;
  images: readonly DedupImage[];
  candidates: ImageSource;
  originals: ImageSource;
  /** The candidates, the originals (when any), then the external and training sets. */
  references: ImageSource[];
  k: number;
  now: string;
}

/** One vector metric: search, store the neighbours, record automatic decisions, and add its line to `summary`. */
async function searchVectorMetric(scope: SearchScope, spec: string, options: WorkspaceSearchOptions, summary: WorkspaceSearchSummary): Promise<void> {
  const { ctx, candidates, references, k, now } = scope;
  const minSide = Math.min(...references.map((r) => r.width));
  const mixed = references.some((r) => r.width !== candidates.width);
  const descriptor = parseDescriptor(mixed && /^pixels(-std)?$/.test(spec) ? `${spec}@${minSide}` : spec);
  const side = /^pixels/.test(descriptor.name) ? Number(/@(\d+)$/.exec(descriptor.name)?.[1] ?? candidates.width) : candidates.width;
  const given = options.thresholds?.[spec] ?? options.thresholds?.[descriptor.name];
  const fallback = given === undefined ? reviewThreshold(descriptor.name, side, descriptor.input ? await descriptor.input() : null) : null;
  const threshold = given ?? fallback?.value ?? null;
  options.onProgress?.(`searching ${candidates.count} candidates with ${descriptor.name}`);
  try {
    const result = await searchSources(candidates, references, descriptor, {
      k: Math.min(
        k,
        references.reduce((s, r) => s + r.count, 0),
      ),
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
    });
    const { rows, under } = await neighbourRows(scope, result.neighbours, threshold);
    await ctx.store.replaceNeighbours(descriptor.name, threshold, rows, now);
    await ctx.store.recordSearched(descriptor.name, candidates.ids as string[], now);
    if (options.autoDuplicateBelow !== undefined && /^pixels(@\d+)?$/.test(descriptor.name)) {
      summary.autoDuplicates += await autoDecide(ctx, rows, options.autoDuplicateBelow, now);
    }
    summary.metrics.push({
      metric: descriptor.name,
      threshold,
      thresholdNote: fallback?.note ?? null,
      underThreshold: under,
      seconds: result.describeSeconds + result.searchSeconds,
      kernel: result.kernel?.name ?? null,
    });
  } finally {
    await descriptor.close();
  }
}

/**
 * The search's neighbours as stored rows (workspace images by id, external ones by set and index,
 * saved as PNG when under the threshold among the first REVIEW_TOP), and how many are under it.
 */
async function neighbourRows(
  { workspace, candidates, originals, references }: SearchScope,
  neighbours: Neighbour[][],
  threshold: number | null,
): Promise<{ rows: NeighbourRow[]; under: number }> {
  const rows: NeighbourRow[] = [];
  let under = 0;
  for (const [q, list] of neighbours.entries()) {
    for (const [rank, n] of list.entries()) {
      const ref = references[n.set] as ImageSource;
      const close = threshold !== null && n.distance <= threshold && rank < REVIEW_TOP;
      if (close) under++;
      const external = n.set >= (originals.count > 0 ? 2 : 1);
      rows.push({
        candidateId: (candidates.ids as string[])[q] as string,
        rank,
        neighbourSet: external ? ref.name : 'workspace',
        neighbourId: external ? String(n.index) : ((ref.ids as string[])[n.index] as string),
        neighbourRole: external ? 'reference' : ((ref.roles as ('candidate' | 'reference')[])[n.index] as 'candidate' | 'reference'),
        neighbourPath: external ? (close ? await saveExternal(workspace, ref, n.index) : null) : ((ref.paths as string[])[n.index] as string),
        distance: n.distance,
      });
    }
  }
  return { rows, under };
}

/** The DSSIM metric, by the authors' class-restricted search or by re-scoring the short lists; returns its summary line. */
async function searchDssimMetric(scope: SearchScope, options: WorkspaceSearchOptions): Promise<WorkspaceSearchSummary['metrics'][number]> {
  const { workspace, ctx, images, candidates, originals, references, k, now } = scope;
  const started = performance.now();
  const threshold = options.thresholds?.dssim ?? reviewThreshold('dssim', candidates.width).value;
  const externals = [
    ...options.references.map((source) => ({ source, train: false })),
    ...(options.trainReferences ?? []).map((source) => ({ source, train: true })),
  ];
  const shortList = options.dssim === 'short-list';
  options.onProgress?.(
    shortList
      ? `re-scoring the short lists of ${candidates.count} candidates with dssim`
      : `searching ${candidates.count} candidates with dssim (class-restricted references)`,
  );
  const under = shortList
    ? await dssimShortList(ctx, candidates, references, originals.count > 0 ? 2 : 1, threshold, now)
    : await dssimSearch(workspace, ctx, images, candidates, originals, externals, k, threshold, now);
  return {
    metric: 'dssim',
    threshold,
    thresholdNote: shortList ? "short list: only the first 30 neighbours of the vector metrics were re-scored (not the authors' search)" : null,
    underThreshold: under,
    seconds: (performance.now() - started) / 1000,
    kernel: null,
  };
}

/** Writes an external original as PNG under blobs/dedup/<set>/<index>.png; returns its workspace path. */
async function saveExternal(workspace: Workspace, source: ImageSource, index: number): Promise<string> {
  const file = join(workspace.blobDir, 'dedup', source.name.replace(/[^\w.-]+/g, '_'), `${index}.png`);
  const batch = await source.read(index, 1);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await encodePng({ data: batch.pixels, width: batch.width, height: batch.height }));
  return relative(workspace.dir, file);
}

/** CIFAR-10.1's automatic removal: Euclidean L2 (√ of the stored squared distance) ≤ `below`. */
async function autoDecide(ctx: DedupContext, rows: NeighbourRow[], below: number, now: string): Promise<number> {
  const decisions = rows
    .filter((r) => Math.sqrt(r.distance) <= below)
    .map((r) => ({
      candidateId: r.candidateId,
      neighbourSet: r.neighbourSet,
      neighbourId: r.neighbourId,
      decision: 'duplicate' as const,
      reviewer: `auto:euclidean-l2<=${below}`,
      now,
    }));
  await recordDecisions(ctx.store, decisions);
  return decisions.length;
}

/** The class itself and its `count` most similar classes (the workspace's `classes.similar`, most similar first). */
export function relatedClasses(workspace: Workspace, count = 5): Map<number, Set<number>> {
  const classes = workspace.classes;
  const byId = new Map(classes.map((c) => [c.id, c.index]));
  const out = new Map<number, Set<number>>();
  for (const c of classes) {
    const related = new Set([c.index]);
    for (const id of c.similar) {
      const idx = byId.get(String(id));
      if (idx === undefined || related.has(idx)) continue;
      if (related.size > count) break;
      related.add(idx);
    }
    out.set(c.index, related);
  }
  return out;
}

/**
 * DSSIM search (35-px window at 256², proportionally smaller below): each candidate's `k` nearest
 * by DSSIM among the authors' reference set for its class (see the file comment). Stored as metric
 * 'dssim'; returns the number of pairs at or below the threshold among the first 30.
 */
async function dssimSearch(
  workspace: Workspace,
  ctx: DedupContext,
  images: readonly DedupImage[],
  candidates: ImageSource,
  originals: ImageSource,
  externals: { source: ImageSource; train: boolean }[],
  k: number,
  threshold: number | null,
  now: string,
): Promise<number> {
  checkTrainLabels(externals);
  const related = relatedClasses(workspace);
  const blacklist = await ctx.sources.blacklist();
  const copies = new Set(images.filter((im) => im.exactDuplicateOf !== null).map((im) => im.id));
  const ids = candidates.ids as string[];
  const labels = candidates.labels as number[];
  const pool = ids.map((_, i) => i).filter((i) => !blacklist.has(ids[i] as string) && !copies.has(ids[i] as string));
  const scope: DssimScope = { candidates, originals, externals, pool, load: cachedSquareLoader(candidates.width), window: ssimWindow(candidates.width) };
  const out: NeighbourRow[] = [];
  let under = 0;
  for (const [q, candidateId] of ids.entries()) {
    const classes = related.get(labels[q]!) ?? new Set([labels[q]!]);
    const scored = await scoreDssim(scope, q, candidateId, classes);
    for (const [rank, s] of scored.slice(0, k).entries()) {
      const close = threshold !== null && s.distance <= threshold && rank < REVIEW_TOP;
      if (close) under++;
      const { order, ...row } = s;
      if (close && order >= 2)
        row.neighbourPath = await saveExternal(workspace, (externals[order - 2] as { source: ImageSource }).source, Number(row.neighbourId));
      out.push({ ...row, rank });
    }
  }
  await ctx.store.replaceNeighbours('dssim', threshold, out, now);
  await ctx.store.recordSearched('dssim', ids, now);
  return under;
}

/** DSSIM restricts training sets to the candidate's related classes, so they need labels. */
function checkTrainLabels(externals: { source: ImageSource; train: boolean }[]): void {
  for (const { source, train } of externals) {
    if (train && !source.labels) {
      throw usageError('a training reference set needs labels: DSSIM searches only its images of the class and its 5 most similar classes', {
        field: '--train-references',
        received: source.name,
        hint: 'give a labelled set (CIFAR .bin, a named dataset, class folders), or pass it as --references to search all of it',
      });
    }
  }
}

/** Reads one image at `side`², resampled when needed; each (tag, index) is read once. */
function cachedSquareLoader(side: number): (source: ImageSource, index: number, tag: string) => Promise<ImageBatch> {
  const cache = new Map<string, ImageBatch>();
  return async (source, index, tag) => {
    const key = `${tag}:${index}`;
    let image = cache.get(key);
    if (!image) {
      const b = await source.read(index, 1);
      image = b.width === side && b.height === side ? b : resampleBatch(b, side, side);
      cache.set(key, image);
    }
    return image;
  };
}

/** What scoring one candidate by DSSIM reads. */
interface DssimScope {
  candidates: ImageSource;
  originals: ImageSource;
  externals: { source: ImageSource; train: boolean }[];
  /** Candidate indices searched as references (not blacklisted, not content copies). */
  pool: number[];
  load: (source: ImageSource, index: number, tag: string) => Promise<ImageBatch>;
  window: number;
}

/**
 * Candidate `q` scored by DSSIM against its reference set, closest first; `order` (0 pool,
 * 1 originals, 2 + e external set e) breaks ties, then the neighbour's id or index.
 */
async function scoreDssim(
  { candidates, originals, externals, pool, load, window }: DssimScope,
  q: number,
  candidateId: string,
  classes: Set<number>,
): Promise<(NeighbourRow & { order: number })[]> {
  const ids = candidates.ids as string[];
  const query = imageAt(await load(candidates, q, 'c'), 0);
  const scored: (NeighbourRow & { order: number })[] = [];
  const add = async (source: ImageSource, tag: string, index: number, order: number, row: Omit<NeighbourRow, 'candidateId' | 'rank' | 'distance'>) => {
    const other = imageAt(await load(source, index, tag), 0);
    scored.push({ candidateId, rank: 0, distance: dssim(query, 0, other, 0, window), order, ...row });
  };
  for (const i of pool) {
    if (i === q) continue;
    await add(candidates, 'c', i, 0, {
      neighbourSet: 'workspace',
      neighbourId: ids[i] as string,
      neighbourRole: 'candidate',
      neighbourPath: (candidates.paths as string[])[i] as string,
    });
  }
  for (let i = 0; i < originals.count; i++) {
    await add(originals, 'o', i, 1, {
      neighbourSet: 'workspace',
      neighbourId: (originals.ids as string[])[i] as string,
      neighbourRole: 'reference',
      neighbourPath: (originals.paths as string[])[i] as string,
    });
  }
  for (const [e, { source, train }] of externals.entries()) {
    for (let i = 0; i < source.count; i++) {
      if (train && !classes.has((source.labels as number[])[i] as number)) continue;
      await add(source, `e${e}`, i, 2 + e, { neighbourSet: source.name, neighbourId: String(i), neighbourRole: 'reference', neighbourPath: null });
    }
  }
  scored.sort(
    (a, b) =>
      a.distance - b.distance ||
      a.order - b.order ||
      (a.order >= 2 ? Number(a.neighbourId) - Number(b.neighbourId) : a.neighbourId < b.neighbourId ? -1 : a.neighbourId > b.neighbourId ? 1 : 0),
  );
  return scored;
}

/**
 * The cheaper alternative (`dssim: 'short-list'`, not the authors' search): every neighbour any
 * vector metric stored within the first 30 is scored with DSSIM (35-px window at 256²,
 * proportionally smaller below) and stored as metric 'dssim'.
 */
async function dssimShortList(
  ctx: DedupContext,
  candidates: ImageSource,
  references: ImageSource[],
  externalFrom: number,
  threshold: number | null,
  now: string,
): Promise<number> {
  const rows = await ctx.store.shortLists(REVIEW_TOP);
  if (rows.length === 0)
    throw usageError('dssim re-ranks the short lists of another descriptor: search with pixels, pixels-std or features first', { field: '--descriptor' });
  const candidateIndex = new Map((candidates.ids as string[]).map((id, i) => [id, i]));
  const workspaceIndex = new Map<string, { source: ImageSource; index: number }>();
  for (const ref of references.slice(0, externalFrom)) (ref.ids as string[]).forEach((id, i) => workspaceIndex.set(id, { source: ref, index: i }));
  const external = new Map(references.slice(externalFrom).map((r) => [r.name, r]));
  const side = candidates.width;
  const window = ssimWindow(side);
  const load = async (source: ImageSource, index: number): Promise<ImageBatch> => {
    const b = await source.read(index, 1);
    return b.width === side && b.height === side ? b : resampleBatch(b, side, side);
  };
  const byCandidate = new Map<string, typeof rows>();
  for (const r of rows) byCandidate.set(r.candidateId, [...(byCandidate.get(r.candidateId) ?? []), r]);
  const out: NeighbourRow[] = [];
  let under = 0;
  for (const [candidateId, list] of byCandidate) {
    const ci = candidateIndex.get(candidateId);
    if (ci === undefined) continue;
    const query = await load(candidates, ci);
    const scored: NeighbourRow[] = [];
    for (const r of list) {
      const where =
        r.neighbourSet === 'workspace'
          ? workspaceIndex.get(r.neighbourId)
          : external.has(r.neighbourSet)
            ? { source: external.get(r.neighbourSet) as ImageSource, index: Number(r.neighbourId) }
            : undefined;
      if (!where) continue;
      const other = await load(where.source, where.index);
      scored.push({
        candidateId,
        rank: 0,
        neighbourSet: r.neighbourSet,
        neighbourId: r.neighbourId,
        neighbourRole: r.neighbourRole,
        neighbourPath: r.neighbourPath,
        distance: dssim(imageAt(query, 0), 0, imageAt(other, 0), 0, window),
      });
    }
    scored.sort((a, b) => a.distance - b.distance);
    scored.forEach((s, rank) => {
      s.rank = rank;
      if (threshold !== null && s.distance <= threshold) under++;
      out.push(s);
    });
  }
  await ctx.store.replaceNeighbours('dssim', threshold, out, now);
  await ctx.store.recordSearched('dssim', candidates.ids as string[], now);
  return under;
}
