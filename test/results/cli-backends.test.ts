/**
 * The results commands end to end on both backends: `retest eval`, `import`, `analyze`, `report`
 * and `db status` with `--db FILE` and with `--db postgres://…` (and `RETEST_DB`) give the same
 * counts, the same analysis and the same report. On PostgreSQL, two `retest eval` of one run at
 * once (two processes, two connection pools) still predict every image once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_SCHEMA } from '../../src/app/results.ts';
import { connectStore } from '../../src/store/index.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';
import { describeWithData, REPO_ROOT, SHARED_DATA, SHARED_MODELS } from '../helpers/shared.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
const dir = mkdtempSync(join(tmpdir(), 'retest-backends-'));

function retest(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, RETEST_CACHE: join(dir, 'cache'), ...env } });
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

async function json(args: string[], env: Record<string, string> = {}): Promise<any> {
  const r = await retest([...args, '--json'], env);
  expect(r.stderr, args.join(' ')).not.toMatch(/this is a bug/);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Everything the pipeline answers on one store, with what legitimately differs (where, how fast) left out. */
async function pipeline(db: string, env: Record<string, string> = {}) {
  const model = (name: string) => join(SHARED_MODELS, 'cifar10', `${name}.onnx`);
  const images = join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin');
  const evals = [];
  for (const name of ['akamaster_resnet20', 'mlperf_tiny_resnet8']) {
    const { images_per_second: _speed, ...summary } = await json(
      ['eval', '--model', model(name), '--dataset', images, '--db', db, '--batch-size', '100', '--threads', '1'],
      env,
    );
    evals.push(summary);
  }
  const { images_per_second: _then, ...again } = await json(['eval', '--model', model('akamaster_resnet20'), '--dataset', images, '--db', db], env); // finished: from the store
  const { db: _where, ...imported } = await json(
    [
      'import',
      'cifar10.1',
      join(SHARED_DATA, 'cifar10.1-predictions'),
      '--metadata',
      SHARED_DATA,
      '--include',
      'wrn_28_10',
      'resnet_basic_32',
      'vgg_15_BN_64',
      '--db',
      db,
    ],
    env,
  );
  const analysis = await json(
    [
      'analyze',
      '--new',
      'cifar10.1-v6',
      '--resamples',
      '300',
      '--per-class',
      '--frequencies',
      join(SHARED_DATA, 'cifar10h', 'cifar10h-counts.npy'),
      '--db',
      db,
    ],
    env,
  );
  const out = join(dir, `report-${Math.random().toString(36).slice(2)}`);
  const { out: _out, index: _index, ...report } = await json(['report', '--out', out, '--published', 'recht2019', '--resamples', '300', '--db', db], env);
  const status = await json(['db', 'status', '--db', db], env);
  return { evals, again, imported, analysis, report, summaryMd: readFileSync(join(out, 'summary.md'), 'utf8'), status };
}

describeWithData('the results commands on SQLite and on PostgreSQL', () => {
  describeWithPostgres('give the same answers', () => {
    const pg = `${postgresUrl()}?schema=results_e2e_${process.pid}`;
    let sqlite: Awaited<ReturnType<typeof pipeline>>;
    let postgres: Awaited<ReturnType<typeof pipeline>>;
    beforeAll(async () => {
      sqlite = await pipeline(join(dir, 'results.db'));
      // PostgreSQL through RETEST_DB (no --db): the same value, from the environment.
      postgres = await pipeline(pg, { RETEST_DB: pg });
    }, 300_000);

    it('eval: the same counts (ResNet-20 915/1000, ResNet-8 881/1000), answered from the store the second time', () => {
      expect(sqlite.evals.map((e) => e.top1.correct)).toEqual([915, 881]);
      expect(postgres.evals).toEqual(sqlite.evals);
      expect(postgres.again).toMatchObject({ top1: { correct: 915 } });
      expect(postgres.again).toEqual(sqlite.again);
    });

    it('import, analyze and report: the same runs, fits, per-class and frequency bins, and report', () => {
      expect(sqlite.imported.runs).toHaveLength(9);
      expect(postgres.imported).toEqual(sqlite.imported);
      expect(sqlite.analysis.models).toHaveLength(3);
      expect(postgres.analysis).toEqual(sqlite.analysis);
      expect(postgres.report).toEqual(sqlite.report);
      expect(postgres.summaryMd).toEqual(sqlite.summaryMd);
    });

    it('db status: every migration applied on both, on its backend', () => {
      const [s, p] = [sqlite.status.stores[0], postgres.status.stores[0]];
      expect([s.dialect, p.dialect]).toEqual(['sqlite', 'postgres']);
      expect(p.location).toContain('schema=results_e2e_');
      expect(p.applied.map((a: { name: string }) => a.name).sort()).toEqual(s.applied.map((a: { name: string }) => a.name).sort());
      expect([s.pending, p.pending, p.unknown]).toEqual([[], [], []]);
    });
  });

  describeWithPostgres('two `retest eval` of one run at once on PostgreSQL', () => {
    it('both succeed with the same answer; every image is predicted once', async () => {
      const pg = `${postgresUrl()}?schema=results_e2e_race_${process.pid}`;
      const args = [
        'eval',
        '--model',
        join(SHARED_MODELS, 'cifar10', 'akamaster_resnet20.onnx'),
        '--dataset',
        join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'),
        '--db',
        pg,
        '--batch-size',
        '50',
        '--threads',
        '1',
        '--json',
      ];
      const [first, second] = await Promise.all([retest(args), retest(args)]);
      for (const r of [first, second]) {
        expect(r.stderr).not.toMatch(/bug|duplicate key/);
        expect(r.code).toBe(0);
      }
      expect(JSON.parse(first.stdout).top1.correct).toBe(915);
      expect(JSON.parse(second.stdout).top1.correct).toBe(915);
      const raw = await connectStore(pg, { defaultSchema: RESULTS_SCHEMA });
      try {
        expect(await raw.get('SELECT COUNT(*) AS n, COUNT(DISTINCT idx) AS d FROM predictions')).toEqual({ n: 1000, d: 1000 });
        expect(await raw.get('SELECT COUNT(*) AS n, MAX(predicted) AS predicted, MAX(top1_correct) AS top1 FROM runs')).toEqual({
          n: 1,
          predicted: 1000,
          top1: 915,
        });
      } finally {
        await raw.close();
      }
    }, 120_000);
  });
});

describe('--db values', () => {
  it('a URL of another scheme is a usage error naming --db (exit 2), for every command that takes it', async () => {
    for (const args of [
      ['eval', '--model', 'm.onnx', '--dataset', 'x'],
      ['import', 'csv', 'p.csv', '--dataset', 'x'],
      ['analyze', '--new', 'cifar10.1-v6'],
      ['report', '--out', join(dir, 'r')],
      ['db', 'status'],
    ]) {
      const r = await retest([...args, '--db', 'mysql://user:secret@host/db']);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toMatch(/unsupported store URL scheme "mysql:"/);
      expect(r.stderr).not.toContain('secret');
    }
    const env = await retest(['analyze', '--new', 'cifar10.1-v6'], { RETEST_DB: 'redis://localhost/0' });
    expect([env.code, env.stderr.includes('unsupported store URL scheme "redis:"')]).toEqual([2, true]);
  }, 120_000);

  it('sqlite:PATH is the SQLite file at PATH', async () => {
    const file = join(dir, 'prefixed.db');
    const status = await json(['db', 'migrate', '--db', `sqlite:${file}`]);
    expect(status.stores[0]).toMatchObject({ store: 'results', location: file, dialect: 'sqlite', exists: true, pending: [] });
  }, 60_000);
});
