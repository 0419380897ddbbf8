/**
 * Search inside a workspace (DESIGN §1.5): every candidate against the candidate pool itself, the
 * workspace's original (reference) images and any external reference sets; the top-k neighbours
 * per metric are stored for review, images of external originals closer than the threshold are
 * saved for the review page, optional automatic decisions are recorded (CIFAR-10.1's rule: pixel
 * L2 ≤ 1000 at 32²), and `dedup_status` is updated.
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
import { recordDecision, storeNeighbours, updateDedupStatus, type NeighbourRow } from './review-store.ts';
import { searchSources } from './search.ts';
import { defaultThreshold, REVIEW_TOP } from './thresholds.ts';
import type { ImageBatch } from './types.ts';

/** The workspace's images with `role`, as a source over their square copies. */
export function workspaceSource(workspace: Workspace, role: 'candidate' | 'reference'): ImageSource {
  const rows = workspace.db.prepare('SELECT id, role, square_path FROM images WHERE role = ? ORDER BY id').all(role) as { id: string; role: 'candidate' | 'reference'; square_path: string }[];
  const side = workspace.config.squareSize;
  return fileSource(
    role === 'candidate' ? 'candidates' : 'originals',
    `workspace:${workspace.dir}:${role}`,
    rows.map((r) => workspacePath(workspace, r.square_path)),
    side,
    { ids: rows.map((r) => r.id), roles: rows.map((r) => r.role), paths: rows.map((r) => r.square_path) },
  );
}

export interface WorkspaceSearchOptions {
  /** Descriptor names (`pixels`, `pixels-std`, `features:…`, `dssim`); dssim re-ranks the others' short lists. */
  descriptors: string[];
  /** External reference sets (all originals). */
  references: ImageSource[];
  /** Neighbours stored per candidate and metric (default 100, as the paper). */
  k?: number;
  /** Review threshold per descriptor name; default `defaultThreshold`. */
  thresholds?: Record<string, number>;
  /** Record 'duplicate' automatically (reviewer 'auto') for pixel pairs at or below this squared L2. */
  autoDuplicateBelow?: number;
  workers?: number;
  onProgress?: (message: string) => void;
}

export interface WorkspaceSearchSummary {
  candidates: number;
  metrics: { metric: string; threshold: number | null; underThreshold: number; seconds: number; kernel: string | null }[];
  autoDuplicates: number;
  status: Record<'clear' | 'pending' | 'duplicate', number>;
}

export async function searchWorkspace(workspace: Workspace, options: WorkspaceSearchOptions): Promise<WorkspaceSearchSummary> {
  const candidates = workspaceSource(workspace, 'candidate');
  const originals = workspaceSource(workspace, 'reference');
  const k = options.k ?? 100;
  const references: ImageSource[] = [candidates, ...(originals.count > 0 ? [originals] : []), ...options.references];
  const minSide = Math.min(...references.map((r) => r.width));
  const summary: WorkspaceSearchSummary = { candidates: candidates.count, metrics: [], autoDuplicates: 0, status: { clear: 0, pending: 0, duplicate: 0 } };
  const now = new Date().toISOString();
  const vectorSpecs = options.descriptors.filter((d) => d !== 'dssim');
  if (candidates.count === 0) {
    summary.status = updateDedupStatus(workspace.db, now).counts;
    return summary;
  }
  for (const spec of vectorSpecs) {
    const mixed = references.some((r) => r.width !== candidates.width);
    const descriptor = parseDescriptor(mixed && /^pixels(-std)?$/.test(spec) ? `${spec}@${minSide}` : spec);
    const side = /^pixels/.test(descriptor.name) ? Number(/@(\d+)$/.exec(descriptor.name)?.[1] ?? candidates.width) : candidates.width;
    const threshold = options.thresholds?.[spec] ?? options.thresholds?.[descriptor.name] ?? defaultThreshold(descriptor.name, side);
    options.onProgress?.(`searching ${candidates.count} candidates with ${descriptor.name}`);
    try {
      const result = await searchSources(candidates, references, descriptor, { k: Math.min(k, references.reduce((s, r) => s + r.count, 0)), ...(options.workers !== undefined ? { workers: options.workers } : {}) });
      const rows: NeighbourRow[] = [];
      let under = 0;
      for (const [q, list] of result.neighbours.entries()) {
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
      storeNeighbours(workspace.db, descriptor.name, threshold, rows, now);
      if (options.autoDuplicateBelow !== undefined && /^pixels(@\d+)?$/.test(descriptor.name)) {
        summary.autoDuplicates += autoDecide(workspace, rows, options.autoDuplicateBelow, now);
      }
      summary.metrics.push({ metric: descriptor.name, threshold, underThreshold: under, seconds: result.describeSeconds + result.searchSeconds, kernel: result.kernel?.name ?? null });
    } finally {
      await descriptor.close();
    }
  }
  if (options.descriptors.includes('dssim')) {
    const started = performance.now();
    const threshold = options.thresholds?.dssim ?? defaultThreshold('dssim', candidates.width);
    const under = await dssimRerank(workspace, candidates, references, originals.count > 0 ? 2 : 1, threshold, now);
    summary.metrics.push({ metric: 'dssim', threshold, underThreshold: under, seconds: (performance.now() - started) / 1000, kernel: null });
  }
  summary.status = updateDedupStatus(workspace.db, now).counts;
  return summary;
}

/** Writes an external original as PNG under blobs/dedup/<set>/<index>.png; returns its workspace path. */
async function saveExternal(workspace: Workspace, source: ImageSource, index: number): Promise<string> {
  const file = join(workspace.blobDir, 'dedup', source.name.replace(/[^\w.-]+/g, '_'), `${index}.png`);
  const batch = await source.read(index, 1);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await encodePng({ data: batch.pixels, width: batch.width, height: batch.height }));
  return relative(workspace.dir, file);
}

function autoDecide(workspace: Workspace, rows: NeighbourRow[], below: number, now: string): number {
  let n = 0;
  workspace.db.transaction(() => {
    for (const r of rows) {
      if (r.distance > below) continue;
      recordDecision(workspace.db, { candidateId: r.candidateId, neighbourSet: r.neighbourSet, neighbourId: r.neighbourId, decision: 'duplicate', reviewer: `auto:l2<=${below}`, now });
      n++;
    }
  })();
  return n;
}

/**
 * DSSIM on the short list: every neighbour any vector metric stored within the first 30 is scored
 * with DSSIM (35-px window at 256², proportionally smaller below) and stored as metric 'dssim'.
 */
async function dssimRerank(workspace: Workspace, candidates: ImageSource, references: ImageSource[], externalFrom: number, threshold: number | null, now: string): Promise<number> {
  const rows = workspace.db
    .prepare(`SELECT DISTINCT candidate_id, neighbour_set, neighbour_id, neighbour_role, neighbour_path FROM dedup_neighbours WHERE metric != 'dssim' AND rank < ? ORDER BY candidate_id`)
    .all(REVIEW_TOP) as { candidate_id: string; neighbour_set: string; neighbour_id: string; neighbour_role: 'candidate' | 'reference'; neighbour_path: string | null }[];
  if (rows.length === 0) throw usageError('dssim re-ranks the short lists of another descriptor: search with pixels, pixels-std or features first', { field: '--descriptor' });
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
  for (const r of rows) byCandidate.set(r.candidate_id, [...(byCandidate.get(r.candidate_id) ?? []), r]);
  const out: NeighbourRow[] = [];
  let under = 0;
  for (const [candidateId, list] of byCandidate) {
    const ci = candidateIndex.get(candidateId);
    if (ci === undefined) continue;
    const query = await load(candidates, ci);
    const scored: NeighbourRow[] = [];
    for (const r of list) {
      const where = r.neighbour_set === 'workspace' ? workspaceIndex.get(r.neighbour_id) : external.has(r.neighbour_set) ? { source: external.get(r.neighbour_set) as ImageSource, index: Number(r.neighbour_id) } : undefined;
      if (!where) continue;
      const other = await load(where.source, where.index);
      scored.push({ candidateId, rank: 0, neighbourSet: r.neighbour_set, neighbourId: r.neighbour_id, neighbourRole: r.neighbour_role, neighbourPath: r.neighbour_path, distance: dssim(imageAt(query, 0), 0, imageAt(other, 0), 0, window) });
    }
    scored.sort((a, b) => a.distance - b.distance);
    scored.forEach((s, rank) => {
      s.rank = rank;
      if (threshold !== null && s.distance <= threshold) under++;
      out.push(s);
    });
  }
  storeNeighbours(workspace.db, 'dssim', threshold, out, now);
  return under;
}
