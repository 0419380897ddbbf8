/**
 * Duplicate resolution (DESIGN §1.5), a pure function. Nodes are images; edges are pairs a person
 * (or the auto-removal rule) marked duplicate, plus same-source links (the same photo found twice).
 * For every connected component:
 * - touching any original (a reference image, or any image of an external reference set): every
 *   candidate in it is a duplicate;
 * - candidates only: exactly one is kept, the first by (createdAt, id) — the earliest ingested,
 *   ties broken by the lowest id — and the others are duplicates.
 * A candidate that still has an unreviewed pair closer than a threshold is 'pending' (unless
 * already excluded), and so is the keeper of a component any of whose members is pending, since a
 * later decision could still connect it to an original.
 */
import type { GraphNode, Resolution } from './types.ts';

export interface ResolveInput {
  /** Every workspace image (candidates and references), keyed 'workspace:<id>'. */
  images: { id: string; role: 'candidate' | 'reference'; createdAt: string }[];
  /** Duplicate edges between node keys ('workspace:<id>' or '<set>:<index>' for external originals). */
  edges: { a: string; b: string }[];
  /** Candidate ids with an undecided pair closer than a threshold. */
  pending: Set<string>;
}

export function workspaceKey(id: string): string {
  return `workspace:${id}`;
}

/** Resolution of every candidate, in the order of `input.images`. */
export function resolveDuplicates(input: ResolveInput): Resolution[] {
  const nodes = new Map<string, GraphNode>();
  for (const image of input.images) nodes.set(workspaceKey(image.id), { key: workspaceKey(image.id), role: image.role });
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root) as string;
    // Path compression.
    let node = key;
    while (parent.has(node) && parent.get(node) !== root) {
      const next = parent.get(node) as string;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    for (const key of [a, b]) {
      if (!parent.has(key)) parent.set(key, key);
      if (!nodes.has(key)) nodes.set(key, { key, role: 'reference' }); // external originals
    }
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const edge of input.edges) if (edge.a !== edge.b) union(edge.a, edge.b);

  const components = new Map<string, string[]>();
  for (const key of parent.keys()) {
    const root = find(key);
    const members = components.get(root) ?? [];
    members.push(key);
    components.set(root, members);
  }
  const byId = new Map(input.images.map((image) => [workspaceKey(image.id), image]));
  const order = (a: string, b: string) => {
    const ia = byId.get(a);
    const ib = byId.get(b);
    const ca = ia?.createdAt ?? '';
    const cb = ib?.createdAt ?? '';
    return ca < cb ? -1 : ca > cb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  };
  const verdict = new Map<string, Resolution>();
  for (const members of components.values()) {
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const smallest = members[0] as string;
    const originals = members.filter((key) => nodes.get(key)?.role === 'reference');
    const candidates = members.filter((key) => nodes.get(key)?.role === 'candidate');
    if (originals.length > 0) {
      for (const key of candidates) {
        verdict.set(key, { imageId: key.slice('workspace:'.length), status: 'duplicate', reason: `component of ${members.length} touches original ${originals[0]}`, component: smallest });
      }
      continue;
    }
    const sorted = [...candidates].sort(order);
    const keeper = sorted[0] as string;
    const anyPending = sorted.some((key) => input.pending.has(key.slice('workspace:'.length)));
    for (const key of sorted) {
      const id = key.slice('workspace:'.length);
      if (key === keeper) {
        verdict.set(key, {
          imageId: id,
          status: anyPending ? 'pending' : 'clear',
          reason: `kept: earliest of ${members.length} duplicates${anyPending ? '; a member still has unreviewed pairs' : ''}`,
          component: smallest,
        });
      } else {
        verdict.set(key, { imageId: id, status: 'duplicate', reason: `duplicate of kept ${keeper}`, component: smallest });
      }
    }
  }
  const out: Resolution[] = [];
  for (const image of input.images) {
    if (image.role !== 'candidate') continue;
    const key = workspaceKey(image.id);
    const v = verdict.get(key);
    if (v) out.push(v);
    else if (input.pending.has(image.id)) out.push({ imageId: image.id, status: 'pending', reason: 'has unreviewed pairs closer than a threshold', component: null });
    else out.push({ imageId: image.id, status: 'clear', reason: 'no duplicate found', component: null });
  }
  return out;
}
