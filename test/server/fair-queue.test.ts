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
    const queue = new FairQueue(1);
    const order: string[] = [];
    const first = await queue.enter(1000);
    expect(first).not.toBeNull();
    const waiting = ['b', 'c', 'd'].map((name) =>
      queue.enter(10_000).then((release) => {
        order.push(name);
        return release;
      }),
    );
    const late = queue.enter(30);
    expect(queue.waiting).toBe(4);
    const started = performance.now();
    expect(await late).toBeNull(); // refused after its 30 ms, while the slot was still taken
    expect(performance.now() - started).toBeLessThan(1000);
    expect(queue.shed).toBe(1);
    first!();
    first!(); // releasing twice frees one slot, not two
    const b = await waiting[0]!;
    expect(order).toEqual(['b']);
    b!();
    (await waiting[1]!)!();
    (await waiting[2]!)!();
    expect(order).toEqual(['b', 'c', 'd']);
    await new Promise((r) => setImmediate(r)); // the refused entry gives its turn up at once
    expect(queue.waiting).toBe(0);
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
    const held = await app.retest.context.queue.enter(Number.POSITIVE_INFINITY);
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
