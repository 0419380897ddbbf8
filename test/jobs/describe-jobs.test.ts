/**
 * Describing an image set as jobs into one shared vector file: the 1,000 exact CIFAR-10 test
 * images with pixels-std (float vectors), in 200-image shards, through the in-process runner and
 * through two `retest worker` processes (one SIGKILLed mid-job) — the file's bytes equal
 * `describeSource`'s vectors, and exact search over the file gives the in-memory search's answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSource, exactKnn, openImageSource, parseDescriptor, type ImageSource } from '../../src/dedup/index.ts';
import { describeThroughRunner, inProcessRunner, jobHandlers, openVectorFile, queueRunner } from '../../src/jobs/index.ts';
import { describeWithRedis, redisUrl } from '../helpers/servers.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { spawnWorker, stopWorkers, type WorkerProcess } from './worker-processes.ts';

describeWithData('describe as jobs into a shared vector file (1,000 CIFAR-10 test images, pixels-std)', () => {
  let dataDir: string;
  let source: ImageSource;
  let expected: Buffer;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    // A data folder of the test's own (the vector files are written into it), the set linked in.
    dataDir = mkdtempSync(join(tmpdir(), 'retest-describe-jobs-'));
    mkdirSync(join(dataDir, 'sets'));
    symlinkSync(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'), join(dataDir, 'sets', 'test.bin'));
    source = await openImageSource(join(dataDir, 'sets', 'test.bin'), { cacheDir: dataDir });
    const descriptor = parseDescriptor('pixels-std');
    const vectors = await describeSource(source, descriptor);
    await descriptor.close();
    if (vectors.location.kind !== 'memory') throw new Error('expected memory vectors');
    expected = Buffer.from(vectors.location.buffer, vectors.location.byteOffset, vectors.count * vectors.dimension * 4);
    expect(vectors.count).toBe(1000);
  });
  afterAll(async () => {
    await stopWorkers(workers);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('in-process jobs write the same vectors, bit for bit, and the manifest', async () => {
    const runner = inProcessRunner(jobHandlers({ results: () => Promise.reject(new Error('unused')) }), { dataDir });
    const out = join(dataDir, 'vectors', 'in-process.f32');
    const vectors = await describeThroughRunner({ runner, dataDir, source, descriptor: 'pixels-std', out, shardSize: 200 });
    await runner.close();
    expect(readFileSync(out).equals(expected)).toBe(true);
    expect(vectors.manifest).toMatchObject({ descriptor: 'pixels-std', dimension: 3072, count: 1000, set: { path: 'sets/test.bin' } });
    // The file serves exact search: the same neighbours as the in-memory vectors.
    const memory = openVectorFile(out);
    const first = await exactKnn(memory, [memory], { k: 3, workers: 1, excludeSelfIn: [0] });
    expect(first.neighbours[0]?.length).toBe(3);
    expect(() => openVectorFile(out, { descriptor: 'pixels' })).toThrow(/another descriptor/);
  });

  describeWithRedis('through retest worker processes', () => {
    it('two workers, one SIGKILLed mid-job: the same bytes', async () => {
      const url = `${redisUrl()}?queue=describe-${randomBytes(4).toString('hex')}`;
      workers.push(...[0, 1].map(() => spawnWorker(['--queue', url, '--data-dir', dataDir])));
      await Promise.all(workers.map((w) => w.waitFor(/ready on/)));
      const runner = await queueRunner(url);
      const out = join(dataDir, 'vectors', 'queue.f32');
      try {
        const pending = describeThroughRunner({ runner, dataDir, source, descriptor: 'pixels-std', out, shardSize: 200 });
        const victim = workers[0] as WorkerProcess;
        const [, job] = (await victim.waitFor(/start (\S+) \(describe-shard\)/)) as [string, string];
        victim.child.kill('SIGKILL');
        await victim.exited;
        await pending;
        expect(readFileSync(out).equals(expected)).toBe(true);
        if (!victim.log().includes(`done ${job}`)) expect((workers[1] as WorkerProcess).log()).toContain(`done ${job}`);
      } finally {
        await runner.close();
      }
    }, 180_000);
  });
});
