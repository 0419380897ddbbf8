import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/index.ts';
import {
  claimNextAssignment,
  controlAccuracy,
  hashWorkerId,
  isLabelError,
  labelMigrations,
  selectionFrequencies,
  setAssignmentStatus,
  setWorkerStatus,
  submitAssignment,
  taskItemByToken,
  workerSalt,
} from '../../src/label/index.ts';

/** A database with `tasks` tasks of 4 items each: c0, c1 (candidates), p0 (positive), n0 (negative). */
function fixture(tasks = 1, wanted = 3): Db {
  const db = openDatabase(':memory:', labelMigrations);
  for (let t = 0; t < tasks; t++) {
    db.prepare(
      "INSERT INTO tasks (id, seq, class_idx, kind, assignments_wanted, batch, created_at) VALUES (?, ?, 0, 'main', ?, 'b', '2026-01-01T00:00:00.000Z')",
    ).run(`t${t}`, t, wanted);
    const items: [string, string][] = [
      [`c${t}a`, 'candidate'],
      [`c${t}b`, 'candidate'],
      ['p0', 'positive'],
      ['n0', 'negative'],
    ];
    items.forEach(([id, role], position) =>
      db
        .prepare('INSERT INTO task_items (task_id, position, image_id, role, token) VALUES (?, ?, ?, ?, ?)')
        .run(`t${t}`, position, id, role, `tok-${t}-${position}`),
    );
  }
  return db;
}

const T0 = '2026-01-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isLabelError(e) ? e.reason : String(e);
  }
  return 'no error';
};

describe('claimNextAssignment', () => {
  it('gives N distinct workers the same task, then the next task, then nothing', () => {
    const db = fixture(2, 3);
    const got = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7'].map((w) => claimNextAssignment(db, { workerHash: w, now: T0, ttlSeconds: 600 })?.taskId ?? null);
    expect(got).toEqual(['t0', 't0', 't0', 't1', 't1', 't1', null]);
  });

  it('returns the same open claim on a reload and never the same task twice to one worker', () => {
    const db = fixture(2, 3);
    const a = claimNextAssignment(db, { workerHash: 'w1', now: T0, ttlSeconds: 600 })!;
    const again = claimNextAssignment(db, { workerHash: 'w1', now: at(5), ttlSeconds: 600 })!;
    expect(again.assignmentId).toBe(a.assignmentId);
    expect(again.resumed).toBe(true);
    expect(a.items.map((i) => i.token)).toEqual(['tok-0-0', 'tok-0-1', 'tok-0-2', 'tok-0-3']);
    submitAssignment(db, { assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: [], now: at(10) });
    expect(claimNextAssignment(db, { workerHash: 'w1', now: at(11), ttlSeconds: 600 })!.taskId).toBe('t1');
  });

  it('puts a lapsed claim back in the pool', () => {
    const db = fixture(1, 2);
    claimNextAssignment(db, { workerHash: 'w1', now: T0, ttlSeconds: 60 });
    claimNextAssignment(db, { workerHash: 'w2', now: T0, ttlSeconds: 60 });
    expect(claimNextAssignment(db, { workerHash: 'w3', now: at(59), ttlSeconds: 60 })).toBeNull();
    const late = claimNextAssignment(db, { workerHash: 'w3', now: at(60), ttlSeconds: 60 });
    expect(late?.taskId).toBe('t0');
    const counts = db.prepare('SELECT status, COUNT(*) AS n FROM assignments GROUP BY status ORDER BY status').all();
    expect(counts).toEqual([
      { status: 'expired', n: 2 },
      { status: 'open', n: 1 },
    ]);
    // the worker whose claim lapsed can claim the task again (same row reopened)
    expect(claimNextAssignment(db, { workerHash: 'w1', now: at(61), ttlSeconds: 60 })?.taskId).toBe('t0');
    expect(claimNextAssignment(db, { workerHash: 'w2', now: at(61), ttlSeconds: 60 })).toBeNull();
  });

  it('honours assignmentsPerTask over the task default and refuses a rejected worker', () => {
    const db = fixture(1, 10);
    expect(claimNextAssignment(db, { workerHash: 'w1', now: T0, ttlSeconds: 60, assignmentsPerTask: 1 })).not.toBeNull();
    expect(claimNextAssignment(db, { workerHash: 'w2', now: T0, ttlSeconds: 60, assignmentsPerTask: 1 })).toBeNull();
    setWorkerStatus(db, 'w9', 'rejected', { now: T0 });
    expect(reason(() => claimNextAssignment(db, { workerHash: 'w9', now: T0, ttlSeconds: 60 }))).toBe('worker-rejected');
  });

  it('frees the slot of a rejected assignment', () => {
    const db = fixture(1, 1);
    const a = claimNextAssignment(db, { workerHash: 'w1', now: T0, ttlSeconds: 60 })!;
    submitAssignment(db, { assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: ['tok-0-0'], now: at(1) });
    expect(claimNextAssignment(db, { workerHash: 'w2', now: at(2), ttlSeconds: 60 })).toBeNull();
    expect(setAssignmentStatus(db, [a.assignmentId, 'nope'], 'rejected')).toEqual({ changed: 1, skipped: ['nope'] });
    expect(claimNextAssignment(db, { workerHash: 'w2', now: at(3), ttlSeconds: 60 })?.taskId).toBe('t0');
  });
});

describe('submitAssignment', () => {
  it('stores one answer per item, is idempotent, and refuses others, lapsed claims and foreign tokens', () => {
    const db = fixture(1, 3);
    const a = claimNextAssignment(db, { workerHash: 'w1', now: T0, ttlSeconds: 60 })!;
    expect(reason(() => submitAssignment(db, { assignmentId: a.assignmentId, workerHash: 'w2', selectedTokens: [], now: at(1) }))).toBe('not-owner');
    expect(reason(() => submitAssignment(db, { assignmentId: 'x', workerHash: 'w1', selectedTokens: [], now: at(1) }))).toBe('not-found');
    expect(reason(() => submitAssignment(db, { assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: ['tok-9-9'], now: at(1) }))).toBe('bad-item');
    const first = submitAssignment(db, { assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: ['tok-0-0', 'tok-0-2'], now: at(2) });
    expect(first).toEqual({ assignmentId: a.assignmentId, status: 'submitted', answers: 4, selected: 2, repeated: false });
    const second = submitAssignment(db, { assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: ['tok-0-1'], now: at(3) });
    expect(second).toEqual({ assignmentId: a.assignmentId, status: 'submitted', answers: 4, selected: 2, repeated: true });
    expect(db.prepare('SELECT image_id, selected FROM answers ORDER BY image_id').all()).toEqual([
      { image_id: 'c0a', selected: 1 },
      { image_id: 'c0b', selected: 0 },
      { image_id: 'n0', selected: 0 },
      { image_id: 'p0', selected: 1 },
    ]);
    const b = claimNextAssignment(db, { workerHash: 'w2', now: at(10), ttlSeconds: 60 })!;
    expect(reason(() => submitAssignment(db, { assignmentId: b.assignmentId, workerHash: 'w2', selectedTokens: [], now: at(70) }))).toBe('expired');
    expect(db.prepare('SELECT status FROM assignments WHERE id = ?').get(b.assignmentId)).toEqual({ status: 'expired' });
  });
});

describe('frequencies, control accuracy and worker rejection', () => {
  function answered(): Db {
    const db = fixture(1, 3);
    const picks: Record<string, string[]> = { w1: ['tok-0-0', 'tok-0-2'], w2: ['tok-0-0', 'tok-0-3'], w3: ['tok-0-2'] };
    for (const [w, sel] of Object.entries(picks)) {
      const a = claimNextAssignment(db, { workerHash: w, now: T0, ttlSeconds: 60 })!;
      submitAssignment(db, { assignmentId: a.assignmentId, workerHash: w, selectedTokens: sel, now: at(1) });
    }
    return db;
  }

  it('computes the fraction of valid assignments that selected each image', () => {
    const db = answered();
    const f = selectionFrequencies(db, { minAnswers: 3 });
    expect(f.map((r) => [r.imageId, r.role, r.selected, r.answers])).toEqual([
      ['c0a', 'candidate', 2, 3],
      ['c0b', 'candidate', 0, 3],
      ['p0', 'reference', 2, 3],
    ]);
    expect(selectionFrequencies(db, { minAnswers: 4 })).toEqual([]);
    expect(selectionFrequencies(db, { minAnswers: 3, classIdx: 0 })).toHaveLength(3);
    expect(selectionFrequencies(db, { minAnswers: 0, classIdx: 1 })).toEqual([]);
    expect(selectionFrequencies(db, { minAnswers: 0, includeNegatives: true }).find((r) => r.imageId === 'n0')).toMatchObject({
      role: 'negative',
      selected: 1,
      answers: 3,
    });
  });

  it('removes a rejected worker at once and restores them on approval', () => {
    const db = answered();
    setWorkerStatus(db, 'w1', 'rejected', { now: at(5) });
    expect(selectionFrequencies(db, { minAnswers: 0 }).find((r) => r.imageId === 'c0a')).toMatchObject({ selected: 1, answers: 2, frequency: 0.5 });
    setWorkerStatus(db, 'w1', 'approved', { now: at(6) });
    expect(selectionFrequencies(db, { minAnswers: 0 }).find((r) => r.imageId === 'c0a')).toMatchObject({ selected: 2, answers: 3 });
  });

  it('scores controls per assignment and per worker', () => {
    const db = answered();
    const report = controlAccuracy(db);
    expect(report.workers.map((w) => [w.workerHash, w.correct, w.controls, w.accuracy])).toEqual([
      ['w1', 2, 2, 1],
      ['w2', 0, 2, 0],
      ['w3', 2, 2, 1],
    ]);
    expect(report.assignments.map((a) => [a.positivesSelected, a.negativesSelected])).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
  });
});

describe('hashWorkerId', () => {
  it('is a salted sha256 and the workspace salt is stable', () => {
    expect(hashWorkerId('salt', 'A1B2')).toBe(createHash('sha256').update('salt\nA1B2').digest('hex'));
    expect(hashWorkerId('salt', ' A1B2 ')).toBe(hashWorkerId('salt', 'A1B2'));
    expect(hashWorkerId('salt', 'A1B2')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashWorkerId('salt', 'A1B2')).not.toBe(hashWorkerId('pepper', 'A1B2'));
    const db = openDatabase(':memory:', labelMigrations);
    expect(workerSalt(db)).toBe(workerSalt(db));
    expect(taskItemByToken(fixture(), 'tok-0-2')).toEqual({ taskId: 't0', imageId: 'p0', position: 2 });
  });
});
