/**
 * Fair queueing: labeller requests are worked on a bounded number at a time, the rest wait in
 * arrival order, and one that waited past its deadline is refused at once (503 + Retry-After)
 * instead of being served late; a submission's deadline is longer than a new task's.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, inviteLabellers } from '../../src/server/index.ts';
import { serverTiming } from '../../src/server/app.ts';
import { FairQueue } from '../../src/server/fair-queue.ts';
import { Client, hidden, imageTokens } from './client.ts';
import { buildFixture, type Fixture } from './fixture.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';

describe('FairQueue', () => {
  it('admits in arrival order, at most `concurrency` at once, and refuses a request past its deadline', async () => {
    const queue = new FairQueue({ concurrency: 1 });
    const order: string[] = [];
    const first = await queue.enter('page', 1000);
    expect(first).not.toBeNull();
    const waiting = ['b', 'c', 'd'].map((name) =>
      queue.enter('page', 10_000).then((release) => {
        order.push(name);
        return release;
      }),
    );
    const late = queue.enter('page', 30);
    expect(queue.waiting).toBe(4);
    const started = performance.now();
    expect(await late).toBeNull(); // refused after its 30 ms, while the slot was still taken
    expect(performance.now() - started).toBeLessThan(1000);
    expect(queue.shed).toBe(1);
    expect(queue.waiting).toBe(3); // the refused entry gave its place up
    first!();
    first!(); // releasing twice frees one slot, not two
    const b = await waiting[0]!;
    expect(order).toEqual(['b']);
    b!();
    (await waiting[1]!)!();
    (await waiting[2]!)!();
    expect(order).toEqual(['b', 'c', 'd']);
    expect(queue.waiting).toBe(0);
  });

  it('admits waiting submissions before waiting pages, each in arrival order', async () => {
    const queue = new FairQueue({ concurrency: 1 });
    const held = await queue.enter('page', 1000);
    const order: string[] = [];
    const entries = (
      [
        ['page', 'p1'],
        ['submit', 's1'],
        ['page', 'p2'],
        ['submit', 's2'],
      ] as const
    ).map(([kind, name]) =>
      queue.enter(kind, 10_000).then((release) => {
        order.push(name);
        release!();
      }),
    );
    held!();
    await Promise.all(entries);
    expect(order).toEqual(['s1', 's2', 'p1', 'p2']);
  });

  it("refuses once a request waited `fairness` × its kind's recent median in-server time (not under the floor, not over the fixed deadline)", async () => {
    const queue = new FairQueue({ concurrency: 1, fairness: 8, floorMs: 5, window: 64 });
    expect(queue.deadline('page', 1000)).toBe(1000); // no median yet: the fixed deadline
    // 64 served pages, 9 and 11 ms from admission to response (the median needs a sixteenth of the window).
    for (let i = 0; i < 64; i++) (await queue.enter('page', 1000))!(i % 2 === 0 ? 9 : 11);
    expect(queue.median('page')).toBe(11); // the upper median of 32 × 9 and 32 × 11
    expect(queue.deadline('page', 1000)).toBe(88);
    expect(queue.deadline('page', 60)).toBe(60); // never over the fixed deadline
    expect(queue.median('submit')).toBeNaN(); // each kind has its own median
    expect(queue.deadline('submit', 5000)).toBe(5000);
    const held = await queue.enter('page', 1000);
    const started = performance.now();
    expect(await queue.enter('page', 1000)).toBeNull(); // refused after 88 ms, not 1,000
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(80);
    expect(waited).toBeLessThan(600);
    held!(); // an aborted request (no time given) does not move the median
    expect(queue.median('page')).toBe(11);
    // The floor: a median of 0.1 ms does not make the deadline 0.8 ms.
    const fast = new FairQueue({ concurrency: 1, fairness: 8, floorMs: 50, window: 16 });
    for (let i = 0; i < 16; i++) (await fast.enter('submit', 5000))!(0.1);
    expect(fast.deadline('submit', 5000)).toBe(50);
    // fairness Infinity: fixed deadlines only.
    const fixed = new FairQueue({ concurrency: 1, fairness: Number.POSITIVE_INFINITY, window: 16 });
    for (let i = 0; i < 16; i++) (await fixed.enter('page', 1000))!(10);
    expect(fixed.deadline('page', 1000)).toBe(1000);
  });
});

describe('the labelling routes behind the fair queue', () => {
  let fx: Fixture;
  let app: FastifyInstance;
  afterEach(async () => {
    await app.close();
    await fx.close();
  });

  it('refuse a new task at once (503) once it waited past its deadline; a submission waits longer and is served', async () => {
    fx = await buildFixture({ tasksPerClass: 1, assignmentsWanted: 2, candidates: 6, controls: 1 });
    app = await buildApp({
      workspace: fx.workspace,
      stores: workspaceStores(fx.workspace),
      adminToken: 'admin-secret-token',
      queue: { concurrency: 1, pageDeadlineMs: 50, submitDeadlineMs: 2000 },
    });
    const [inv] = await inviteLabellers(workspaceStores(fx.workspace), ['alice']);
    const alice = new Client(app);
    await alice.get(`/l/${inv!.token}`);
    const page = await alice.get('/label');
    expect(page.statusCode).toBe(200);

    // Someone else's request holds the only slot.
    const held = await app.retest.context.queue.enter('submit', Number.POSITIVE_INFINITY);
    const started = performance.now();
    const refused = await alice.get('/label');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('2');
    // Server-Timing says how long it waited in the queue (its 50 ms deadline) out of its time in the server.
    const refusedTiming = serverTimingOf(refused.headers['server-timing']);
    expect(refusedTiming.queue).toBeGreaterThanOrEqual(45);
    expect(refusedTiming.total).toBeGreaterThanOrEqual(refusedTiming.queue);
    expect(performance.now() - started).toBeLessThan(1500);

    const submitted = alice.post(
      '/label/submit',
      { assignment: hidden(page.body, 'assignment'), _csrf: hidden(page.body, '_csrf'), sel: imageTokens(page.body).slice(0, 2) },
      { accept: 'application/json' },
    );
    await new Promise((r) => setTimeout(r, 150)); // past the page deadline, within the submission's
    held!();
    const res = await submitted;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, selected: 2 });
    const submitTiming = serverTimingOf(res.headers['server-timing']);
    expect(submitTiming.queue).toBeGreaterThanOrEqual(140); // held for 150 ms before its slot came
    expect(submitTiming.total).toBeGreaterThanOrEqual(submitTiming.queue);
    expect(app.retest.context.queue.shed).toBe(1);
    // The slot is free again: pages are served.
    const served = await alice.get('/label');
    expect(served.statusCode).toBe(200);
    expect(serverTimingOf(served.headers['server-timing']).queue).toBeLessThan(50); // a free slot: no wait
    // Routes outside the queue carry no Server-Timing.
    expect((await alice.get('/health')).headers['server-timing']).toBeUndefined();
  });

  it('feed the median with the service time from admission, not the wait: a long wait does not lengthen the next deadline', async () => {
    fx = await buildFixture({ tasksPerClass: 1, assignmentsWanted: 2, candidates: 6, controls: 1 });
    app = await buildApp({
      workspace: fx.workspace,
      stores: workspaceStores(fx.workspace),
      adminToken: 'admin-secret-token',
      queue: { concurrency: 1, pageDeadlineMs: 5000, submitDeadlineMs: 5000, medianWindow: 512 },
    });
    const [inv] = await inviteLabellers(workspaceStores(fx.workspace), ['alice']);
    const alice = new Client(app);
    await alice.get(`/l/${inv!.token}`);
    const queue = app.retest.context.queue;
    const held = await queue.enter('submit', Number.POSITIVE_INFINITY);
    const pages = Array.from({ length: 40 }, () => alice.get('/label')); // a sixteenth of the 512-request window
    await new Promise((r) => setTimeout(r, 250));
    held!();
    const replies = await Promise.all(pages);
    expect(replies.map((r) => r.statusCode)).toEqual(Array(40).fill(200));
    const waits = replies.map((r) => serverTimingOf(r.headers['server-timing']).queue);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(240); // every page waited for the held slot…
    expect(queue.median('page')).toBeLessThan(100); // …but each was served in a few ms once admitted
    expect(queue.deadline('page', 5000)).toBe(Math.max(50, 8 * queue.median('page')));
  });
});

describe('serverTiming', () => {
  it('writes the queue wait and the in-server time as Server-Timing metrics in ms', () => {
    expect(serverTiming(0.04, 12.345)).toBe('queue;dur=0.0, total;dur=12.3');
    expect(serverTimingOf(serverTiming(3, 7))).toEqual({ queue: 3, total: 7 });
  });
});

/** Parses `queue;dur=X, total;dur=Y`; throws when the header is missing or has another shape. */
function serverTimingOf(header: string | string[] | number | undefined): { queue: number; total: number } {
  const match = /^queue;dur=([\d.]+), total;dur=([\d.]+)$/.exec(String(header));
  if (!match) throw new Error(`unexpected Server-Timing: ${String(header)}`);
  return { queue: Number(match[1]), total: Number(match[2]) };
}
