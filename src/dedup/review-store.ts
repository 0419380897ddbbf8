/**
 * The near-duplicate stage's reads and writes in a workspace database: neighbours found by search,
 * the review queue, human decisions (append-only, with reviewer and time) and `dedup_status`.
 *
 * A pair between two workspace images is the same pair whichever of the two was the query, so its
 * decision is stored under the ordered pair (lower id first); pairs with an external original are
 * stored as (candidate, set, index).
 */
import type { Db } from '../store/index.ts';
import { usageError } from '../core/errors.ts';
import { resolveDuplicates, workspaceKey } from './resolve-duplicates.ts';
import { REVIEW_TOP } from './thresholds.ts';
import type { ReviewPair, Resolution } from './types.ts';

/** One neighbour row as search writes it. */
export interface NeighbourRow {
  candidateId: string;
  rank: number;
  neighbourSet: string;
  neighbourId: string;
  neighbourRole: 'candidate' | 'reference';
  neighbourPath: string | null;
  distance: number;
}

/** Replaces `metric`'s neighbours of every candidate in `rows` (one transaction). */
export function storeNeighbours(db: Db, metric: string, threshold: number | null, rows: NeighbourRow[], now = new Date().toISOString()): void {
  const clear = db.prepare('DELETE FROM dedup_neighbours WHERE candidate_id = ? AND metric = ?');
  const insert = db.prepare(
    `INSERT INTO dedup_neighbours (candidate_id, metric, rank, neighbour_set, neighbour_id, neighbour_role, neighbour_path, distance, threshold, searched_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const id of new Set(rows.map((r) => r.candidateId))) clear.run(id, metric);
    for (const r of rows) insert.run(r.candidateId, metric, r.rank, r.neighbourSet, r.neighbourId, r.neighbourRole, r.neighbourPath, r.distance, threshold, now);
  })();
}

/** The stored order of a pair: workspace pairs with the lower id first. */
export function canonicalPair(candidateId: string, neighbourSet: string, neighbourId: string): { candidateId: string; neighbourSet: string; neighbourId: string } {
  if (neighbourSet === 'workspace' && neighbourId < candidateId) return { candidateId: neighbourId, neighbourSet, neighbourId: candidateId };
  return { candidateId, neighbourSet, neighbourId };
}

/** Records a decision (the latest one per pair is in force). */
export function recordDecision(
  db: Db,
  input: { candidateId: string; neighbourSet: string; neighbourId: string; decision: 'duplicate' | 'not_duplicate'; reviewer: string; now?: string },
): void {
  if (input.decision !== 'duplicate' && input.decision !== 'not_duplicate') {
    throw usageError('decision must be "duplicate" or "not_duplicate"', { field: 'decision', received: JSON.stringify(input.decision) });
  }
  if (!input.reviewer) throw usageError('a decision needs a reviewer name', { field: 'reviewer' });
  const pair = canonicalPair(input.candidateId, input.neighbourSet, input.neighbourId);
  db.prepare('INSERT INTO dedup_decisions (candidate_id, neighbour_set, neighbour_id, decision, reviewer, decided_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    pair.candidateId,
    pair.neighbourSet,
    pair.neighbourId,
    input.decision,
    input.reviewer,
    input.now ?? new Date().toISOString(),
  );
}

interface DecisionRow {
  candidate_id: string;
  neighbour_set: string;
  neighbour_id: string;
  decision: 'duplicate' | 'not_duplicate';
  reviewer: string;
  decided_at: string;
}

/** The decision in force per pair, keyed `candidate|set|id` (canonical order). */
export function currentDecisions(db: Db): Map<string, DecisionRow> {
  const rows = db
    .prepare(
      `SELECT d.candidate_id, d.neighbour_set, d.neighbour_id, d.decision, d.reviewer, d.decided_at FROM dedup_decisions d
       JOIN (SELECT MAX(id) AS id FROM dedup_decisions GROUP BY candidate_id, neighbour_set, neighbour_id) latest ON latest.id = d.id`,
    )
    .all() as DecisionRow[];
  return new Map(rows.map((r) => [`${r.candidate_id}|${r.neighbour_set}|${r.neighbour_id}`, r]));
}

function pairKey(candidateId: string, neighbourSet: string, neighbourId: string): string {
  const p = canonicalPair(candidateId, neighbourSet, neighbourId);
  return `${p.candidateId}|${p.neighbourSet}|${p.neighbourId}`;
}

/**
 * Every pair closer than its metric's threshold among a candidate's first `top` neighbours, merged
 * over metrics and over the two directions of a workspace pair; undecided pairs first, then by
 * candidate id and rank.
 */
export function reviewPairs(db: Db, options: { top?: number; undecidedOnly?: boolean } = {}): ReviewPair[] {
  const top = options.top ?? REVIEW_TOP;
  const rows = db
    .prepare(
      `SELECT n.candidate_id, n.metric, n.rank, n.neighbour_set, n.neighbour_id, n.neighbour_role, n.neighbour_path, n.distance, n.threshold,
              ci.square_path AS candidate_path, ni.square_path AS workspace_neighbour_path
       FROM dedup_neighbours n
       LEFT JOIN images ci ON ci.id = n.candidate_id
       LEFT JOIN images ni ON n.neighbour_set = 'workspace' AND ni.id = n.neighbour_id
       WHERE n.rank < ? AND n.threshold IS NOT NULL AND n.distance <= n.threshold
       ORDER BY n.candidate_id, n.rank`,
    )
    .all(top) as {
    candidate_id: string;
    metric: string;
    rank: number;
    neighbour_set: string;
    neighbour_id: string;
    neighbour_role: 'candidate' | 'reference';
    neighbour_path: string | null;
    distance: number;
    threshold: number;
    candidate_path: string | null;
    workspace_neighbour_path: string | null;
  }[];
  const decisions = currentDecisions(db);
  const pairs = new Map<string, ReviewPair>();
  for (const r of rows) {
    const key = pairKey(r.candidate_id, r.neighbour_set, r.neighbour_id);
    let pair = pairs.get(key);
    if (!pair) {
      const decision = decisions.get(key);
      pair = {
        candidateId: r.candidate_id,
        neighbourSet: r.neighbour_set,
        neighbourId: r.neighbour_id,
        neighbourRole: r.neighbour_role,
        candidatePath: r.candidate_path,
        neighbourPath: r.workspace_neighbour_path ?? r.neighbour_path,
        metrics: [],
        decision: decision?.decision ?? null,
        reviewer: decision?.reviewer ?? null,
        decidedAt: decision?.decided_at ?? null,
      };
      pairs.set(key, pair);
    }
    if (pair.neighbourPath === null) pair.neighbourPath = r.workspace_neighbour_path ?? r.neighbour_path;
    if (!pair.metrics.some((m) => m.metric === r.metric)) pair.metrics.push({ metric: r.metric, distance: r.distance, rank: r.rank, threshold: r.threshold });
  }
  let out = [...pairs.values()];
  if (options.undecidedOnly) out = out.filter((p) => p.decision === null);
  const minRank = (p: ReviewPair) => Math.min(...p.metrics.map((m) => m.rank));
  return out.sort((a, b) => Number(a.decision !== null) - Number(b.decision !== null) || (a.candidateId < b.candidateId ? -1 : a.candidateId > b.candidateId ? 1 : minRank(a) - minRank(b)));
}

/** Candidates with at least one undecided pair closer than a threshold (in either direction). */
export function pendingCandidates(db: Db, top = REVIEW_TOP): Set<string> {
  const pending = new Set<string>();
  const roles = new Map((db.prepare('SELECT id, role FROM images').all() as { id: string; role: string }[]).map((r) => [r.id, r.role]));
  for (const pair of reviewPairs(db, { top, undecidedOnly: true })) {
    pending.add(pair.candidateId);
    if (pair.neighbourSet === 'workspace' && roles.get(pair.neighbourId) === 'candidate') pending.add(pair.neighbourId);
  }
  return pending;
}

/** Duplicate edges: decisions in force that say duplicate, plus same-source links between images. */
export function duplicateEdges(db: Db): { a: string; b: string }[] {
  const edges: { a: string; b: string }[] = [];
  for (const d of currentDecisions(db).values()) {
    if (d.decision !== 'duplicate') continue;
    edges.push({ a: workspaceKey(d.candidate_id), b: d.neighbour_set === 'workspace' ? workspaceKey(d.neighbour_id) : `${d.neighbour_set}:${d.neighbour_id}` });
  }
  const links = db.prepare('SELECT id, exact_duplicate_of FROM images WHERE exact_duplicate_of IS NOT NULL').all() as { id: string; exact_duplicate_of: string }[];
  for (const l of links) edges.push({ a: workspaceKey(l.id), b: workspaceKey(l.exact_duplicate_of) });
  const sameSource = db
    .prepare(
      `SELECT a.id AS a, b.id AS b FROM images a JOIN images b ON a.source = b.source AND a.source_id = b.source_id AND a.id < b.id`,
    )
    .all() as { a: string; b: string }[];
  for (const l of sameSource) edges.push({ a: workspaceKey(l.a), b: workspaceKey(l.b) });
  return edges;
}

/** Resolves the duplicate graph and writes `dedup_status` for every candidate (one transaction). */
export function updateDedupStatus(db: Db, now = new Date().toISOString()): { resolutions: Resolution[]; counts: Record<'clear' | 'pending' | 'duplicate', number> } {
  const images = (db.prepare('SELECT id, role, created_at FROM images ORDER BY id').all() as { id: string; role: 'candidate' | 'reference'; created_at: string | null }[]).map((r) => ({
    id: r.id,
    role: r.role,
    createdAt: r.created_at ?? '',
  }));
  const resolutions = resolveDuplicates({ images, edges: duplicateEdges(db), pending: pendingCandidates(db) });
  const upsert = db.prepare(
    `INSERT INTO dedup_status (image_id, status, reason, component, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(image_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, component = excluded.component, updated_at = excluded.updated_at`,
  );
  const counts = { clear: 0, pending: 0, duplicate: 0 };
  db.transaction(() => {
    for (const r of resolutions) {
      upsert.run(r.imageId, r.status, r.reason, r.component, now);
      counts[r.status]++;
    }
  })();
  return { resolutions, counts };
}
