/**
 * Two evaluations of the same run at once: the second waits for the first and answers from the
 * store (no UNIQUE crash, no prediction written twice); a killed holder's run is taken over.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openResultsStore, queryRow } from '../helpers/results.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('run leases', () => {
  it('refuse a second live owner, and hand over a run whose holder is gone', async () => {
    const store = await openResultsStore(join(mkdtempSync(join(tmpdir(), 'retest-lease-')), 'r.db'));
    const d = await store.registerDataset({ name: 'set', source: 's', numClasses: 2, images: [{ imageId: 'a', label: 0 }] });
    const run = await store.openRun(await store.registerModel({ name: 'm', kind: 'onnx', sha256: 'x' }), d.id, {});
    const me = { id: `${hostname()}:${process.pid}`, leaseSeconds: 60 };
    const other = { id: `${hostname()}:${process.ppid}`, leaseSeconds: 60 }; // alive: our parent
    const gone = { id: `${hostname()}:999999999`, leaseSeconds: 60 };
    expect(await store.leaseRun(run.id, other)).toEqual({ acquired: true });
    expect(await store.leaseRun(run.id, me)).toMatchObject({ acquired: false, owner: other.id });
    // Writing without the lease is refused: the holder alone writes.
    await expect(store.writePredictions(run.id, [{ idx: 0, topk: [0], scores: [1], error: null }], me)).rejects.toThrow(/another process took over/);
    await store.releaseRun(run.id, other);
    expect(await store.leaseRun(run.id, gone)).toEqual({ acquired: true });
    expect(await store.leaseRun(run.id, me)).toEqual({ acquired: true }); // pid 999999999 does not exist here
    await store.writePredictions(run.id, [{ idx: 0, topk: [0], scores: [1], error: null }], me);
    expect([...(await store.doneIndices(run.id))]).toEqual([0]);
    await store.close();
  });
});

describeWithData('two `retest eval` of the same run at once', () => {
  it('both succeed with the same answer; every image is predicted once', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'retest-concurrent-')), 'r.db');
    const args = [
      'eval',
      '--model',
      join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx'),
      '--dataset',
      join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'),
      '--db',
      db,
      '--batch-size',
      '50',
      '--threads',
      '1',
      '--json',
    ];
    const [first, second] = await Promise.all([run(args), run(args)]);
    for (const r of [first, second]) {
      expect(r.stderr).not.toMatch(/bug|UNIQUE/);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(JSON.parse(first.stdout).top1.correct).toBe(915);
    expect(JSON.parse(second.stdout).top1.correct).toBe(915);
    expect(await queryRow(db, 'SELECT COUNT(*) AS n, COUNT(DISTINCT idx) AS d FROM predictions')).toEqual({ n: 1000, d: 1000 });
    expect(await queryRow(db, 'SELECT COUNT(*) AS n FROM runs')).toEqual({ n: 1 });
  }, 120_000);
});
