import { describe, expect, it } from 'vitest';
import { createTasks } from '../../src/label/index.ts';
import type { Db } from '../../src/store/index.ts';
import { workspaceWithImages } from './fixtures.ts';

interface Item { task_id: string; kind: string; class_idx: number; position: number; image_id: string; role: string; token: string }
const itemsOf = (db: Db) => db.prepare('SELECT ti.task_id, t.kind, t.class_idx, ti.position, ti.image_id, ti.role, ti.token FROM task_items ti JOIN tasks t ON t.id = ti.task_id ORDER BY t.seq, ti.position').all() as Item[];
const byTask = (items: Item[]) => {
  const m = new Map<string, Item[]>();
  for (const it of items) m.set(it.task_id, [...(m.get(it.task_id) ?? []), it]);
  return [...m.values()];
};

describe('createTasks (DESIGN §1.3)', () => {
  // airplane (0): 100 candidates, 30 references; its most similar class is ship (8): 30 references.
  const setup = () => workspaceWithImages({ candidates: { 0: 100 }, references: { 0: 30, 8: 30 } });

  it('builds 42 + 3 + 3 main tasks with controls from the right classes and tops up the last chunk', () => {
    const ws = setup();
    const report = createTasks(ws.db, { seed: 1, now: '2026-01-01T00:00:00Z' });
    const tasks = byTask(itemsOf(ws.db)).filter((t) => t[0]!.class_idx === 0);
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
    // every candidate is in a main task; 100 = 42 + 42 + 16 new, topped up with 26 re-drawn ones
    expect(new Set(main.flatMap((t) => t.filter((i) => i.role === 'candidate').map((i) => i.image_id))).size).toBe(100);
    expect(report.classes[0]).toMatchObject({ candidates: 100, mainTasks: 3, toppedUp: 26, negativeClassIdx: 8 });
    // controls are shuffled in, not appended
    expect(main.some((t) => t.slice(42).some((i) => i.role === 'candidate'))).toBe(true);
    // tokens are opaque and unique
    const tokens = itemsOf(ws.db).map((i) => i.token);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.every((t) => /^[A-Za-z0-9_-]{22}$/.test(t))).toBe(true);
  });

  it('adds 16/16/16 reference tasks until 20 reference images have 10 planned answers', () => {
    const ws = setup();
    const report = createTasks(ws.db, { seed: 1 });
    // 3 main tasks plan 9 positive slots (≤ 9 images with 10 answers) → one reference task adds 16.
    expect(report.classes[0]).toMatchObject({ referenceTasks: 1 });
    expect(report.classes[0]!.referenceImagesCovered).toBeGreaterThanOrEqual(20);
    const ref = byTask(itemsOf(ws.db)).filter((t) => t[0]!.kind === 'reference' && t[0]!.class_idx === 0);
    expect(ref).toHaveLength(1);
    expect(['candidate', 'positive', 'negative'].map((r) => ref[0]!.filter((i) => i.role === r).length)).toEqual([16, 16, 16]);
    // the reference task takes reference images that were not yet positives first
    const mainPositives = new Set(itemsOf(ws.db).filter((i) => i.kind === 'main' && i.role === 'positive').map((i) => i.image_id));
    expect(ref[0]!.filter((i) => i.role === 'positive' && mainPositives.has(i.image_id))).toHaveLength(0);
  });

  it('is incremental: a second run creates nothing new', () => {
    const ws = setup();
    createTasks(ws.db, { seed: 1 });
    const again = createTasks(ws.db, { seed: 2 });
    expect(again).toMatchObject({ mainTasks: 0, referenceTasks: 0, items: 0 });
  });

  it('composes the same tasks from the same workspace and seed', () => {
    const a = setup(); createTasks(a.db, { seed: 9 });
    const b = setup(); createTasks(b.db, { seed: 9 });
    const c = setup(); createTasks(c.db, { seed: 10 });
    const shape = (db: Db) => byTask(itemsOf(db)).map((t) => t.map((i) => `${i.role}:${i.image_id}`));
    expect(shape(b.db)).toEqual(shape(a.db));
    expect(shape(c.db)).not.toEqual(shape(a.db));
  });

  it('warns about a class with too few candidates and no reference images, and sets N', () => {
    const ws = workspaceWithImages({ candidates: { 3: 10 }, references: {} });
    const report = createTasks(ws.db, { seed: 1, shape: { assignmentsPerTask: 7 } });
    const c3 = report.classes.find((c) => c.classIdx === 3)!;
    expect(c3.mainTasks).toBe(1);
    expect(c3.warnings.join(' ')).toMatch(/no reference images/);
    expect(c3.warnings.join(' ')).toMatch(/only 10 candidates/);
    expect(ws.db.prepare('SELECT DISTINCT assignments_wanted AS n FROM tasks').all()).toEqual([{ n: 7 }]);
  });
});
