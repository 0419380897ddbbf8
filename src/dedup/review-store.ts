/**
 * Near-duplicate review and resolution over the stage's store (`DedupStore`) and what it reads from
 * other stages (`DedupSources`): the review queue, decisions (append-only, with reviewer and time),
 * keepers, and the status every candidate gets.
 *
 * A pair between two workspace images is the same pair whichever of the two was the query, so its
 * decision is stored under the ordered pair (lower id first); pairs with an external original are
 * stored as (candidate, set, index).
 */
import { usageError } from '../core/index.ts';
import { resolveDuplicates, workspaceKey } from './resolve-duplicates.ts';
import { REVIEW_TOP } from './thresholds.ts';
import type { DecisionRecord, DedupContext, DedupStore, KeeperEntry, ReviewPair, Resolution } from './types.ts';

/** The stored order of a pair: workspace pairs with the lower id first. */
export function canonicalPair(
  candidateId: string,
  neighbourSet: string,
  neighbourId: string,
): { candidateId: string; neighbourSet: string; neighbourId: string } {
  if (neighbourSet === 'workspace' && neighbourId < candidateId) return { candidateId: neighbourId, neighbourSet, neighbourId: candidateId };
  return { candidateId, neighbourSet, neighbourId };
}

type DecisionInput = {
  candidateId: string;
  neighbourSet: string;
  neighbourId: string;
  decision: 'duplicate' | 'not_duplicate';
  reviewer: string;
  now?: string;
};

/** Checks a decision and puts its pair in stored order. */
function decisionRecord(input: DecisionInput): DecisionRecord {
  if (input.decision !== 'duplicate' && input.decision !== 'not_duplicate') {
    throw usageError('decision must be "duplicate" or "not_duplicate"', { field: 'decision', received: JSON.stringify(input.decision) });
  }
  if (!input.reviewer) throw usageError('a decision needs a reviewer name', { field: 'reviewer' });
  return {
    ...canonicalPair(input.candidateId, input.neighbourSet, input.neighbourId),
    decision: input.decision,
    reviewer: input.reviewer,
    decidedAt: input.now ?? new Date().toISOString(),
  };
}

/** Records decisions in one transaction (the latest one per pair is in force). */
export async function recordDecisions(store: DedupStore, inputs: readonly DecisionInput[]): Promise<void> {
  await store.addDecisions(inputs.map(decisionRecord));
}

/** Records one decision. */
export function recordDecision(store: DedupStore, input: DecisionInput): Promise<void> {
  return recordDecisions(store, [input]);
}

function key(p: { candidateId: string; neighbourSet: string; neighbourId: string }): string {
  const c = canonicalPair(p.candidateId, p.neighbourSet, p.neighbourId);
  return `${c.candidateId}|${c.neighbourSet}|${c.neighbourId}`;
}

/** The decision in force per pair, keyed `candidate|set|id` (stored order). */
export async function currentDecisions(store: DedupStore): Promise<Map<string, DecisionRecord>> {
  return new Map((await store.decisionsInForce()).map((d) => [key(d), d]));
}

/**
 * Every pair closer than its metric's threshold among a candidate's first `top` neighbours, merged
 * over metrics and over the two directions of a workspace pair; undecided pairs first, then by
 * candidate id and rank.
 */
export async function reviewPairs(ctx: DedupContext, options: { top?: number; undecidedOnly?: boolean } = {}): Promise<ReviewPair[]> {
  const [rows, decisions, images] = await Promise.all([
    ctx.store.closeNeighbours(options.top ?? REVIEW_TOP),
    currentDecisions(ctx.store),
    ctx.sources.images(),
  ]);
  const square = new Map(images.map((im) => [im.id, im.squarePath]));
  const pairs = new Map<string, ReviewPair>();
  for (const r of rows) {
    const k = key(r);
    const workspaceNeighbourPath = r.neighbourSet === 'workspace' ? (square.get(r.neighbourId) ?? null) : null;
    let pair = pairs.get(k);
    if (!pair) {
      const decision = decisions.get(k);
      pair = {
        candidateId: r.candidateId,
        neighbourSet: r.neighbourSet,
        neighbourId: r.neighbourId,
        neighbourRole: r.neighbourRole,
        candidatePath: square.get(r.candidateId) ?? null,
        neighbourPath: workspaceNeighbourPath ?? r.neighbourPath,
        metrics: [],
        decision: decision?.decision ?? null,
        reviewer: decision?.reviewer ?? null,
        decidedAt: decision?.decidedAt ?? null,
      };
      pairs.set(k, pair);
    }
    if (pair.neighbourPath === null) pair.neighbourPath = workspaceNeighbourPath ?? r.neighbourPath;
    if (!pair.metrics.some((m) => m.metric === r.metric)) pair.metrics.push({ metric: r.metric, distance: r.distance, rank: r.rank, threshold: r.threshold });
  }
  let out = [...pairs.values()];
  if (options.undecidedOnly) out = out.filter((p) => p.decision === null);
  const minRank = (p: ReviewPair) => Math.min(...p.metrics.map((m) => m.rank));
  return out.sort(
    (a, b) =>
      Number(a.decision !== null) - Number(b.decision !== null) ||
      (a.candidateId < b.candidateId ? -1 : a.candidateId > b.candidateId ? 1 : minRank(a) - minRank(b)),
  );
}

/** Candidates with at least one undecided pair closer than a threshold (in either direction). */
export async function pendingCandidates(ctx: DedupContext, top = REVIEW_TOP): Promise<Set<string>> {
  const pending = new Set<string>();
  const roles = new Map((await ctx.sources.images()).map((r) => [r.id, r.role]));
  for (const pair of await reviewPairs(ctx, { top, undecidedOnly: true })) {
    pending.add(pair.candidateId);
    if (pair.neighbourSet === 'workspace' && roles.get(pair.neighbourId) === 'candidate') pending.add(pair.neighbourId);
  }
  return pending;
}

/** Duplicate edges: decisions in force that say duplicate, plus exact-duplicate and same-source links between images. */
export async function duplicateEdges(ctx: DedupContext): Promise<{ a: string; b: string }[]> {
  const edges: { a: string; b: string }[] = [];
  for (const d of (await currentDecisions(ctx.store)).values()) {
    if (d.decision !== 'duplicate') continue;
    edges.push({ a: workspaceKey(d.candidateId), b: d.neighbourSet === 'workspace' ? workspaceKey(d.neighbourId) : `${d.neighbourSet}:${d.neighbourId}` });
  }
  const images = await ctx.sources.images();
  for (const im of images) if (im.exactDuplicateOf !== null) edges.push({ a: workspaceKey(im.id), b: workspaceKey(im.exactDuplicateOf) });
  const bySource = new Map<string, string[]>();
  for (const im of images) {
    const k = `${im.source}\u0000${im.sourceId}`;
    bySource.set(k, [...(bySource.get(k) ?? []), im.id]);
  }
  for (const ids of bySource.values()) {
    const sorted = [...ids].sort();
    for (let i = 0; i < sorted.length; i++)
      for (let j = i + 1; j < sorted.length; j++) edges.push({ a: workspaceKey(sorted[i]!), b: workspaceKey(sorted[j]!) });
  }
  return edges;
}

/**
 * Candidates that some metric searched in this workspace has not searched, with the reason: the
 * authors counted a candidate without results for every metric as unreviewed, never as clear.
 * With no search at all, every candidate is unsearched.
 */
export async function unsearchedCandidates(ctx: DedupContext): Promise<Map<string, string>> {
  const rows = await ctx.store.searches();
  const metrics = [...new Set(rows.map((r) => r.metric))].sort();
  const searched = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = searched.get(r.candidateId);
    if (!set) searched.set(r.candidateId, (set = new Set()));
    set.add(r.metric);
  }
  const out = new Map<string, string>();
  const candidates = (await ctx.sources.images())
    .filter((im) => im.role === 'candidate')
    .map((im) => im.id)
    .sort();
  for (const id of candidates) {
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
export function listKeepers(ctx: DedupContext): Promise<KeeperEntry[]> {
  return ctx.store.keepers();
}

/** Adds manual keepers; unknown ids and non-candidates are refused before anything is written. Returns the number written. */
export async function addKeepers(ctx: DedupContext, imageIds: readonly string[], options: { reason: string; by?: string; now?: string }): Promise<number> {
  const roles = new Map((await ctx.sources.images()).map((im) => [im.id, im.role]));
  for (const id of imageIds) {
    const role = roles.get(id);
    if (role === undefined) throw usageError('no such image in this workspace', { field: 'image id', received: JSON.stringify(id) });
    if (role !== 'candidate') throw usageError('only candidates can be kept', { field: 'image id', received: `${id} (role ${role})` });
  }
  const at = options.now ?? new Date().toISOString();
  return ctx.store.addKeepers(imageIds.map((imageId) => ({ imageId, reason: options.reason, by: options.by ?? 'cli', at })));
}

/** Removes manual keepers; returns how many existed. */
export function removeKeepers(ctx: DedupContext, imageIds: readonly string[]): Promise<number> {
  return ctx.store.removeKeepers(imageIds);
}

/** Resolves the duplicate graph and writes the status of every image (one transaction). */
export async function updateDedupStatus(
  ctx: DedupContext,
  now = new Date().toISOString(),
): Promise<{ resolutions: Resolution[]; counts: Record<'clear' | 'pending' | 'duplicate', number> }> {
  const images = [...(await ctx.sources.images())]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({ id: r.id, role: r.role, classIdx: r.classIdx, exactDuplicateOf: r.exactDuplicateOf }));
  const pendingReasons = await unsearchedCandidates(ctx);
  for (const id of await pendingCandidates(ctx)) if (!pendingReasons.has(id)) pendingReasons.set(id, 'has unreviewed pairs closer than a threshold');
  const [edges, frequencies, blacklist, keepers, classIds] = await Promise.all([
    duplicateEdges(ctx),
    ctx.sources.ownClassFrequencies(),
    ctx.sources.blacklist(),
    ctx.store.keepers(),
    ctx.sources.classIds(),
  ]);
  const resolutions = resolveDuplicates({
    images,
    edges,
    pending: new Set(pendingReasons.keys()),
    pendingReasons,
    frequencies,
    blacklist,
    overrides: new Set(keepers.map((k) => k.imageId)),
    classIds,
  });
  await ctx.store.writeStatus(
    resolutions.map((r) => ({ imageId: r.imageId, status: r.status, reason: r.reason, component: r.component })),
    now,
  );
  const counts = { clear: 0, pending: 0, duplicate: 0 };
  for (const r of resolutions) counts[r.status]++;
  return { resolutions, counts };
}
