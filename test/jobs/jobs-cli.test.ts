/**
 * The command line around the queue: `retest eval --queue --detach` submits and returns,
 * `retest jobs status|cancel` report on and remove the group, a bad --queue is a usage error.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { progressLine, type GroupStatus } from '../../src/jobs/index.ts';
import { describeWithRedis, redisUrl } from '../helpers/servers.ts';
import { describeWithData, REPO_ROOT, SHARED, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';
import { describe } from 'vitest';

function retest(args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'retest.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, RETEST_FROM_SOURCE: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('progress line', () => {
  it('shows jobs, images, rate, ETA, workers and parked jobs', () => {
    const status: GroupStatus = {
      id: 'g1',
      name: 'eval',
      submitted: '',
      state: 'running',
      jobs: 5,
      completed: 2,
      active: 2,
      units: 10_000,
      unitsDone: 4000,
      parked: [{ id: 'shard-3', kind: 'eval-shard', attempts: 3, error: 'x' }],
      workers: 3,
    };
    expect(progressLine(status, 10, 0)).toBe('running · jobs 2/5 · 4000/10000 images · 400 images/s · ETA 15 s · workers 3 · 1 parked');
    expect(progressLine({ ...status, unitsDone: 1000 }, 10, 1000)).toContain('ETA —');
  });
});

describe('--queue on the command line', () => {
  it('a bad --queue is a usage error naming the option', () => {
    const r = retest(['jobs', 'status', '--queue', 'http://localhost:6379']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--queue must be a Redis URL/);
  });
});

describeWithData('retest eval --queue --detach, retest jobs status|cancel', () => {
  describeWithRedis('on the test Redis', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'retest-jobs-cli-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('submits, reports the waiting group, cancels it', () => {
      const queue = `${redisUrl()}?queue=cli-${randomBytes(4).toString('hex')}`;
      const db = join(dir, 'r.db');
      const submitted = retest([
        'eval',
        '--model',
        join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx'),
        '--dataset',
        join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'),
        '--db',
        db,
        '--data-dir',
        SHARED,
        '--queue',
        queue,
        '--detach',
        '--json',
      ]);
      expect(submitted.stderr).toBe('');
      expect(submitted.code).toBe(0);
      const { group, detached } = JSON.parse(submitted.stdout) as { group: string; detached: boolean };
      expect(detached).toBe(true);

      const status = retest(['jobs', 'status', group, '--queue', queue, '--json']);
      expect(status.code).toBe(0);
      const [g] = (JSON.parse(status.stdout) as { groups: GroupStatus[] }).groups;
      expect(g).toMatchObject({ id: group, state: 'running', jobs: 2, completed: 0, units: 1000, unitsDone: 0, workers: 0, parked: [] });
      expect(g?.name).toMatch(/^eval akamaster_resnet20 on test_batch_first1000/);

      const text = retest(['jobs', 'status', '--queue', queue]);
      expect(text.stdout).toContain(`${group}  running`);

      const cancelled = retest(['jobs', 'cancel', group, '--queue', queue, '--json']);
      expect(JSON.parse(cancelled.stdout)).toEqual({ group, removed: 2 });
      const after = retest(['jobs', 'status', group, '--queue', queue, '--json']);
      expect((JSON.parse(after.stdout) as { groups: GroupStatus[] }).groups[0]?.state).toBe('cancelled');

      const missing = retest(['jobs', 'retry', 'g-nope', '--queue', queue]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/no job group g-nope on this queue/);
    }, 120_000);
  });
});
