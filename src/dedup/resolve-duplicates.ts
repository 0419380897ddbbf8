/**
 * Duplicate resolution (DESIGN §1.5), a pure function. Nodes are images; edges are pairs a person
 * (or the auto-removal rule) marked duplicate, plus same-source links (the same photo found twice).
 * For every connected component:
 * - touching any original (a reference image, or any image of an external reference set): every
 *   candidate in it is a duplicate;
 * - candidates only: exactly one is kept, by the ImageNetV2 authors' rule (`chooseKeeper`): a manual
 *   override first; else each class in the component is scored by the highest selection frequency
 *   of its non-blacklisted members, the classes scoring ≥ 0.7 are kept (else ≥ 0.6, else the best),
 *   the one among them with the fewest good candidates (frequency ≥ 0.7) overall is chosen, and its
 *   member with the highest frequency is kept (ties: highest id). Members that are content copies
 *   of another image (`exactDuplicateOf`, never eligible) are not considered — a retest addition.
 * A candidate that still has an unreviewed pair closer than a threshold (or was never searched
 * with every metric) is 'pending' (unless already excluded), and so is the keeper of a component
 * any of whose members is pending, since a later decision could still connect it to an original.
 */
import type { GraphNode, Resolution } from './types.ts';

/** Frequencies of "good" candidates: at or above this one (0.7, as the authors). */
export const GOOD_FREQUENCY = 0.7;

export interface ResolveInput {
  /** Every workspace image (candidates and references), keyed 'workspace:<id>'. */
  images: { id: string; role: 'candidate' | 'reference'; classIdx: number; exactDuplicateOf?: string | null }[];
  /** Duplicate edges between node keys ('workspace:<id>' or '<set>:<index>' for external originals). */
  edges: { a: string; b: string }[];
  /** Candidate ids that are pending: an undecided pair closer than a threshold, or a metric not searched. */
  pending: ReadonlySet<string>;
  /** Why each pending candidate is pending (default: a generic reason). */
  pendingReasons?: ReadonlyMap<string, string>;
  /** Selection frequency of each labelled candidate for its own class (any number of answers); absent: unlabelled. */
  frequencies?: ReadonlyMap<string, number>;
  /** Blacklisted image ids (they score 0 and are not good candidates). */
  blacklist?: ReadonlySet<string>;
  /** Manual keepers (the authors' near_duplicate_resolution_override): at most one per component. */
  overrides?: ReadonlySet<string>;
  /** Class id (wnid or name) per class index: the authors broke ties between classes by comparing wnids. Default: the index. */
  classIds?: ReadonlyMap<number, string>;
}

export function workspaceKey(id: string): string {
  return `workspace:${id}`;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** How a keeper was chosen, for the reason text. */
interface KeeperChoice {
  keeper: string | null;
  why: string;
}

/**
 * The authors' keeper of a candidates-only component (ids, not keys). Pure. Returns null keeper
 * when the component has more than one override (ambiguous: a person must fix the list).
 */
export function chooseKeeper(
  members: readonly string[],
  input: ResolveInput,
  classOf: ReadonlyMap<string, number>,
  goodByClass: ReadonlyMap<number, number>,
): KeeperChoice {
  const overrides = members.filter((id) => input.overrides?.has(id));
  if (overrides.length > 1) return { keeper: null, why: `${overrides.length} overrides in one component (${overrides.join(', ')}): keep one` };
  if (overrides.length === 1) return { keeper: overrides[0] as string, why: 'kept: manual override' };
  const blacklisted = (id: string) => input.blacklist?.has(id) ?? false;
  const score = (id: string) => (blacklisted(id) ? 0 : (input.frequencies?.get(id) ?? 0));
  const classId = (c: number) => input.classIds?.get(c) ?? String(c).padStart(10, '0');
  const byClass = new Map<number, string[]>();
  for (const id of members) {
    const c = classOf.get(id) as number;
    byClass.set(c, [...(byClass.get(c) ?? []), id]);
  }
  const classScore = new Map<number, number>();
  for (const [c, ids] of byClass)
    classScore.set(c, Math.max(0, ...ids.filter((id) => !blacklisted(id) && input.frequencies?.has(id)).map((id) => input.frequencies?.get(id) as number)));
  let chosenClasses = [...classScore].filter(([, s]) => s >= GOOD_FREQUENCY).map(([c]) => c);
  let level = `≥ ${GOOD_FREQUENCY}`;
  if (chosenClasses.length === 0) {
    chosenClasses = [...classScore].filter(([, s]) => s >= GOOD_FREQUENCY - 0.1).map(([c]) => c);
    level = `≥ ${GOOD_FREQUENCY - 0.1}`;
  }
  if (chosenClasses.length === 0) {
    // The best class; ties to the highest class id (the authors' max over (score, wnid)).
    const best = [...classScore].sort(([ca, sa], [cb, sb]) => sb - sa || byString(classId(cb), classId(ca)))[0] as [number, number];
    chosenClasses = [best[0]];
    level = 'best';
  }
  // Fewest good candidates overall; ties to the lowest class id (the authors' min over (count, wnid)).
  const smallest = [...chosenClasses].sort((a, b) => (goodByClass.get(a) ?? 0) - (goodByClass.get(b) ?? 0) || byString(classId(a), classId(b)))[0] as number;
  // Highest frequency; ties to the highest id.
  const keeper = [...(byClass.get(smallest) as string[])].sort((a, b) => score(b) - score(a) || byString(b, a))[0] as string;
  return {
    keeper,
    why: `kept: class ${smallest} (scoring ${level}, ${goodByClass.get(smallest) ?? 0} good candidates overall), highest frequency ${score(keeper)}`,
  };
}

/** Resolution of every candidate, in the order of `input.images`. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one pass over the pairs in the paper's order of rules; splitting it would hide that order
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
  const classOf = new Map(input.images.map((image) => [image.id, image.classIdx]));
  const copyOf = new Map(input.images.filter((image) => image.exactDuplicateOf).map((image) => [image.id, image.exactDuplicateOf as string]));
  // Good candidates per class over the whole pool (the authors counted every candidate of the class, near-duplicates included).
  const goodByClass = new Map<number, number>();
  for (const image of input.images) {
    if (image.role !== 'candidate' || input.blacklist?.has(image.id)) continue;
    const f = input.frequencies?.get(image.id);
    if (f !== undefined && f >= GOOD_FREQUENCY) goodByClass.set(image.classIdx, (goodByClass.get(image.classIdx) ?? 0) + 1);
  }
  const idOf = (key: string) => key.slice('workspace:'.length);
  const verdict = new Map<string, Resolution>();
  for (const members of components.values()) {
    members.sort(byString);
    const smallest = members[0] as string;
    const originals = members.filter((key) => nodes.get(key)?.role === 'reference');
    const candidates = members.filter((key) => nodes.get(key)?.role === 'candidate');
    if (originals.length > 0) {
      for (const key of candidates) {
        verdict.set(key, {
          imageId: idOf(key),
          status: 'duplicate',
          reason: `component of ${members.length} touches original ${originals[0]}`,
          component: smallest,
        });
      }
      continue;
    }
    const ids = candidates.map(idOf);
    const contenders = ids.filter((id) => !copyOf.has(id));
    const { keeper, why } =
      contenders.length > 0 ? chooseKeeper(contenders, input, classOf, goodByClass) : { keeper: null, why: 'every member is a content copy of another image' };
    const anyPending = ids.some((id) => input.pending.has(id));
    for (const id of ids) {
      const key = workspaceKey(id);
      if (keeper === null && copyOf.has(id)) {
        verdict.set(key, { imageId: id, status: 'duplicate', reason: `exact copy of ${copyOf.get(id)}`, component: smallest });
      } else if (keeper === null) {
        verdict.set(key, { imageId: id, status: 'pending', reason: why, component: smallest });
      } else if (id === keeper) {
        verdict.set(key, {
          imageId: id,
          status: anyPending ? 'pending' : 'clear',
          reason: `${why} (of ${members.length} duplicates)${anyPending ? '; a member still has unreviewed pairs' : ''}`,
          component: smallest,
        });
      } else {
        verdict.set(key, {
          imageId: id,
          status: 'duplicate',
          reason: copyOf.has(id) ? `exact copy of ${copyOf.get(id)}` : `duplicate of kept ${keeper}`,
          component: smallest,
        });
      }
    }
  }
  const out: Resolution[] = [];
  for (const image of input.images) {
    if (image.role !== 'candidate') continue;
    const key = workspaceKey(image.id);
    const v = verdict.get(key);
    if (v) out.push(v);
    else if (input.pending.has(image.id))
      out.push({
        imageId: image.id,
        status: 'pending',
        reason: input.pendingReasons?.get(image.id) ?? 'has unreviewed pairs closer than a threshold',
        component: null,
      });
    else out.push({ imageId: image.id, status: 'clear', reason: 'no duplicate found', component: null });
  }
  return out;
}
