/**
 * The LabelStore's claim over SQLite: its cost does not grow with the number of full tasks (the
 * query plans of the statements `claim` runs, read with EXPLAIN QUERY PLAN), and `tasks.live_count`
 * stays equal to the live assignments through everything the store does.
 */
import { describe, expect, it } from 'vitest';
import { createLabelStore, labelMigrations, type LabelStore } from '../../src/label/index.ts';
import { migrateDatabase, openSqliteDatabase, sqliteConnection, type SqlDatabase } from '../../src/store/index.ts';

/** The better-sqlite3 connection under a SQLite store (fixtures written directly, query plans). */
type Db = ReturnType<typeof sqliteConnection>;

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

/** A SQLite database with the label tables, its store, and the connection under both (for fixtures and plans). */
async function labelDatabase(): Promise<{ sql: SqlDatabase; db: Db; label: LabelStore }> {
  const sql = openSqliteDatabase(':memory:');
  await migrateDatabase(sql, labelMigrations);
  return { sql, db: sqliteConnection(sql), label: createLabelStore(sql) };
}

/** Tasks whose stored live count differs from the count recomputed from the assignments. */
async function drift(label: LabelStore): Promise<[string, number, number][]> {
  const [stored, actual] = [await label.liveCounts(), await label.countLive()];
  return [...stored].filter(([id, n]) => (actual.get(id) ?? 0) !== n).map(([id, n]) => [id, n, actual.get(id) ?? 0]);
}

/**
 * Runs `fn` with the connection's `prepare` watched: returns the query plan (EXPLAIN QUERY PLAN, one
 * line per step, tagged with the statement's first words) of every statement the store prepares
 * for it (the store caches statements, so each database is fresh), except plain INSERTs and
 * transaction control.
 */
async function plansOf(db: Db, fn: () => Promise<unknown>): Promise<string[]> {
  const original = db.prepare.bind(db);
  const lines: string[] = [];
  (db as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
    if (!/^\s*(INSERT|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(sql)) {
      const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
      const plan = original(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
      const tag = sql.trim().split(/\s+/).slice(0, 3).join(' ');
      for (const step of plan) lines.push(`${tag}: ${step.detail}`);
    }
    return original(sql);
  };
  try {
    await fn();
  } finally {
    (db as unknown as { prepare: unknown }).prepare = original;
  }
  return lines;
}

/**
 * `k` full tasks (N = 2, each answered by two workers; the rows written directly, the live counts
 * kept by the database's triggers) followed by 5 empty ones, on a fresh database whose store has
 * prepared nothing yet.
 */
async function queueWithFullFront(k: number): Promise<{ db: Db; label: LabelStore; sql: SqlDatabase }> {
  const { sql, db, label } = await labelDatabase();
  addTasks(db, k + 5, 2);
  const add = db.prepare(
    "INSERT INTO assignments (id, task_id, worker_hash, status, source, claimed_at, expires_at, submitted_at) VALUES (?, ?, ?, 'submitted', 'web', ?, NULL, ?)",
  );
  for (let t = 0; t < k; t++) for (const w of [0, 1]) add.run(`a${t}-${w}`, `t${t}`, `front${w}-${t % 7}`, at(t), at(t));
  return { sql, db, label };
}

describe('claim cost does not depend on how many tasks are full', () => {
  it('reads tasks only from the index of tasks that still need answers, whatever K', async () => {
    const plans: string[][] = [];
    for (const k of [0, 40, 400]) {
      const { db, label, sql } = await queueWithFullFront(k);
      expect(db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE live_count >= assignments_wanted').get()).toEqual({ n: k });
      // The partial index holds only the 5 tasks that need answers, not the K full ones.
      expect(db.prepare('SELECT COUNT(*) AS n FROM tasks INDEXED BY tasks_needing_answers WHERE live_count < assignments_wanted').get()).toEqual({ n: 5 });
      let claim: Awaited<ReturnType<LabelStore['claim']>> = null;
      const plan = await plansOf(db, async () => {
        claim = await label.claim({ workerHash: 'newcomer', now: at(10_000), ttlSeconds: 600 });
      });
      expect(claim!.taskId).toBe(`t${k}`);
      plans.push(plan);
      await sql.close();
    }
    const plan = plans[0]!;
    expect(plan.length).toBeGreaterThan(0);
    // The same statements and plans for K = 0, 40 and 400 …
    expect(plans[1]).toEqual(plan);
    expect(plans[2]).toEqual(plan);
    // … in which the only scan is the claim-order walk of the tasks that still need answers (no sort, no
    // per-task count of assignments), and every other step is an index lookup.
    const scans = plan.filter((line) => /\bSCAN\b/.test(line));
    expect(scans).toEqual(['SELECT t.id, t.seq,: SCAN t USING INDEX tasks_needing_answers']);
    expect(plan.filter((line) => /TEMP B-TREE/.test(line) && /^SELECT t\./.test(line))).toEqual([]);
    expect(plan).toContain('UPDATE assignments SET: SEARCH assignments USING COVERING INDEX assignments_open_expiry (expires_at>? AND expires_at<?)');
    expect(plan.some((line) => /assignments_open_worker \(worker_hash=\?\)/.test(line))).toBe(true);
  });

  it('with an N override (serve --assignments), reads tasks_live_count below N only: no scan, the full tasks never read', async () => {
    const plans: string[][] = [];
    for (const k of [0, 300]) {
      const { db, label, sql } = await queueWithFullFront(k);
      let claim: Awaited<ReturnType<LabelStore['claim']>> = null;
      const plan = await plansOf(db, async () => {
        claim = await label.claim({ workerHash: 'newcomer', now: at(10_000), ttlSeconds: 600, assignmentsPerTask: 2 });
      });
      expect(claim!.taskId).toBe(`t${k}`);
      expect(plan.filter((line) => /\bSCAN\b/.test(line))).toEqual([]);
      // A range over the counts below N, sorted by seq (the tasks below N, never the full ones).
      expect(plan).toContain('SELECT t.id, t.seq,: SEARCH t USING INDEX tasks_live_count (live_count<?)');
      plans.push(plan);
      await sql.close();
    }
    expect(plans[1]).toEqual(plans[0]);
    // An override above the tasks' own N reopens full tasks, oldest first.
    const { label, sql } = await queueWithFullFront(3);
    expect((await label.claim({ workerHash: 'newcomer', now: at(10_000), ttlSeconds: 600, assignmentsPerTask: 3 }))!.taskId).toBe('t0');
    await sql.close();
  });
});

describe('tasks.live_count', () => {
  it('stays equal to the live assignments through claims, submits, expiry, reviews, worker rejection and imports', async () => {
    const { sql, db, label } = await labelDatabase();
    const live = (id: string) => db.prepare('SELECT live_count FROM tasks WHERE id = ?').get(id);
    addTasks(db, 6, 3);
    const claims = new Map<string, string>();
    for (const w of ['a', 'b', 'c', 'd', 'e']) claims.set(w, (await label.claim({ workerHash: w, now: T0, ttlSeconds: 60 }))!.assignmentId);
    expect(await drift(label)).toEqual([]);
    expect(db.prepare("SELECT live_count FROM tasks WHERE id IN ('t0', 't1') ORDER BY seq").all()).toEqual([{ live_count: 3 }, { live_count: 2 }]);
    for (const w of ['a', 'b', 'd']) await label.submit({ assignmentId: claims.get(w)!, workerHash: w, selectedTokens: [], now: at(10) });
    // Submitting twice changes nothing.
    await label.submit({ assignmentId: claims.get('a')!, workerHash: 'a', selectedTokens: [], now: at(11) });
    expect(await drift(label)).toEqual([]);
    // c and e let their claims lapse: the next claim expires them and their slots return to the pool.
    expect((await label.claim({ workerHash: 'f', now: at(61), ttlSeconds: 60 }))!.taskId).toBe('t0');
    expect(db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE status = 'expired'").get()).toEqual({ n: 2 });
    expect(await drift(label)).toEqual([]);
    // c comes back to the same task: its expired row is reopened.
    expect((await label.claim({ workerHash: 'c', now: at(62), ttlSeconds: 60 }))!.taskId).toBe('t1');
    expect(await drift(label)).toEqual([]);
    // Rejecting an assignment frees its slot; approving it again takes the slot back.
    await label.setAssignmentStatus([claims.get('a')!], 'rejected');
    expect(live('t0')).toEqual({ live_count: 2 });
    await label.setAssignmentStatus([claims.get('a')!], 'approved');
    expect(live('t0')).toEqual({ live_count: 3 });
    expect(await drift(label)).toEqual([]);
    // Rejecting a worker frees every slot they hold; approval restores them.
    await label.setWorkerStatus('b', 'rejected', { now: at(70) });
    await label.setWorkerStatus('b', 'rejected', { reason: 'again', now: at(71) });
    expect(live('t0')).toEqual({ live_count: 2 });
    expect(await drift(label)).toEqual([]);
    expect((await label.claim({ workerHash: 'g', now: at(72), ttlSeconds: 60 }))!.taskId).toBe('t0');
    await label.setWorkerStatus('b', 'approved', { now: at(73) });
    expect(live('t0')).toEqual({ live_count: 4 });
    expect(await drift(label)).toEqual([]);
    // Imports, a later status change from the same source, and deleting a task's rows.
    await label.recordAssignments(
      [
        { taskId: 't3', workerHash: 'm1', source: 'mturk', externalId: 'A1', status: 'submitted', selectedTokens: [] },
        { taskId: 't3', workerHash: 'm2', source: 'mturk', externalId: 'A2', status: 'rejected', selectedTokens: [] },
      ],
      at(80),
    );
    expect(live('t3')).toEqual({ live_count: 1 });
    await label.recordAssignments([{ taskId: 't3', workerHash: 'm1', source: 'mturk', externalId: 'A1', status: 'rejected', selectedTokens: [] }], at(81));
    expect(live('t3')).toEqual({ live_count: 0 });
    db.prepare("DELETE FROM assignments WHERE task_id = 't1'").run();
    expect(await drift(label)).toEqual([]);
    expect(live('t1')).toEqual({ live_count: 0 });
    await sql.close();
  });

  it('is backfilled by the migration on a workspace that has assignments already', async () => {
    const sql = openSqliteDatabase(':memory:');
    await migrateDatabase(sql, labelMigrations.slice(0, 1));
    const db = sqliteConnection(sql);
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
    await migrateDatabase(sql, labelMigrations);
    expect(db.prepare('SELECT id, live_count FROM tasks ORDER BY seq').all()).toEqual([
      { id: 't0', live_count: 3 },
      { id: 't1', live_count: 1 },
      { id: 't2', live_count: 0 },
    ]);
    const label = createLabelStore(sql);
    expect(await drift(label)).toEqual([]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'answers_image'").get()).toBeUndefined();
    // t0 is full (w1, w2, w5): a new worker gets t1.
    expect((await label.claim({ workerHash: 'new', now: at(1), ttlSeconds: 60 }))!.taskId).toBe('t1');
    await sql.close();
  });
});
