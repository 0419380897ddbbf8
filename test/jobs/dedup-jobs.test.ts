/**
 * Exact dedup search split into jobs: the CIFAR-10 test images (the first 1,000, pixel-exact: a
 * subset of the test set, to keep the run short on 2 cores) against the 4,000 training images,
 * through the in-process runner and through three `retest worker` processes one of which is
 * SIGKILLed mid-job — the neighbours equal the single-machine search's, distance for distance.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openImageSource, parseDescriptor, searchSources, type ImageSource, type Neighbour } from '../../src/dedup/index.ts';
import { inProcessRunner, jobHandlers, queueRunner, searchThroughRunner, type JobRunner } from '../../src/jobs/index.ts';
import { describeWithRedis, redisUrl } from '../helpers/servers.ts';
import { describeWithData, SHARED, SHARED_DATA } from '../helpers/shared.ts';
import { spawnWorker, stopWorkers, type WorkerProcess } from './worker-processes.ts';

const QUERIES = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
const REFERENCES = join(SHARED_DATA, 'cifar10', 'data_batch_1_first4000.bin');
const K = 10;

describeWithData('dedup search as jobs (CIFAR-10 test 1,000 vs train 4,000, pixels)', () => {
  let queries: ImageSource;
  let references: ImageSource;
  let expected: Neighbour[][];

  beforeAll(async () => {
    queries = await openImageSource(QUERIES, { cacheDir: SHARED });
    references = await openImageSource(REFERENCES, { cacheDir: SHARED });
    const descriptor = parseDescriptor('pixels');
    expected = (await searchSources(queries, [references], descriptor, { k: K })).neighbours;
    await descriptor.close();
  });

  const search = (runner: JobRunner) =>
    searchThroughRunner({ runner, dataDir: SHARED, queries, references: [references], descriptor: 'pixels', k: K, queryChunk: 250, referenceShard: 1000 });

  it('in-process jobs give the single-machine neighbours exactly', async () => {
    const runner = inProcessRunner(jobHandlers({ results: () => Promise.reject(new Error('unused')) }), { dataDir: SHARED });
    const result = await search(runner);
    await runner.close();
    if (!('neighbours' in result)) throw new Error('detached');
    expect(result.neighbours.length).toBe(1000);
    expect(result.neighbours).toEqual(expected);
    // Not a vacuous comparison: real, varied distances.
    expect(new Set(expected.map((l) => l[0]?.distance)).size).toBeGreaterThan(900);
  });

  describeWithRedis('through retest worker processes', () => {
    let url: string;
    let workers: WorkerProcess[] = [];
    beforeAll(() => {
      url = `${redisUrl()}?queue=dedup-${randomBytes(4).toString('hex')}`;
    });
    afterAll(() => stopWorkers(workers));

    it('three workers, one SIGKILLed mid-job: the same neighbours, distance for distance', async () => {
      workers = [0, 1, 2].map(() => spawnWorker(['--queue', url, '--data-dir', SHARED]));
      await Promise.all(workers.map((w) => w.waitFor(/ready on/)));
      const runner = await queueRunner(url);
      try {
        const pending = search(runner);
        const victim = workers[0] as WorkerProcess;
        const [, job] = (await victim.waitFor(/start (\S+) \(dedup-search\)/)) as RegExpMatchArray;
        victim.child.kill('SIGKILL');
        await victim.exited;
        const result = await pending;
        if (!('neighbours' in result)) throw new Error('detached');
        expect(result.neighbours).toEqual(expected);
        // Killed mid-job (its first search starts worker threads: far longer than the kill takes),
        // the job was run to completion by another worker (BullMQ's stalled-job check).
        expect(victim.log()).not.toContain(`done ${job}`);
        expect(workers.slice(1).some((w) => w.log().includes(`done ${job}`))).toBe(true);
        const status = await runner.status(result.group);
        expect(status).toMatchObject({ state: 'done', jobs: 20, completed: 20, parked: [] });
      } finally {
        await runner.close();
      }
    }, 180_000);
  });
});
