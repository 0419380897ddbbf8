/**
 * One conformance suite, run on both JobRunner implementations: in this process, and on BullMQ
 * with a worker (in this test process) on the test Redis.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessRunner, queueRunner, startQueueWorker, type JobHandlers, type JobRunner, type QueueWorker } from '../../src/jobs/index.ts';
import { describeWithRedis, redisUrl } from '../helpers/servers.ts';

/** Attempts seen per (group, job), to check retries. */
const tries = new Map<string, number>();

const handlers: JobHandlers = {
  async square(data: { x: number }) {
    return data.x * data.x;
  },
  async sum(_data: unknown, context) {
    const values = await context.childrenValues();
    return { total: Object.values(values).reduce((s: number, v) => s + (v as number), 0), ids: Object.keys(values).sort() };
  },
  async flaky(data: { failures: number }, context) {
    const key = `${context.group}/${context.id}`;
    tries.set(key, (tries.get(key) ?? 0) + 1);
    if (context.attempt <= data.failures) throw new Error(`flaky failure ${context.attempt}`);
    return context.attempt;
  },
  async broken() {
    throw new Error('this job always fails: bad record 7');
  },
  async slow(data: { ms: number }) {
    await new Promise((resolve) => setTimeout(resolve, data.ms));
    return 'slow';
  },
  async where(_data: unknown, context) {
    return context.dataDir;
  },
} as JobHandlers;

function conformance(name: string, make: () => Promise<{ runner: JobRunner; stop: () => Promise<void> }>) {
  describe(name, () => {
    let runner: JobRunner;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ runner, stop } = await make());
    });
    afterAll(async () => {
      await runner.close();
      await stop();
    });

    it('runs jobs and keeps their return values by id', async () => {
      const id = await runner.submit({ name: 'squares', jobs: [1, 2, 3].map((x) => ({ kind: 'square', id: `sq-${x}`, data: { x }, units: 10 })) });
      const status = await runner.wait(id, { intervalMs: 50 });
      expect(status).toMatchObject({ state: 'done', jobs: 3, completed: 3, units: 30, unitsDone: 30, parked: [] });
      expect(await runner.results(id)).toEqual({ 'sq-1': 1, 'sq-2': 4, 'sq-3': 9 });
      expect(status.workers).toBeGreaterThanOrEqual(1);
    });

    it('runs a parent after its children, with their values', async () => {
      const id = await runner.submit({
        name: 'merge',
        jobs: [{ kind: 'sum', id: 'total', data: null, children: [2, 3, 4].map((x) => ({ kind: 'square', id: `c${x}`, data: { x } })) }],
      });
      const status = await runner.wait(id, { intervalMs: 50 });
      expect(status.state).toBe('done');
      expect(status.jobs).toBe(4);
      expect(await runner.results(id)).toEqual({ total: { total: 29, ids: ['c2', 'c3', 'c4'] } });
    });

    it('retries a failing job and succeeds on a later try', async () => {
      const id = await runner.submit({ name: 'flaky', attempts: 3, backoffMs: 20, jobs: [{ kind: 'flaky', id: 'f', data: { failures: 2 } }] });
      const status = await runner.wait(id, { intervalMs: 50 });
      expect(status.state).toBe('done');
      expect(await runner.results(id)).toEqual({ f: 3 });
    });

    it('parks a job that failed every try, with its error; retry runs it again', async () => {
      const id = await runner.submit({
        name: 'parks',
        attempts: 2,
        backoffMs: 20,
        jobs: [
          {
            kind: 'sum',
            id: 'top',
            data: null,
            children: [
              { kind: 'broken', id: 'bad', data: null },
              { kind: 'square', id: 'ok', data: { x: 5 } },
            ],
          },
        ],
      });
      const status = await runner.wait(id, { intervalMs: 50 });
      expect(status.state).toBe('parked');
      expect(status.completed).toBe(1);
      expect(status.parked).toEqual([{ id: 'bad', kind: 'broken', attempts: 2, error: 'this job always fails: bad record 7' }]);
      expect(await runner.results(id)).toEqual({});
      expect((await runner.list()).map((g) => g.id)).toContain(id);
      expect(await runner.retry(id)).toBe(1);
      const again = await runner.wait(id, { intervalMs: 50 });
      expect(again.state).toBe('parked');
      expect(again.parked[0]?.attempts).toBe(2);
    });

    it('retry starts the tries again from the first', async () => {
      const id = await runner.submit({ name: 'flaky-park', attempts: 1, backoffMs: 10, jobs: [{ kind: 'flaky', id: 'once', data: { failures: 1 } }] });
      expect((await runner.wait(id, { intervalMs: 50 })).state).toBe('parked');
      expect(await runner.retry(id)).toBe(1);
      // attempts were reset: the retried job's first try is attempt 1 again, which fails again…
      expect((await runner.wait(id, { intervalMs: 50 })).parked[0]?.error).toBe('flaky failure 1');
    });

    it('cancel removes jobs that have not started', async () => {
      const id = await runner.submit({ name: 'slow', jobs: Array.from({ length: 6 }, (_, i) => ({ kind: 'slow', id: `s${i}`, data: { ms: 300 } })) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const removed = await runner.cancel(id);
      expect(removed).toBeGreaterThanOrEqual(4);
      expect(removed).toBeLessThanOrEqual(6);
      const status = await runner.wait(id, { intervalMs: 50 });
      expect(status.state).toBe('cancelled');
      expect(await runner.status('no-such-group')).toBeUndefined();
    });

    it('refuses bad job ids', async () => {
      await expect(runner.submit({ name: 'bad', jobs: [{ kind: 'square', id: 'a:b', data: { x: 1 } }] })).rejects.toThrow(/job ids/);
      await expect(
        runner.submit({
          name: 'dup',
          jobs: [
            { kind: 'square', id: 'a', data: { x: 1 } },
            { kind: 'square', id: 'a', data: { x: 1 } },
          ],
        }),
      ).rejects.toThrow(/twice/);
    });

    it('gives handlers the data folder', async () => {
      const id = await runner.submit({ name: 'where', jobs: [{ kind: 'where', id: 'w', data: null }] });
      await runner.wait(id, { intervalMs: 50 });
      expect(await runner.results(id)).toEqual({ w: '/data/here' });
    });
  });
}

conformance('JobRunner conformance: in-process', async () => ({ runner: inProcessRunner(handlers, { dataDir: '/data/here' }), stop: async () => {} }));

describeWithRedis('JobRunner conformance: BullMQ queue', () => {
  conformance('queue + one worker', async () => {
    const url = `${redisUrl()}?queue=conformance-${randomBytes(4).toString('hex')}`;
    const worker: QueueWorker = startQueueWorker({ url, handlers, dataDir: '/data/here' });
    await worker.ready;
    const runner = await queueRunner(url);
    return { runner, stop: () => worker.close() };
  });
});
