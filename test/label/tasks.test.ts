import { describe, expect, it } from 'vitest';
import { createTasks } from '../../src/label/index.ts';
import type { SqlDatabase } from '../../src/store/index.ts';
import { workspaceWithImages, on } from './fixtures.ts';

type Item = {
  task_id: string;
  kind: string;
  class_idx: number;
  position: number;
  image_id: string;
  role: string;
  token: string;
};
const itemsOf = (sql: SqlDatabase) =>
  sql.all<Item>(
    'SELECT ti.task_id, t.kind, t.class_idx, ti.position, ti.image_id, ti.role, ti.token FROM task_items ti JOIN tasks t ON t.id = ti.task_id ORDER BY t.seq, ti.position',
  );
const byTask = (items: Item[]) => {
  const m = new Map<string, Item[]>();
  for (const it of items) m.set(it.task_id, [...(m.get(it.task_id) ?? []), it]);
  return [...m.values()];
};

describe('createTasks (DESIGN §1.3)', () => {
  // airplane (0): 100 candidates, 30 references; its most similar class is ship (8): 30 references.
  const setup = () => workspaceWithImages({ candidates: { 0: 100 }, references: { 0: 30, 8: 30 } });

  it('builds 42 + 3 + 3 main tasks with controls from the right classes and tops up the last chunk', async () => {
    const ws = await setup();
    const report = await createTasks(...on(ws), { seed: 1, now: '2026-01-01T00:00:00Z' });
    const tasks = byTask(await itemsOf(ws.sql)).filter((t) => t[0]!.class_idx === 0);
    const main = tasks.filter((t) => t[0]!.kind === 'main');
    expect(main).toHaveLength(3);
    for (const t of main) {
      expect(t).toHaveLength(48);
      expect(t.filter((i) => i.role === 'candidate')).toHaveLength(42);
      expect(t.filter((i) => i.role === 'positive').every((i) => i.image_id.startsWith('r0-'))).toBe(true);
      expect(t.filter((i) => i.role === 'positive')).toHaveLength(3);
      expect(t.filter((i) => i.role === 'negative').every((i) => i.image_id.startsWith('r8-'))).toBe(true);
      expect(t.filter((i) => i.role === 'negative')).toHaveLength(3);
      expect(new Set(t.map((i) => i.image_id)).size).toBe(48);
      expect(t.map((i) => i.position)).toEqual([...Array(48).keys()]);
    }
    // every candidate is in a main task; 100 = 42 + 42 + 16 new, topped up with 26 re-drawn from the first two chunks
    expect(new Set(main.flatMap((t) => t.filter((i) => i.role === 'candidate').map((i) => i.image_id))).size).toBe(100);
    expect(report.classes[0]).toMatchObject({ candidates: 100, mainTasks: 3, toppedUp: 26, extraControls: 0, negativeClassIdx: 8 });
    const firstTwo = new Set(main.slice(0, 2).flatMap((t) => t.filter((i) => i.role === 'candidate').map((i) => i.image_id)));
    const last = main[2]!.filter((i) => i.role === 'candidate').map((i) => i.image_id);
    expect(last.filter((id) => firstTwo.has(id))).toHaveLength(26);
    // controls are shuffled in, not appended
    expect(main.some((t) => t.slice(42).some((i) => i.role === 'candidate'))).toBe(true);
    // tokens are opaque and unique
    const tokens = (await itemsOf(ws.sql)).map((i) => i.token);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.every((t) => /^[A-Za-z0-9_-]{22}$/.test(t))).toBe(true);
  });

  it('adds 16/16/16 reference tasks until 20 reference images have 10 planned answers', async () => {
    const ws = await setup();
    const report = await createTasks(...on(ws), { seed: 1 });
    // 3 main tasks plan 9 positive slots (≤ 9 images with 10 answers) → one reference task adds 16.
    expect(report.classes[0]).toMatchObject({ referenceTasks: 1 });
    expect(report.classes[0]!.referenceImagesCovered).toBeGreaterThanOrEqual(20);
    const ref = byTask(await itemsOf(ws.sql)).filter((t) => t[0]!.kind === 'reference' && t[0]!.class_idx === 0);
    expect(ref).toHaveLength(1);
    expect(['candidate', 'positive', 'negative'].map((r) => ref[0]!.filter((i) => i.role === r).length)).toEqual([16, 16, 16]);
    expect(ref[0]!.filter((i) => i.role === 'negative').every((i) => i.image_id.startsWith('r8-'))).toBe(true);
    // the reference task takes reference images that were not yet positives first
    const mainPositives = new Set((await itemsOf(ws.sql)).filter((i) => i.kind === 'main' && i.role === 'positive').map((i) => i.image_id));
    expect(ref[0]!.filter((i) => i.role === 'positive' && mainPositives.has(i.image_id))).toHaveLength(0);
  });

  it('is incremental: a second run creates nothing new', async () => {
    const ws = await setup();
    await createTasks(...on(ws), { seed: 1 });
    const again = await createTasks(...on(ws), { seed: 2 });
    expect(again).toMatchObject({ mainTasks: 0, referenceTasks: 0, items: 0 });
  });

  it('composes the same tasks from the same workspace and seed', async () => {
    const a = await setup();
    await createTasks(...on(a), { seed: 9 });
    const b = await setup();
    await createTasks(...on(b), { seed: 9 });
    const c = await setup();
    await createTasks(...on(c), { seed: 10 });
    const shape = async (sql: SqlDatabase) => byTask(await itemsOf(sql)).map((t) => t.map((i) => `${i.role}:${i.image_id}`));
    expect(await shape(b.sql)).toEqual(await shape(a.sql));
    expect(await shape(c.sql)).not.toEqual(await shape(a.sql));
  });

  it('warns about a class with too few candidates and no reference images, and sets N', async () => {
    const ws = await workspaceWithImages({ candidates: { 3: 10 }, references: {} });
    const report = await createTasks(...on(ws), { seed: 1, shape: { assignmentsPerTask: 7 } });
    const c3 = report.classes.find((c) => c.classIdx === 3)!;
    expect(c3.mainTasks).toBe(1);
    expect(c3.warnings.join(' ')).toMatch(/no reference images/);
    expect(c3.warnings.join(' ')).toMatch(/only 10 new candidates in the class: one task padded to 48 with 32 extra controls/);
    expect(await ws.sql.all('SELECT DISTINCT assignments_wanted AS n FROM tasks')).toEqual([{ n: 7 }]);
  });

  const roles = (t: Item[]) => ['candidate', 'positive', 'negative'].map((r) => t.filter((i) => i.role === r).length);

  it('a class with fewer than 42 new candidates gets one task padded to 48 with extra controls, half positive rounded up', async () => {
    // 1 candidate → 1 / 24 / 23; 10 → 10 / 19 / 19; 41 → 41 / 4 / 3.
    for (const [n, expected] of [
      [1, [1, 24, 23]],
      [10, [10, 19, 19]],
      [41, [41, 4, 3]],
    ] as const) {
      const ws = await workspaceWithImages({ candidates: { 0: n }, references: { 0: 30, 8: 30 } });
      const report = await createTasks(...on(ws), { seed: 3, classes: [0], shape: { referenceImages: 0 } });
      const main = byTask(await itemsOf(ws.sql)).filter((t) => t[0]!.kind === 'main');
      expect(main).toHaveLength(1);
      expect(roles(main[0]!)).toEqual(expected);
      expect(main[0]!.filter((i) => i.role === 'positive').every((i) => i.image_id.startsWith('r0-'))).toBe(true);
      expect(main[0]!.filter((i) => i.role === 'negative').every((i) => i.image_id.startsWith('r8-'))).toBe(true);
      expect(new Set(main[0]!.map((i) => i.image_id)).size).toBe(48);
      expect(report.classes[0]).toMatchObject({ toppedUp: 0, extraControls: 42 - n });
    }
  });

  it('never tops a task up with candidates labelled before: only new candidates of earlier chunks', async () => {
    const ws = await workspaceWithImages({ candidates: { 0: 84 }, references: { 0: 30, 8: 30 } });
    await createTasks(...on(ws), { seed: 1, classes: [0], shape: { referenceImages: 0 } });
    const labelled = new Set((await itemsOf(ws.sql)).filter((i) => i.role === 'candidate').map((i) => i.image_id));
    expect(labelled.size).toBe(84);
    // 43 new candidates arrive: one full chunk, and a last chunk of 1 topped up with 41 of the first 42 new ones.
    await ws.sql.run(
      "INSERT INTO images (id, role, class_idx, source, source_id, sha256, original_path, display_path, square_path, width, height, created_at) SELECT 'n0-' || substr(id, 4), role, class_idx, source, 'new-' || source_id, sha256, original_path, display_path, square_path, width, height, created_at FROM images WHERE role = 'candidate' AND id < 'c0-043'",
    );
    const report = await createTasks(...on(ws), { seed: 2, classes: [0], shape: { referenceImages: 0 } });
    expect(report.classes[0]).toMatchObject({ candidates: 43, mainTasks: 2, toppedUp: 41, extraControls: 0 });
    const fresh = byTask(await itemsOf(ws.sql)).filter((t) => t[0]!.kind === 'main' && t.some((i) => i.image_id.startsWith('n0-')));
    expect(fresh).toHaveLength(2);
    for (const t of fresh) {
      expect(roles(t)).toEqual([42, 3, 3]);
      expect(t.filter((i) => i.role === 'candidate' && labelled.has(i.image_id))).toEqual([]);
    }
  });

  it('reference tasks: 16 candidates + 16 positives, negatives fill to 48 — a class with 5 candidates gets 5/16/27', async () => {
    const ws = await workspaceWithImages({ candidates: { 0: 5 }, references: { 0: 40, 8: 40 } });
    await createTasks(...on(ws), { seed: 4, classes: [0], shape: { referenceImages: 40 } });
    const ref = byTask(await itemsOf(ws.sql)).filter((t) => t[0]!.kind === 'reference');
    expect(ref.length).toBeGreaterThanOrEqual(1);
    for (const t of ref) expect(roles(t)).toEqual([5, 16, 27]);
    const main = byTask(await itemsOf(ws.sql)).filter((t) => t[0]!.kind === 'main');
    expect(main.map(roles)).toEqual([[5, 22, 21]]);
  });

  it('a class whose similar list is broken is an error naming the class, not tasks without negative controls', async () => {
    const ws = await setup();
    await ws.sql.run("UPDATE classes SET similar = '[8]' WHERE idx = 0");
    await expect(createTasks(...on(ws), { seed: 1 })).rejects.toMatchObject({
      kind: 'data',
      record: 'class 0 (airplane)',
      field: 'similar',
      message: expect.stringMatching(/not a list of class ids/),
    });
    await ws.sql.run("UPDATE classes SET similar = 'ship' WHERE idx = 0");
    await expect(createTasks(...on(ws), { seed: 1 })).rejects.toMatchObject({ kind: 'data', record: 'class 0 (airplane)', field: 'similar' });
    expect(await ws.sql.get('SELECT COUNT(*) AS n FROM tasks')).toEqual({ n: 0 });
  });
});
