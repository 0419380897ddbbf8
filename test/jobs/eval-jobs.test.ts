/**
 * `retest eval` as jobs: a real CIFAR-10 model (ResNet-20) on the 1,000 pixel-exact CIFAR-10 test
 * images, in 250-image shards. In-process jobs and two `retest worker` processes writing into
 * PostgreSQL (one SIGKILLed mid-shard) give the counts and the predictions of a plain in-process
 * `evaluate`, row for row.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openResultsStore } from '../../src/app/results.ts';
import { resolveDataset } from '../../src/datasets/index.ts';
import { evaluate } from '../../src/evaluate/index.ts';
import { inProcessRunner, jobHandlers, planEval, queueRunner } from '../../src/jobs/index.ts';
import type { ResultsStore, RunScore, StoredPrediction } from '../../src/results/index.ts';
import { describeWithPostgres, describeWithRedis, postgresUrl, redisUrl } from '../helpers/servers.ts';
import { describeWithData, SHARED, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { spawnWorker, stopWorkers, type WorkerProcess } from './worker-processes.ts';

const MODEL = join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx');
const DATASET = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');

const counts = (s: RunScore) => ({ n: s.n, failed: s.failed, top1: s.top1Correct, top5: s.top5Correct });

describeWithData('eval as jobs (ResNet-20 on the 1,000 exact CIFAR-10 test images)', () => {
  let dir: string;
  let expectedScore: RunScore;
  let expectedPredictions: StoredPrediction[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'retest-eval-jobs-'));
    const store = await openResultsStore(join(dir, 'plain.db'));
    try {
      await evaluate({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, options: { threads: 1 } });
      const runId = (await store.listScores())[0]?.runId as number;
      expectedScore = await store.score(runId);
      expectedPredictions = await store.predictions(runId);
    } finally {
      await store.close();
    }
    // A real run: about 90 % right (ResNet-20 publishes 91.73 % on the full set).
    expect(expectedScore.n).toBe(1000);
    expect(expectedScore.top1Correct).toBeGreaterThan(850);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function runQueued(store: ResultsStore, runner: Awaited<ReturnType<typeof queueRunner>>, during?: () => Promise<void>) {
    const plan = await planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: SHARED, shardSize: 250 });
    if (plan.group === null) throw new Error('already done');
    expect(plan.group.jobs[0]?.children?.length).toBe(4);
    const group = await runner.submit(plan.group);
    await during?.();
    const status = await runner.wait(group, { intervalMs: 200 });
    expect(status).toMatchObject({ state: 'done', jobs: 5, completed: 5, units: 1000, unitsDone: 1000, parked: [] });
    return plan.runId;
  }

  it('in-process jobs: the same counts and predictions as evaluate', async () => {
    const store = await openResultsStore(join(dir, 'jobs.db'));
    const runner = inProcessRunner(jobHandlers({ results: async () => store }), { dataDir: SHARED });
    try {
      const runId = await runQueued(store, runner);
      expect(counts(await store.score(runId))).toEqual(counts(expectedScore));
      expect(await store.predictions(runId)).toEqual(expectedPredictions);
      expect(await store.runStatus(runId)).toBe('done');
      // Done: planning again answers from the store, and a shard job run again writes nothing.
      const again = await planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: SHARED });
      expect(again.group).toBeNull();
      expect(again.summary?.top1.correct).toBe(expectedScore.top1Correct);
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('a worker that cannot see the data fails the job with a clear error, and the group is parked', async () => {
    const store = await openResultsStore(join(dir, 'blind.db'));
    const runner = inProcessRunner(jobHandlers({ results: async () => store }), { dataDir: join(dir, 'empty') });
    try {
      const plan = await planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: SHARED, shardSize: 1000 });
      if (plan.group === null) throw new Error('already done');
      const group = await runner.submit({ ...plan.group, attempts: 1 });
      const status = await runner.wait(group, { intervalMs: 50 });
      expect(status.state).toBe('parked');
      expect(status.parked[0]?.error).toMatch(
        /this worker cannot see the job's data: (data\/cifar10\/test_batch_first1000\.bin|models\/cifar10\/akamaster_resnet20\.onnx) is not in its data folder/,
      );
    } finally {
      await runner.close();
      await store.close();
    }
  });

  it('a worker whose --db is another store refuses the job instead of writing into another run', async () => {
    const store = await openResultsStore(join(dir, 'submitter.db'));
    const other = await openResultsStore(join(dir, 'other.db'));
    const runner = inProcessRunner(jobHandlers({ results: async () => other }), { dataDir: SHARED });
    try {
      const plan = await planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: SHARED, shardSize: 1000 });
      if (plan.group === null) throw new Error('already done');
      const status = await runner.wait(await runner.submit({ ...plan.group, attempts: 1 }), { intervalMs: 50 });
      expect(status.state).toBe('parked');
      expect(status.parked[0]?.error).toMatch(/run \d+ \(akamaster_resnet20 on test_batch_first1000\) is not in this worker's results store/);
    } finally {
      await runner.close();
      await store.close();
      await other.close();
    }
  });

  it('planning refuses data outside --data-dir (workers could not find it)', async () => {
    const store = await openResultsStore(join(dir, 'outside.db'));
    try {
      await expect(
        planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: join(SHARED, 'data') }),
      ).rejects.toThrow(/the model is not inside the data folder/);
      await expect(planEval({ store, dataset: await resolveDataset(DATASET, { cacheDir: dir }), modelPath: MODEL, dataDir: undefined })).rejects.toThrow(
        /--queue needs --data-dir/,
      );
    } finally {
      await store.close();
    }
  });

  describeWithPostgres('through retest worker processes on PostgreSQL', () => {
    describeWithRedis('(queue on Redis)', () => {
      let workers: WorkerProcess[] = [];
      afterAll(() => stopWorkers(workers));

      it('two workers, one SIGKILLed mid-shard: the same counts and predictions', async () => {
        const db = `${postgresUrl()}?schema=evaljobs_${randomBytes(4).toString('hex')}`;
        const url = `${redisUrl()}?queue=eval-${randomBytes(4).toString('hex')}`;
        const store = await openResultsStore(db);
        workers = [0, 1].map(() => spawnWorker(['--queue', url, '--db', db, '--data-dir', SHARED]));
        await Promise.all(workers.map((w) => w.waitFor(/ready on/)));
        const runner = await queueRunner(url);
        try {
          const victim = workers[0] as WorkerProcess;
          let killed = '';
          const runId = await runQueued(store, runner, async () => {
            [, killed] = (await victim.waitFor(/start (\S+) \(eval-shard\)/)) as [string, string];
            victim.child.kill('SIGKILL');
            await victim.exited;
          });
          expect(victim.log()).not.toContain(`done ${killed}`);
          expect((workers[1] as WorkerProcess).log()).toContain(`done ${killed}`);
          expect(counts(await store.score(runId))).toEqual(counts(expectedScore));
          expect(await store.predictions(runId)).toEqual(expectedPredictions);
        } finally {
          await runner.close();
          await store.close();
        }
      }, 180_000);
    });
  });
});
