import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, openSqliteDatabase, sqliteConnection, type Db } from '../../src/store/index.ts';
import {
  claimNextAssignment,
  createLabelStore,
  labelMigrations,
  recordAssignments,
  setAssignmentStatus,
  setWorkerStatus,
  submitAssignment,
} from '../../src/label/index.ts';
import { LIVE_ASSIGNMENTS_SQL } from '../../src/label/claim.ts';

const T0 = '2026-01-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function addTasks(db: Db, count: number, wanted: number, from = 0): void {
  const task = db.prepare("INSERT INTO tasks (id, seq, class_idx, kind, assignments_wanted, batch, created_at) VALUES (?, ?, ?, 'main', ?, 'b', ?)");
  const item = db.prepare('INSERT INTO task_items (task_id, position, image_id, role, token) VALUES (?, ?, ?, ?, ?)');
  for (let t = from; t < from + count; t++) {
    task.run(`t${t}`, t, t % 2, wanted, T0);
    (['candidate', 'candidate', 'positive', 'negative'] as const).forEach((role, p) => item.run(`t${t}`, p, `img${t}-${p}`, role, `tok-${t}-${p}`));
  }
}

/** Tasks whose stored live count differs from the count recomputed from the assignments. */
function drift(db: Db): { id: string; live_count: number; actual: number }[] {
  return db.prepare(`SELECT t.id, t.live_count, ${LIVE_ASSIGNMENTS_SQL} AS actual FROM tasks t WHERE t.live_count <> ${LIVE_ASSIGNMENTS_SQL}`).all() as {
    id: string;
    live_count: number;
    actual: number;
  }[];
}

/**
 * Runs `fn` with `db.prepare` watched: returns the query plan (EXPLAIN QUERY PLAN, one line per step,
 * tagged with the statement's first words) of every statement it prepares, except plain INSERTs.
 */
function plansOf(db: Db, fn: () => unknown): string[] {
  const original = db.prepare.bind(db);
  const lines: string[] = [];
  (db as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
    if (!/^\s*INSERT/i.test(sql)) {
      const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
      const plan = original(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
      const tag = sql.trim().split(/\s+/).slice(0, 3).join(' ');
      for (const step of plan) lines.push(`${tag}: ${step.detail}`);
    }
    return original(sql);
  };
  try {
    fn();
  } finally {
    (db as unknown as { prepare: unknown }).prepare = original;
  }
  return lines;
}

/** `k` full tasks (N = 2, answered by pairs of workers through the real claim + submit) followed by 5 empty ones. */
function queueWithFullFront(k: number): Db {
  const db = openDatabase(':memory:', labelMigrations);
  addTasks(db, k + 5, 2);
  for (let i = 0; i < 2 * k; i++) {
    const worker = `front${i % 2}-${Math.floor(i / 2) % 7}`;
    const claim = claimNextAssignment(db, { workerHash: worker, now: at(i), ttlSeconds: 600 });
    if (!claim) throw new Error('fixture: no claim');
    submitAssignment(db, { assignmentId: claim.assignmentId, workerHash: worker, selectedTokens: [], now: at(i) });
  }
  return db;
}

describe('claim cost does not depend on how many tasks are full', () => {
  it('reads tasks only from the index of tasks that still need answers, whatever K', async () => {
    const plans: string[][] = [];
    for (const k of [0, 40, 400]) {
      const db = queueWithFullFront(k);
      expect(db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE live_count >= assignments_wanted').get()).toEqual({ n: k });
      // The partial index holds only the 5 tasks that need answers, not the K full ones.
      expect(db.prepare('SELECT COUNT(*) AS n FROM tasks INDEXED BY tasks_needing_answers WHERE live_count < assignments_wanted').get()).toEqual({ n: 5 });
      let claim: ReturnType<typeof claimNextAssignment> = null;
      const plan = plansOf(db, () => {
        claim = claimNextAssignment(db, { workerHash: 'newcomer', now: at(10_000), ttlSeconds: 600 });
      });
      expect(claim!.taskId).toBe(`t${k}`);
      plans.push(plan);
    }
    const plan = plans[0]!;
    // The same statements and plans for K = 0, 40 and 400 …
    expect(plans[1]).toEqual(plan);
    expect(plans[2]).toEqual(plan);
    // … in which the only scan is the claim-order walk of the tasks that still need answers (no sort, no
    // per-task count of assignments), and every other step is an index lookup.
    const scans = plan.filter((line) => /\bSCAN\b/.test(line));
    expect(scans).toEqual(['SELECT t.id, t.seq,: SCAN t USING INDEX tasks_needing_answers']);
    expect(plan.filter((line) => /TEMP B-TREE/.test(line) && /tasks t/.test(line))).toEqual([]);
    expect(plan).toContain('UPDATE assignments SET: SEARCH assignments USING COVERING INDEX assignments_open_expiry (expires_at>? AND expires_at<?)');
    expect(plan.some((line) => /assignments_open_worker \(worker_hash=\?\)/.test(line))).toBe(true);
  });

  it('with an N override (serve --assignments), probes tasks_live_count once per count below N', async () => {
    for (const k of [0, 300]) {
      const db = queueWithFullFront(k);
      let claim: ReturnType<typeof claimNextAssignment> = null;
      const plan = plansOf(db, () => {
        claim = claimNextAssignment(db, { workerHash: 'newcomer', now: at(10_000), ttlSeconds: 600, assignmentsPerTask: 2 });
      });
      expect(claim!.taskId).toBe(`t${k}`);
      expect(plan.filter((line) => /\bSCAN\b/.test(line))).toEqual([]);
      expect(plan).toContain('SELECT t.id, t.seq,: SEARCH t USING INDEX tasks_live_count (live_count=?)');
    }
    // An override above the tasks' own N reopens full tasks, oldest first.
    const db = queueWithFullFront(3);
    expect(claimNextAssignment(db, { workerHash: 'newcomer', now: at(10_000), ttlSeconds: 600, assignmentsPerTask: 3 })!.taskId).toBe('t0');
  });
});

describe('tasks.live_count', () => {
  it('stays equal to the live assignments through claims, submits, expiry, reviews, worker rejection and imports', async () => {
    const sql = openSqliteDatabase(':memory:');
    const db = sqliteConnection(sql);
    migrate(db, labelMigrations);
    const label = createLabelStore(sql);
    addTasks(db, 6, 3);
    const claims = new Map<string, string>();
    for (const w of ['a', 'b', 'c', 'd', 'e']) claims.set(w, claimNextAssignment(db, { workerHash: w, now: T0, ttlSeconds: 60 })!.assignmentId);
    expect(drift(db)).toEqual([]);
    expect(db.prepare("SELECT live_count FROM tasks WHERE id IN ('t0', 't1') ORDER BY seq").all()).toEqual([{ live_count: 3 }, { live_count: 2 }]);
    for (const w of ['a', 'b', 'd']) submitAssignment(db, { assignmentId: claims.get(w)!, workerHash: w, selectedTokens: [], now: at(10) });
    // Submitting twice changes nothing.
    submitAssignment(db, { assignmentId: claims.get('a')!, workerHash: 'a', selectedTokens: [], now: at(11) });
    expect(drift(db)).toEqual([]);
    // c and e let their claims lapse: the next claim expires them and their slots return to the pool.
    const f = claimNextAssignment(db, { workerHash: 'f', now: at(61), ttlSeconds: 60 })!;
    expect(f.taskId).toBe('t0');
    expect(db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE status = 'expired'").get()).toEqual({ n: 2 });
    expect(drift(db)).toEqual([]);
    // c comes back to the same task: its expired row is reopened.
    expect(claimNextAssignment(db, { workerHash: 'c', now: at(62), ttlSeconds: 60 })!.taskId).toBe('t1');
    expect(drift(db)).toEqual([]);
    // Rejecting an assignment frees its slot; approving it again takes the slot back.
    setAssignmentStatus(db, [claims.get('a')!], 'rejected');
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't0'").get()).toEqual({ live_count: 2 });
    setAssignmentStatus(db, [claims.get('a')!], 'approved');
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't0'").get()).toEqual({ live_count: 3 });
    expect(drift(db)).toEqual([]);
    // Rejecting a worker frees every slot they hold (as the claim query always counted it); approval restores them.
    setWorkerStatus(db, 'b', 'rejected', { now: at(70) });
    setWorkerStatus(db, 'b', 'rejected', { reason: 'again', now: at(71) });
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't0'").get()).toEqual({ live_count: 2 });
    expect(drift(db)).toEqual([]);
    expect(claimNextAssignment(db, { workerHash: 'g', now: at(72), ttlSeconds: 60 })!.taskId).toBe('t0');
    setWorkerStatus(db, 'b', 'approved', { now: at(73) });
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't0'").get()).toEqual({ live_count: 4 });
    expect(drift(db)).toEqual([]);
    // Imports, a later status change from the same source, and deleting a task's rows.
    await recordAssignments(
      label,
      [
        { taskId: 't3', workerHash: 'm1', source: 'mturk', externalId: 'A1', status: 'submitted', selectedTokens: [] },
        { taskId: 't3', workerHash: 'm2', source: 'mturk', externalId: 'A2', status: 'rejected', selectedTokens: [] },
      ],
      at(80),
    );
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't3'").get()).toEqual({ live_count: 1 });
    await recordAssignments(label, [{ taskId: 't3', workerHash: 'm1', source: 'mturk', externalId: 'A1', status: 'rejected', selectedTokens: [] }], at(81));
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't3'").get()).toEqual({ live_count: 0 });
    db.prepare("DELETE FROM assignments WHERE task_id = 't1'").run();
    expect(drift(db)).toEqual([]);
    expect(db.prepare("SELECT live_count FROM tasks WHERE id = 't1'").get()).toEqual({ live_count: 0 });
  });

  it('is backfilled by the migration on a workspace that has assignments already', async () => {
    const db = openDatabase(':memory:', labelMigrations.slice(0, 1));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'answers_image'").get()).toEqual({ name: 'answers_image' });
    addTasks(db, 3, 3);
    const add = db.prepare("INSERT INTO assignments (id, task_id, worker_hash, status, source, claimed_at, expires_at) VALUES (?, ?, ?, ?, 'web', ?, ?)");
    add.run('x1', 't0', 'w1', 'submitted', T0, null);
    add.run('x2', 't0', 'w2', 'open', T0, at(60));
    add.run('x3', 't0', 'w3', 'expired', T0, at(60));
    add.run('x4', 't0', 'w4', 'rejected', T0, null);
    add.run('x5', 't0', 'w5', 'approved', T0, null);
    add.run('x6', 't1', 'w6', 'submitted', T0, null);
    add.run('x7', 't1', 'w1', 'approved', T0, null);
    db.prepare("INSERT INTO label_workers (worker_hash, status, updated_at) VALUES ('w6', 'rejected', ?)").run(T0);
    migrate(db, labelMigrations);
    expect(db.prepare('SELECT id, live_count FROM tasks ORDER BY seq').all()).toEqual([
      { id: 't0', live_count: 3 },
      { id: 't1', live_count: 1 },
      { id: 't2', live_count: 0 },
    ]);
    expect(drift(db)).toEqual([]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'answers_image'").get()).toBeUndefined();
    // t0 is full (w1, w2, w5): a new worker gets t1.
    expect(claimNextAssignment(db, { workerHash: 'new', now: at(1), ttlSeconds: 60 })!.taskId).toBe('t1');
  });
});
