/**
 * The labelling stage's store (`LabelStore`, src/label/types.ts), the same on SQLite and on
 * PostgreSQL: claims in creation order up to N, resumed claims, expiry, submissions (idempotent,
 * refused when lapsed / not the owner / a bad token), reviews and the live counts the database keeps
 * (label-002: SQLite triggers, PL/pgSQL trigger functions) — and, on PostgreSQL, concurrent claims
 * from two pools (two processes' worth of connections) that never over-assign a task.
 */
import { describe, expect, it } from 'vitest';
import { createLabelStore, isLabelError, labelMigrations, type LabelStore, type NewTask } from '../../src/label/index.ts';
import { openStore } from '../../src/store/index.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const T0 = '2026-01-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

/** `count` tasks of 4 items each (c*a, c*b candidates, p0 positive, n0 negative), N = `wanted`. */
function tasks(count: number, wanted: number): NewTask[] {
  return Array.from({ length: count }, (_, t) => ({
    id: `t${t}`,
    seq: t,
    classIdx: t % 3,
    kind: 'main' as const,
    assignmentsWanted: wanted,
    batch: 'b',
    createdAt: T0,
    items: [
      { imageId: `c${t}a`, role: 'candidate' as const, token: `tok-${t}-0` },
      { imageId: `c${t}b`, role: 'candidate' as const, token: `tok-${t}-1` },
      { imageId: 'p0', role: 'positive' as const, token: `tok-${t}-2` },
      { imageId: 'n0', role: 'negative' as const, token: `tok-${t}-3` },
    ],
  }));
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return isLabelError(e) ? e.reason : String(e);
  }
  return 'no error';
}

async function expectCountsExact(store: LabelStore): Promise<void> {
  expect(Object.fromEntries(await store.liveCounts())).toEqual(Object.fromEntries(await store.countLive()));
}

onBothBackends('LabelStore', labelMigrations, (fresh) => {
  it('gives N distinct workers the same task, then the next, then nothing; a reload resumes the claim', async () => {
    const store = createLabelStore(await fresh());
    expect(await store.addTasks(tasks(2, 3))).toBe(2);
    const got: (string | null)[] = [];
    for (const w of ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7']) got.push((await store.claim({ workerHash: w, now: T0, ttlSeconds: 600 }))?.taskId ?? null);
    expect(got).toEqual(['t0', 't0', 't0', 't1', 't1', 't1', null]);
    const again = (await store.claim({ workerHash: 'w1', now: at(5), ttlSeconds: 600 }))!;
    expect([again.taskId, again.resumed, again.items.map((i) => i.token)]).toEqual(['t0', true, ['tok-0-0', 'tok-0-1', 'tok-0-2', 'tok-0-3']]);
    expect(Object.fromEntries(await store.liveCounts())).toEqual({ t0: 3, t1: 3 });
    await expectCountsExact(store);
  });

  it("honours filters and an N that overrides the tasks' own", async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(3, 3));
    expect((await store.claim({ workerHash: 'w1', now: T0, ttlSeconds: 600, classIdx: 2 }))!.taskId).toBe('t2');
    const one = { now: T0, ttlSeconds: 600, assignmentsPerTask: 1 };
    expect((await store.claim({ ...one, workerHash: 'w2' }))!.taskId).toBe('t0');
    expect((await store.claim({ ...one, workerHash: 'w3' }))!.taskId).toBe('t1');
    expect(await store.claim({ ...one, workerHash: 'w4' })).toBeNull();
  });

  it("expires lapsed claims (slots return), reopens the worker's own lapsed row and refuses a late submission", async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(1, 1));
    const a = (await store.claim({ workerHash: 'w1', now: T0, ttlSeconds: 60 }))!;
    expect(await store.claim({ workerHash: 'w2', now: at(30), ttlSeconds: 60 })).toBeNull();
    expect(await reason(store.submit({ assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: [], now: at(61) }))).toBe('expired');
    expect((await store.progress()).assignments).toEqual({ open: 0, submitted: 0, approved: 0, rejected: 0, expired: 1 });
    const b = (await store.claim({ workerHash: 'w1', now: at(70), ttlSeconds: 60 }))!;
    expect([b.assignmentId, b.resumed]).toEqual([a.assignmentId, false]);
    expect(await store.expireLapsed(at(200))).toBe(1);
    expect(Object.fromEntries(await store.liveCounts())).toEqual({ t0: 0 });
    await expectCountsExact(store);
  });

  it('stores one answer per item, is idempotent, and refuses other workers and foreign tokens', async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(2, 2));
    const a = (await store.claim({ workerHash: 'w1', now: T0, ttlSeconds: 600 }))!;
    expect(await reason(store.submit({ assignmentId: a.assignmentId, workerHash: 'w2', selectedTokens: [], now: at(1) }))).toBe('not-owner');
    expect(await reason(store.submit({ assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: ['tok-1-0'], now: at(1) }))).toBe('bad-item');
    expect(await reason(store.submit({ assignmentId: 'nope', workerHash: 'w1', selectedTokens: [], now: at(1) }))).toBe('not-found');
    const first = await store.submit({ assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: ['tok-0-0', 'tok-0-2'], now: at(2) });
    expect(first).toEqual({ assignmentId: a.assignmentId, status: 'submitted', answers: 4, selected: 2, repeated: false });
    expect(await store.submit({ assignmentId: a.assignmentId, workerHash: 'w1', selectedImageIds: [], now: at(3) })).toEqual({ ...first, repeated: true });
    expect(await store.itemByToken('tok-0-2')).toEqual({ taskId: 't0', imageId: 'p0', position: 2 });
    expect(await store.itemByToken('nope')).toBeUndefined();
    const p = await store.progress();
    expect([p.tasks, p.fullTasks, p.answers, p.assignments.submitted]).toEqual([2, 0, 4, 1]);
  });

  it('reviews: a rejected worker frees their slots and gets no work; approval restores them', async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(1, 1));
    const a = (await store.claim({ workerHash: 'w1', now: T0, ttlSeconds: 600 }))!;
    await store.submit({ assignmentId: a.assignmentId, workerHash: 'w1', selectedTokens: [], now: at(1) });
    expect((await store.progress()).fullTasks).toBe(1);
    await store.setWorkerStatus('w1', 'rejected', { reason: 'controls', now: at(2) });
    expect(Object.fromEntries(await store.liveCounts())).toEqual({ t0: 0 });
    expect(await reason(store.claim({ workerHash: 'w1', now: at(3), ttlSeconds: 600 }))).toBe('worker-rejected');
    await store.setWorkerStatus('w1', 'approved', { now: at(4) });
    expect(Object.fromEntries(await store.liveCounts())).toEqual({ t0: 1 });
    expect(await store.setAssignmentStatus([a.assignmentId, 'nope'], 'rejected')).toEqual({ changed: 1, skipped: ['nope'] });
    expect(Object.fromEntries(await store.liveCounts())).toEqual({ t0: 0 });
    expect((await store.progress()).workers).toEqual({ approved: 1, rejected: 0 });
    await expectCountsExact(store);
  });

  it('computes selection frequencies from valid answers only (rejected workers and assignments left out)', async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(3, 4)); // t0 and t2: class 0 and 2; p0 is every task's positive control, n0 the negative
    const answer = async (worker: string, picks: (tokens: string[]) => string[]) => {
      const c = (await store.claim({ workerHash: worker, now: T0, ttlSeconds: 600, classIdx: 0 }))!;
      const r = await store.submit({ assignmentId: c.assignmentId, workerHash: worker, selectedTokens: picks(c.items.map((i) => i.token)), now: at(1) });
      return r.assignmentId;
    };
    await answer('w1', (t) => [t[0]!, t[2]!]);
    await answer('w2', (t) => [t[0]!, t[1]!, t[2]!]);
    const rejected = await answer('w3', (t) => [t[1]!]);
    await answer('w4', (t) => t);
    await store.setWorkerStatus('w4', 'rejected', { now: at(2) });
    expect(await store.frequencies({ minAnswers: 0 })).toEqual([
      { imageId: 'c0a', classIdx: 0, role: 'candidate', answers: 3, selected: 2, frequency: 2 / 3 },
      { imageId: 'c0b', classIdx: 0, role: 'candidate', answers: 3, selected: 2, frequency: 2 / 3 },
      { imageId: 'p0', classIdx: 0, role: 'reference', answers: 3, selected: 2, frequency: 2 / 3 },
    ]);
    await store.setAssignmentStatus([rejected], 'rejected');
    const f = await store.frequencies({ minAnswers: 2, includeNegatives: true, classIdx: 0 });
    expect(f.map((r) => [r.imageId, r.role, r.answers, r.selected])).toEqual([
      ['c0a', 'candidate', 2, 2],
      ['c0b', 'candidate', 2, 1],
      ['n0', 'negative', 2, 0],
      ['p0', 'reference', 2, 2],
    ]);
    expect(await store.frequencies({ minAnswers: 3 })).toEqual([]);
    expect(await store.frequencies({ classIdx: 1, minAnswers: 0 })).toEqual([]);
  });

  it('scores control answers per assignment and worker, and rejects low-accuracy workers once', async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(2, 3));
    const answer = async (worker: string, picks: number[]) => {
      const c = (await store.claim({ workerHash: worker, now: T0, ttlSeconds: 600 }))!;
      return (await store.submit({ assignmentId: c.assignmentId, workerHash: worker, selectedTokens: picks.map((p) => c.items[p]!.token), now: at(1) }))
        .assignmentId;
    };
    for (let round = 0; round < 2; round++) {
      await answer('good', [0, 2]); // positive selected, negative not: 2/2
      await answer('bad', [3]); // negative selected, positive not: 0/2
    }
    await answer('half', [2, 3]); // 1/2
    const report = await store.controlAccuracy();
    expect(report.workers.map((w) => [w.workerHash, w.status, w.assignments, w.controls, w.correct, w.accuracy])).toEqual([
      ['bad', 'active', 2, 4, 0, 0],
      ['good', 'active', 2, 4, 4, 1],
      ['half', 'active', 1, 2, 1, 0.5],
    ]);
    expect(report.assignments).toHaveLength(5);
    expect(
      report.assignments.filter((a) => a.workerHash === 'half').map((a) => [a.positives, a.positivesSelected, a.negatives, a.negativesSelected, a.accuracy]),
    ).toEqual([[1, 1, 1, 1, 0.5]]);
    expect(await store.rejectLowAccuracyWorkers({ minAccuracy: 0.6, minControls: 3, now: at(2) })).toEqual(['bad']);
    expect(await store.rejectLowAccuracyWorkers({ minAccuracy: 0.6, minControls: 3, now: at(3) })).toEqual([]);
    expect((await store.controlAccuracy()).workers.map((w) => w.status)).toEqual(['rejected', 'active', 'active']);
    await expectCountsExact(store);
  });

  it('never over-assigns under concurrent claims on one handle', async () => {
    const store = createLabelStore(await fresh());
    await store.addTasks(tasks(10, 3));
    const claims = await Promise.all(Array.from({ length: 45 }, (_, w) => store.claim({ workerHash: `w${w}`, now: T0, ttlSeconds: 600 })));
    expect(claims.filter((c) => c !== null)).toHaveLength(30);
    expect([...(await store.liveCounts()).values()]).toEqual(Array(10).fill(3));
    await expectCountsExact(store);
  });
});

describeWithPostgres('LabelStore on PostgreSQL: concurrent claims from two pools', () => {
  it('puts exactly N live assignments on every task, none twice to one worker, with claims and submits racing', async () => {
    const url = `${postgresUrl()}?schema=label_race_${process.pid}_${Date.now() % 100000}`;
    const first = await openStore(url, { migrations: labelMigrations, defaultSchema: 'unused' });
    const second = await openStore(url, { migrations: labelMigrations, defaultSchema: 'unused' });
    try {
      const [a, b] = [createLabelStore(first), createLabelStore(second)];
      await a.addTasks(tasks(25, 3));
      // 100 workers, each claiming (and submitting) until no task is left for them, half on each pool.
      const taken: string[] = [];
      await Promise.all(
        Array.from({ length: 100 }, async (_, w) => {
          const store = w % 2 === 0 ? a : b;
          for (;;) {
            const c = await store.claim({ workerHash: `w${w}`, now: T0, ttlSeconds: 600 });
            if (c === null) return;
            taken.push(`${c.taskId}/w${w}`);
            await store.submit({ assignmentId: c.assignmentId, workerHash: `w${w}`, selectedTokens: [c.items[0]!.token], now: at(1) });
          }
        }),
      );
      expect(taken).toHaveLength(75);
      expect(new Set(taken).size).toBe(75);
      expect([...(await a.liveCounts()).values()]).toEqual(Array(25).fill(3));
      expect(Object.fromEntries(await a.liveCounts())).toEqual(Object.fromEntries(await b.countLive()));
      const p = await b.progress();
      expect([p.fullTasks, p.assignments.submitted, p.assignments.open, p.answers]).toEqual([25, 75, 0, 300]);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);

  it('gives one worker claiming on both pools at once one open task, the same one (a claim per worker at a time)', async () => {
    const url = `${postgresUrl()}?schema=label_same_worker_${process.pid}_${Date.now() % 100000}`;
    const first = await openStore(url, { migrations: labelMigrations, defaultSchema: 'unused' });
    const second = await openStore(url, { migrations: labelMigrations, defaultSchema: 'unused' });
    try {
      const [a, b] = [createLabelStore(first), createLabelStore(second)];
      await a.addTasks(tasks(20, 3));
      // 10 workers, each sending 8 claims at once, alternately to the two pools (two servers behind a balancer).
      for (let w = 0; w < 10; w++) {
        const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).claim({ workerHash: `w${w}`, now: T0, ttlSeconds: 600 })));
        expect(new Set(claims.map((c) => c!.assignmentId)).size).toBe(1);
        expect(claims.filter((c) => !c!.resumed)).toHaveLength(1);
      }
      const p = await b.progress();
      expect(p.assignments.open).toBe(10);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);
});

describe('LabelStore refuses bad options before touching the database', () => {
  it('names the field', async () => {
    const store = createLabelStore(await openStore(':memory:', { migrations: labelMigrations, defaultSchema: 'unused' }));
    await expect(store.claim({ workerHash: 'w', now: T0, ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/);
    await expect(store.claim({ workerHash: 'w', now: T0, ttlSeconds: 60, assignmentsPerTask: 0 })).rejects.toThrow(/assignmentsPerTask/);
  });
});
