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
import { selectionFrequencies } from '../label/index.ts';
import { resolveDuplicates, workspaceKey, type ResolveInput } from './resolve-duplicates.ts';
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

/** Records that `metric` has searched these candidates (whether or not it found neighbours). */
export function recordSearched(db: Db, metric: string, candidateIds: readonly string[], now = new Date().toISOString()): void {
  const upsert = db.prepare('INSERT INTO dedup_searches (candidate_id, metric, searched_at) VALUES (?, ?, ?) ON CONFLICT (candidate_id, metric) DO UPDATE SET searched_at = excluded.searched_at');
  db.transaction(() => {
    for (const id of candidateIds) upsert.run(id, metric, now);
  })();
}

/**
 * Candidates that some metric searched in this workspace has not searched, with the reason: the
 * authors counted a candidate without results for every metric as unreviewed, never as clear.
 * With no search at all, every candidate is unsearched.
 */
export function unsearchedCandidates(db: Db): Map<string, string> {
  const metrics = (db.prepare('SELECT DISTINCT metric FROM dedup_searches ORDER BY metric').all() as { metric: string }[]).map((r) => r.metric);
  const searched = new Map<string, Set<string>>();
  for (const r of db.prepare('SELECT candidate_id, metric FROM dedup_searches').all() as { candidate_id: string; metric: string }[]) {
    let set = searched.get(r.candidate_id);
    if (!set) searched.set(r.candidate_id, (set = new Set()));
    set.add(r.metric);
  }
  const out = new Map<string, string>();
  for (const { id } of db.prepare("SELECT id FROM images WHERE role = 'candidate' ORDER BY id").all() as { id: string }[]) {
    if (metrics.length === 0) {
      out.set(id, 'not searched for near-duplicates yet (run `retest dedup search`)');
      continue;
    }
    const missing = metrics.filter((m) => !searched.get(id)?.has(m));
    if (missing.length > 0) out.set(id, `not searched with ${missing.join(', ')} (every metric searched in this workspace must have results)`);
  }
  return out;
}

/** Manual keepers (`retest dedup keep`). */
export function listKeepers(db: Db): { imageId: string; reason: string; by: string; at: string }[] {
  return db.prepare('SELECT image_id AS imageId, reason, by, at FROM dedup_keepers ORDER BY image_id').all() as { imageId: string; reason: string; by: string; at: string }[];
}

/** Adds manual keepers; unknown ids and non-candidates are refused. Returns the number written. */
export function addKeepers(db: Db, imageIds: readonly string[], options: { reason: string; by?: string; now?: string }): number {
  const role = db.prepare('SELECT role FROM images WHERE id = ?');
  const upsert = db.prepare('INSERT INTO dedup_keepers (image_id, reason, by, at) VALUES (?, ?, ?, ?) ON CONFLICT (image_id) DO UPDATE SET reason = excluded.reason, by = excluded.by, at = excluded.at');
  const at = options.now ?? new Date().toISOString();
  return db.transaction(() => {
    for (const id of imageIds) {
      const row = role.get(id) as { role: string } | undefined;
      if (!row) throw usageError('no such image in this workspace', { field: 'image id', received: JSON.stringify(id) });
      if (row.role !== 'candidate') throw usageError('only candidates can be kept', { field: 'image id', received: `${id} (role ${row.role})` });
      upsert.run(id, options.reason, options.by ?? 'cli', at);
    }
    return imageIds.length;
  })();
}

/** Removes manual keepers; returns how many existed. */
export function removeKeepers(db: Db, imageIds: readonly string[]): number {
  const del = db.prepare('DELETE FROM dedup_keepers WHERE image_id = ?');
  return db.transaction(() => imageIds.reduce((n, id) => n + del.run(id).changes, 0))();
}

/** What the keeper rule reads besides the graph: classes, frequencies, blacklist, overrides. */
function keeperInputs(db: Db): Pick<ResolveInput, 'frequencies' | 'blacklist' | 'overrides' | 'classIds'> {
  const classIds = new Map((db.prepare('SELECT idx, id FROM classes').all() as { idx: number; id: string }[]).map((r) => [r.idx, r.id]));
  const own = new Map((db.prepare("SELECT id, class_idx FROM images WHERE role = 'candidate'").all() as { id: string; class_idx: number }[]).map((r) => [r.id, r.class_idx]));
  const frequencies = new Map<string, number>();
  for (const f of selectionFrequencies(db, { minAnswers: 0 })) {
    if (f.role === 'candidate' && f.answers > 0 && own.get(f.imageId) === f.classIdx) frequencies.set(f.imageId, f.frequency);
  }
  const hasBlacklist = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blacklist'").get() !== undefined;
  const blacklist = new Set(hasBlacklist ? (db.prepare('SELECT image_id FROM blacklist').all() as { image_id: string }[]).map((r) => r.image_id) : []);
  const overrides = new Set(listKeepers(db).map((k) => k.imageId));
  return { frequencies, blacklist, overrides, classIds };
}

/** Resolves the duplicate graph and writes `dedup_status` for every candidate (one transaction). */
export function updateDedupStatus(db: Db, now = new Date().toISOString()): { resolutions: Resolution[]; counts: Record<'clear' | 'pending' | 'duplicate', number> } {
  const images = (db.prepare('SELECT id, role, class_idx, exact_duplicate_of FROM images ORDER BY id').all() as { id: string; role: 'candidate' | 'reference'; class_idx: number; exact_duplicate_of: string | null }[]).map((r) => ({
    id: r.id,
    role: r.role,
    classIdx: r.class_idx,
    exactDuplicateOf: r.exact_duplicate_of,
  }));
  const pendingReasons = unsearchedCandidates(db);
  for (const id of pendingCandidates(db)) if (!pendingReasons.has(id)) pendingReasons.set(id, 'has unreviewed pairs closer than a threshold');
  const resolutions = resolveDuplicates({ images, edges: duplicateEdges(db), pending: new Set(pendingReasons.keys()), pendingReasons, ...keeperInputs(db) });
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

/** Near-duplicate state of every candidate with a `dedup_status` row (sampling's eligibility reads it; absent: never searched). */
export function nearDuplicateStatus(db: Db): Map<string, 'clear' | 'pending' | 'duplicate'> {
  const rows = db.prepare('SELECT image_id, status FROM dedup_status').all() as { image_id: string; status: 'clear' | 'pending' | 'duplicate' }[];
  return new Map(rows.map((r) => [r.image_id, r.status]));
}
