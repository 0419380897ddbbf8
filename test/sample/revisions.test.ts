import { describe, expect, it } from 'vitest';
import { workspaceStores } from '../../src/app/workspace-stores.ts';
import {
  addToBlacklist as addEntries,
  createRevision as create,
  eligibility as decide,
  getRevision,
  listBlacklist,
  listRevisions,
  readEligibilityInput,
  type CreateRevisionOptions,
  type EligibilityOptions,
} from '../../src/sample/index.ts';
import type { Workspace } from '../../src/workspace/index.ts';
import { createTasks } from '../../src/label/index.ts';
import { answerAll, workspaceWithImages, on } from '../label/fixtures.ts';

/**
 * Class 0: 30 candidates c0-000…029 with frequency (i % 10 + 1)/10; 40 references all at 0.9.
 * Near-duplicate search is done: every candidate's dedup_status is 'clear'.
 */
async function setup() {
  const ws = await workspaceWithImages({ candidates: { 0: 30 }, references: { 0: 40, 8: 40 } });
  await createTasks(...on(ws), { seed: 1, classes: [0], shape: { referenceImages: 40 } });
  await answerAll(ws, (id, role) => (role === 'candidate' ? (Number(id.slice(3)) % 10) + 1 : role === 'positive' ? 9 : 0));
  await ws.sql.run("INSERT INTO dedup_status (image_id, status, updated_at) SELECT id, 'clear', 'now' FROM images WHERE role = 'candidate'");
  return ws;
}

// The sample stage through the workspace's stores (as the commands use it).
const stores = (ws: Workspace) => workspaceStores(ws);
const eligibility = async (ws: Workspace, options?: EligibilityOptions) => {
  const st = stores(ws);
  return decide(await readEligibilityInput(st.sampling, st.sample), options);
};
const createRevision = (ws: Workspace, options: CreateRevisionOptions) => {
  const st = stores(ws);
  return create({ sample: st.sample, sources: st.sampling }, options);
};
const addToBlacklist = (ws: Workspace, ids: string[], options: { reason: string; by?: string }) => {
  const st = stores(ws);
  return addEntries({ sample: st.sample, missing: (i) => st.catalog.missing(i) }, ids, options);
};

describe('eligibility', () => {
  it('excludes blacklisted, exact duplicates, near-duplicates, unreviewed and under-answered candidates with reasons', async () => {
    const ws = await setup();
    await ws.sql.run("UPDATE images SET exact_duplicate_of = 'c0-000' WHERE id = 'c0-001'");
    await ws.sql.run("UPDATE dedup_status SET status = 'duplicate' WHERE image_id = 'c0-002'");
    await ws.sql.run("UPDATE dedup_status SET status = 'pending' WHERE image_id = 'c0-003'");
    await addToBlacklist(ws, ['c0-005'], { reason: 'a drawing', by: 'test' });
    // Ingested after the near-duplicate search: never searched.
    await ws.sql.run(
      "INSERT INTO images (id, role, class_idx, source, source_id, sha256, original_path, display_path, square_path, width, height, created_at) VALUES ('c0-new', 'candidate', 0, 't', 'n', 'x', 'o', 'd', 's', 1, 1, 'now')",
    );
    const e = await eligibility(ws);
    expect(e.counts).toEqual({ blacklisted: 1, exact_duplicate: 1, near_duplicate: 1, unreviewed: 2, few_answers: 0 });
    expect(e.excluded.find((x) => x.imageId === 'c0-new')).toMatchObject({ reason: 'unreviewed', detail: 'never searched for near-duplicates' });
    expect(e.excluded.find((x) => x.imageId === 'c0-003')).toMatchObject({ reason: 'unreviewed', detail: 'near-duplicate review or search pending' });
    // Without the near-duplicate requirement, the unsearched candidate is only short of answers.
    expect((await eligibility(ws, { requireDedup: false })).counts).toEqual({
      blacklisted: 1,
      exact_duplicate: 1,
      near_duplicate: 1,
      unreviewed: 1,
      few_answers: 1,
    });
    expect(e.excluded.find((x) => x.imageId === 'c0-005')).toMatchObject({ reason: 'blacklisted', detail: 'a drawing' });
    expect(e.eligible.map((c) => c.imageId)).not.toContain('c0-003');
    // c0-009: every worker selects it; it may appear in several tasks (top-up, reference tasks), 10 answers each
    const c9 = e.eligible.find((c) => c.imageId === 'c0-009')!;
    expect(c9.frequency).toBe(1);
    expect(c9.answers % 10).toBe(0);
    expect(e.eligible.find((c) => c.imageId === 'c0-010')!.frequency).toBe(0.1);
    // No near-duplicate search at all: nobody is eligible.
    await ws.sql.run('DELETE FROM dedup_status');
    expect((await eligibility(ws)).eligible).toEqual([]);
    expect((await eligibility(ws)).counts.unreviewed).toBe(29); // 31 candidates − 1 blacklisted − 1 exact copy
    expect(await listBlacklist(stores(ws).sample)).toMatchObject([{ imageId: 'c0-005', reason: 'a drawing', by: 'test' }]);
    await expect(addToBlacklist(ws, ['nope'], { reason: 'x' })).rejects.toThrow(/no such image/);
  });
});

describe('revisions', () => {
  it('store function, parameters, seed, parent, validity and time; same seed gives the same images', async () => {
    const ws = await setup();
    const a = await createRevision(ws, { strategy: { function: 'threshold', params: { tau: 0.7 } }, perClass: 5, seed: 3, now: '2026-02-01T00:00:00Z' });
    expect(a.revision).toMatchObject({ id: 1, function: 'threshold', seed: 3, parentId: null, valid: false, createdAt: '2026-02-01T00:00:00.000Z' });
    expect(a.revision.parameters).toMatchObject({ perClass: 5, tau: 0.7, minAnswers: 10 });
    expect(a.revision.shortClasses).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]); // only class 0 has candidates
    const class0 = a.revision.images.filter((i) => i.classIdx === 0);
    expect(class0).toHaveLength(5);
    expect(class0.every((i) => i.frequency >= 0.7)).toBe(true);
    const b = await createRevision(ws, { strategy: { function: 'threshold', params: { tau: 0.7 } }, perClass: 5, seed: 3 });
    expect(b.revision.images.map((i) => i.imageId)).toEqual(a.revision.images.map((i) => i.imageId));
    expect((await listRevisions(stores(ws).sample)).map((r) => r.id)).toEqual([2, 1]);
  });

  it("a child revision keeps the parent's still-eligible images and re-samples only the gaps", async () => {
    const ws = await setup();
    const parent = await createRevision(ws, { strategy: { function: 'threshold', params: { tau: 0.7 } }, perClass: 5, seed: 1 });
    const kept = parent.revision.images.map((i) => i.imageId);
    await addToBlacklist(ws, [kept[0]!], { reason: 'wrong class' });
    const child = await createRevision(ws, { strategy: { function: 'threshold', params: { tau: 0.7 } }, perClass: 5, seed: 99, parent: parent.revision.id });
    const childIds = child.revision.images.map((i) => i.imageId);
    expect(child.revision.parentId).toBe(parent.revision.id);
    expect(childIds).toHaveLength(5);
    expect(childIds).not.toContain(kept[0]);
    for (const id of kept.slice(1)) expect(childIds).toContain(id);
    expect(
      child.revision.images
        .filter((i) => i.carriedOver)
        .map((i) => i.imageId)
        .sort(),
    ).toEqual(kept.slice(1).sort());
    expect(child.outcome.classes[0]!.dropped).toEqual([kept[0]]);
  });

  it('matches the reference histogram from positive-control answers', async () => {
    const ws = await setup();
    const r = await createRevision(ws, { strategy: { function: 'matched-frequency' }, perClass: 4, seed: 1 });
    // every reference image of class 0 has frequency 0.9 → all 4 slots in bin [.8,1]
    expect(r.outcome.classes[0]!.binTargets).toEqual([0, 0, 0, 0, 4]);
    expect(r.revision.images.filter((i) => i.classIdx === 0).every((i) => i.frequency >= 0.8)).toBe(true);
    expect((await getRevision(stores(ws).sample, 'latest')).id).toBe(r.revision.id);
  });
});
