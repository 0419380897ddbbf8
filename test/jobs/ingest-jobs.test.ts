/**
 * Ingest as jobs: a generated folder (JPEGs of several sizes, exact duplicates, a PNG, a corrupt
 * file) ingested in-process and with its content stored by 'ingest-batch' jobs — in-process jobs
 * and two `retest worker` processes, one SIGKILLed mid-batch — gives the same rows, the same
 * recorded failures and the same blob files.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderSource, ingest } from '../../src/collect/index.ts';
import { encodePng } from '../../src/formats/index.ts';
import { ingestThroughRunner, inProcessRunner, jobHandlers, queueRunner, type JobRunner } from '../../src/jobs/index.ts';
import { createWorkspace } from '../../src/app/workspace-stores.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { jpeg, twoTone, RED, BLUE } from '../collect/fixtures.ts';
import { describeWithRedis, redisUrl } from '../helpers/servers.ts';
import { spawnWorker, stopWorkers, type WorkerProcess } from './worker-processes.ts';

const now = () => new Date('2026-12-02T00:00:00Z');

async function rows(w: Workspace) {
  return {
    images: await w.sql.all(
      'SELECT id, role, class_idx, source, source_id, url, sha256, exact_duplicate_of, original_path, display_path, square_path, width, height, format, bytes, created_at FROM images ORDER BY rowid',
    ),
    failures: await w.sql.all('SELECT source, source_id, class_idx, url_or_path, reason, at FROM ingest_failures ORDER BY rowid'),
  };
}

function blobs(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(join(dir, 'blobs'));
  return out;
}

describe('ingest as jobs (a generated folder)', () => {
  let dataDir: string;
  let photos: string;
  let expected: Awaited<ReturnType<typeof rows>>;
  let expectedBlobs: Record<string, string>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'retest-ingest-jobs-'));
    photos = join(dataDir, 'photos');
    mkdirSync(photos);
    for (let i = 0; i < 20; i++)
      writeFileSync(join(photos, `p${String(i).padStart(2, '0')}.jpg`), await jpeg(i % 3 === 0 ? 640 : 120 + i, i % 3 === 0 ? 480 : 90 + i, i));
    writeFileSync(join(photos, 'p20-copy-of-p01.jpg'), readFileSync(join(photos, 'p01.jpg')));
    writeFileSync(join(photos, 'p21-copy-of-p03.jpg'), readFileSync(join(photos, 'p03.jpg')));
    writeFileSync(join(photos, 'p22.png'), await encodePng(twoTone(64, 48, BLUE, RED, 5)));
    writeFileSync(join(photos, 'p23-broken.jpg'), Buffer.from('this is not an image'));
    const w = await createWorkspace(join(dataDir, 'plain'), { classes: 'cifar10' });
    try {
      const summary = await ingest(w, folderSource({ root: photos, classes: w.classes, classIdx: 3 }), { now });
      expect(summary).toMatchObject({ seen: 24, ingested: 23, exactDuplicates: 2, failed: 1 });
      expected = await rows(w);
      expectedBlobs = blobs(w.dir);
    } finally {
      await closeWorkspace(w);
    }
    expect((expected.failures[0] as { reason: string }).reason).toBeTruthy();
  });
  afterAll(async () => {
    await stopWorkers(workers);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function viaJobs(runner: JobRunner, name: string) {
    const w = await createWorkspace(join(dataDir, name), { classes: 'cifar10' });
    try {
      const summary = await ingestThroughRunner({
        runner,
        dataDir,
        workspace: w,
        source: () => folderSource({ root: photos, classes: w.classes, classIdx: 3 }),
        options: { now },
        batchSize: 5,
      });
      expect(summary).toMatchObject({ seen: 24, ingested: 23, exactDuplicates: 2, failed: 1 });
      expect(await rows(w)).toEqual(expected);
      expect(blobs(w.dir)).toEqual(expectedBlobs);
      return summary;
    } finally {
      await closeWorkspace(w);
    }
  }

  it('in-process jobs: the same rows, failures and files', async () => {
    const runner = inProcessRunner(jobHandlers({ results: () => Promise.reject(new Error('unused')) }), { dataDir });
    await viaJobs(runner, 'jobs');
    await runner.close();
  });

  describeWithRedis('through retest worker processes', () => {
    it('two workers, one SIGKILLed mid-batch: the same rows, failures and files', async () => {
      const url = `${redisUrl()}?queue=ingest-${randomBytes(4).toString('hex')}`;
      workers.push(...[0, 1].map(() => spawnWorker(['--queue', url, '--data-dir', dataDir])));
      await Promise.all(workers.map((w) => w.waitFor(/ready on/)));
      const runner = await queueRunner(url);
      try {
        const pending = viaJobs(runner, 'queue');
        const victim = workers[0] as WorkerProcess;
        const [, job] = (await victim.waitFor(/start (\S+) \(ingest-batch\)/)) as [string, string];
        victim.child.kill('SIGKILL');
        await victim.exited;
        await pending;
        if (!victim.log().includes(`done ${job}`)) expect((workers[1] as WorkerProcess).log()).toContain(`done ${job}`);
      } finally {
        await runner.close();
      }
    }, 180_000);
  });
});
