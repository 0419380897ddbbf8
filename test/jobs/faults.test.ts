/**
 * Faults around the queue: SIGTERM drains a worker (its running job finishes, it takes no new one),
 * a Redis restart (AOF) loses no queued job, and a PostgreSQL connection drop under a running
 * worker is retried — each time the result equals the clean run's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultsStore } from '../../src/app/results.ts';
import { resolveDataset } from '../../src/datasets/index.ts';
import { openImageSource, parseDescriptor, searchSources, type Neighbour } from '../../src/dedup/index.ts';
import { planDedupSearch, planEval, queueRunner, fileRef, mergedNeighbours } from '../../src/jobs/index.ts';
import type { RunScore } from '../../src/results/index.ts';
import { describeWithPostgres, describeWithRedis, postgresUrl, redisUrl } from '../helpers/servers.ts';
import { describeWithData, SHARED, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { spawnWorker, stopWorkers, type WorkerProcess } from './worker-processes.ts';

const MODEL = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
const DATASET = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
const TRAIN = join(SHARED_DATA, 'cifar10', 'data_batch_1_first4000.bin');
const counts = (s: RunScore) => ({ n: s.n, failed: s.failed, top1: s.top1Correct, top5: s.top5Correct });

describeWithData('queue faults', () => {
  let dir: string;
  const workers: WorkerProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'retest-faults-'));
  });
  afterAll(async () => {
    await stopWorkers(workers);
    rmSync(dir, { recursive: true, force: true });
  });

  describeWithRedis('SIGTERM', () => {
    it('drains a worker: the running shard finishes, nothing new is taken, another worker finishes the run', async () => {
      const url = `${redisUrl()}?queue=drain-${randomBytes(4).toString('hex')}`;
      const db = join(dir, 'drain.db');
      const store = await openResultsStore(db);
      const runner = await queueRunner(url);
      try {
        const plan = await planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: SHARED, shardSize: 500 });
        if (plan.group === null) throw new Error('already done');
        const first = spawnWorker(['--queue', url, '--db', db, '--data-dir', SHARED]);
        workers.push(first);
        await first.waitFor(/ready on/);
        const group = await runner.submit(plan.group);
        const [, shard] = (await first.waitFor(/start (\S+) \(eval-shard\)/)) as [string, string];
        first.child.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        expect(first.log()).toContain(`done ${shard}`);
        expect(first.log()).toContain('worker stopped');
        // Exactly the one job it was running completed; the rest wait for a worker.
        const between = await runner.status(group);
        expect(between).toMatchObject({ state: 'running', completed: 1, active: 0 });
        const second = spawnWorker(['--queue', url, '--db', db, '--data-dir', SHARED]);
        workers.push(second);
        expect((await runner.wait(group, { intervalMs: 200 })).state).toBe('done');
        expect((await store.score(plan.runId)).n).toBe(1000);
        expect(await store.runStatus(plan.runId)).toBe('done');
      } finally {
        await runner.close();
        await store.close();
      }
    }, 180_000);
  });

  // A throwaway redis-server of this test's own (it is killed and restarted): needs the binary.
  const withRedisBinary = existsSync('/usr/bin/redis-server')
    ? describe
    : (name: string, fn: () => void) => {
        console.warn(`[skip] ${name}: /usr/bin/redis-server is not installed (apt install redis-server)`);
        describe.skip(name, fn);
      };
  withRedisBinary('Redis restart', () => {
    let port: number;
    let redisDir: string;
    let server: ChildProcess | null = null;
    const startRedis = async () => {
      server = spawn(
        '/usr/bin/redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'],
        { stdio: 'ignore' },
      );
      for (let i = 0; i < 100; i++) {
        if (spawnSync('/usr/bin/redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('redis did not start');
    };
    beforeAll(async () => {
      port = await freePort();
      redisDir = mkdtempSync(join(tmpdir(), 'retest-aof-'));
    });
    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((r) => server?.once('exit', r));
        server.kill('SIGKILL');
        await exited;
      }
      rmSync(redisDir, { recursive: true, force: true });
    });

    it('a Redis SIGKILLed and restarted (AOF) keeps every queued job: the search completes with the same neighbours', async () => {
      await startRedis();
      const url = `redis://127.0.0.1:${port}?queue=aof`;
      const group = planDedupSearch({
        descriptor: 'pixels',
        k: 5,
        queries: { ref: await fileRef(DATASET, SHARED, 'queries'), count: 200 },
        references: [{ ref: await fileRef(TRAIN, SHARED, 'references'), count: 4000 }],
        queryChunk: 100,
        referenceShard: 1000,
      });
      const before = await queueRunner(url);
      const id = await before.submit(group);
      expect((await before.status(id))?.jobs).toBe(10);
      await before.close();
      const killed = new Promise((r) => server?.once('exit', r));
      server?.kill('SIGKILL');
      await killed;
      await startRedis();
      const worker = spawnWorker(['--queue', url, '--data-dir', SHARED]);
      workers.push(worker);
      const after = await queueRunner(url);
      try {
        const status = await after.wait(id, { intervalMs: 200 });
        expect(status).toMatchObject({ state: 'done', jobs: 10, completed: 10 });
        const { neighbours } = mergedNeighbours(await after.results(id), 200);
        const queries = await openImageSource(DATASET, { cacheDir: dir });
        const references = await openImageSource(TRAIN, { cacheDir: dir });
        const descriptor = parseDescriptor('pixels');
        const expected: Neighbour[][] = (await searchSources(queries, [references], descriptor, { k: 5 })).neighbours.slice(0, 200);
        await descriptor.close();
        expect(neighbours).toEqual(expected);
      } finally {
        await after.close();
      }
    }, 180_000);
  });

  describeWithPostgres('PostgreSQL connection drop', () => {
    describeWithRedis('(queue on Redis)', () => {
      it("the workers' connections terminated mid-run: retried, the counts equal a clean run's", async () => {
        const db = `${postgresUrl()}?schema=drop_${randomBytes(4).toString('hex')}`;
        const url = `${redisUrl()}?queue=drop-${randomBytes(4).toString('hex')}`;
        const clean = await openResultsStore(join(dir, 'clean.db'));
        const { evaluate } = await import('../../src/evaluate/index.ts');
        await evaluate({ store: clean, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, options: { threads: 1 } });
        const expected = counts(await clean.score((await clean.listScores())[0]?.runId as number));
        await clean.close();

        const store = await openResultsStore(db);
        const runner = await queueRunner(url);
        const admin = new pg.Client({ connectionString: postgresUrl() });
        await admin.connect();
        try {
          const plan = await planEval({
            store,
            dataset: await resolveDataset(DATASET, { cacheDir: dir }),
            modelPath: MODEL,
            dataDir: SHARED,
            shardSize: 100,
            options: { batchSize: 25 },
          });
          if (plan.group === null) throw new Error('already done');
          const worker = spawnWorker(['--queue', url, '--db', db, '--data-dir', SHARED]);
          workers.push(worker);
          const group = await runner.submit(plan.group);
          await worker.waitFor(/done \S+shard-0 /);
          // Every other session on the database, the worker's pool included, is cut.
          const cut = await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          );
          expect(cut.rowCount).toBeGreaterThan(0);
          const status = await runner.wait(group, { intervalMs: 200 });
          expect(status.state).toBe('done');
          expect(counts(await store.score(plan.runId))).toEqual(expected);
        } finally {
          await admin.end();
          await runner.close();
          await store.close().catch(() => {});
        }
      }, 180_000);
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
