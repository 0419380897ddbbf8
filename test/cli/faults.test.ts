/**
 * Store, workspace and output-folder faults end as data/io errors naming the file, with a hint,
 * exit 1 — never "this is a bug" (exit 70) and never a hang.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openResultsStore } from '../helpers/results.ts';
import { openSqliteDatabase } from '../../src/store/index.ts';
import { REPO_ROOT } from '../helpers/shared.ts';
import { noUnprivilegedReason, unprivilegedPrefix } from '../helpers/unprivileged.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');

function retest(args: string[], options: { unprivileged?: boolean; timeoutMs?: number } = {}) {
  const prefix = options.unprivileged ? (unprivilegedPrefix() ?? []) : [];
  const [command, ...rest] = [...prefix, process.execPath, BIN, ...args];
  const r = spawnSync(command!, rest, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    env: { ...process.env, RETEST_CACHE: join(tmpdir(), 'retest-empty-cache') },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'retest-faults-'));
const predictions = join(dir, 'preds.csv');
const labels = join(dir, 'labels.csv');
writeFileSync(predictions, 'image_id,top1\na,0\nb,1\n');
writeFileSync(labels, 'image_id,label\na,0\nb,1\n');

function expectCleanError(r: ReturnType<typeof retest>, file: string, message: RegExp) {
  expect(r.stderr).not.toMatch(/this is a bug/);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toContain(`file:     ${file}`);
  expect(r.stderr).toMatch(/hint:/);
}

describe('a broken --db', () => {
  it('a file that is not SQLite is a data error naming it', () => {
    const db = join(dir, 'not-sqlite.db');
    writeFileSync(db, 'model,dataset\n'.repeat(200));
    expectCleanError(retest(['import', 'csv', predictions, '--dataset', 'set', '--labels', labels, '--db', db]), db, /not a SQLite database/);
  });

  it('a truncated store is a data error naming it', async () => {
    const db = join(dir, 'truncated.db');
    const store = await openResultsStore(db);
    await store.registerDataset({
      name: 'set',
      source: 's',
      numClasses: 2,
      images: Array.from({ length: 2000 }, (_, i) => ({ imageId: `image-${i}`, label: i % 2 })),
    });
    const raw = openSqliteDatabase(db);
    await raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    await raw.close();
    await store.close();
    expect(statSync(db).size).toBeGreaterThan(20_000);
    truncateSync(db, 12_288);
    expectCleanError(retest(['import', 'csv', predictions, '--dataset', 'set', '--labels', labels, '--db', db]), db, /damaged/);
  });

  it('a store under a file, or in a folder that cannot be written, is an io error', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expectCleanError(
      retest(['import', 'csv', predictions, '--dataset', 'set', '--labels', labels, '--db', join(file, 'r.db')]),
      file,
      /is a file, not a folder/,
    );
    const sys = retest(['import', 'csv', predictions, '--dataset', 'set', '--labels', labels, '--db', '/sys/retest-test.db']);
    expect(sys.stderr).not.toMatch(/this is a bug/);
    expect(sys.code).toBe(1);
    expect(sys.stderr).toContain('/sys');
  });

  it('a folder given as --db is refused', () => {
    expectCleanError(retest(['import', 'csv', predictions, '--dataset', 'set', '--labels', labels, '--db', dir]), dir, /store path is a folder/);
  });
});

describe.skipIf(noUnprivilegedReason() !== null)('a read-only workspace', () => {
  it('`retest serve` says the workspace cannot be written, naming it (exit 1)', () => {
    const parent = mkdtempSync(join(tmpdir(), 'retest-ro-ws-'));
    chmodSync(parent, 0o755); // reachable by the unprivileged process; only the workspace is read-only
    const ws = join(parent, 'ws');
    expect(retest(['init', ws, '--classes', 'cifar10', '--json']).code).toBe(0);
    for (const path of [join(ws, 'workspace.db'), join(ws, 'retest.json'), ws]) chmodSync(path, 0o555);
    try {
      const r = retest(['serve', '--workspace', ws, '--port', '0', '--quiet'], { unprivileged: true, timeoutMs: 30_000 });
      expect(r.signal).toBeNull();
      expectCleanError(r, ws, /cannot create or write|read-only/);
    } finally {
      chmodSync(ws, 0o755);
    }
  });

  it('a read-only store file in a writable folder is an io error naming the file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'retest-ro-db-'));
    chmodSync(folder, 0o777); // the folder is writable for everyone; only the file is not
    const db = join(folder, 'r.db');
    await (await openResultsStore(db)).close();
    chmodSync(db, 0o444);
    const r = retest(['import', 'csv', predictions, '--dataset', 'set', '--labels', labels, '--db', db], { unprivileged: true });
    expectCleanError(r, db, /read-only|cannot be opened/);
  });
});

describe('report --out', () => {
  it('under a file is an io error naming the file', () => {
    const file = join(dir, 'report-file');
    writeFileSync(file, 'x');
    expectCleanError(retest(['report', '--out', join(file, 'out'), '--db', join(dir, 'none.db'), '--resamples', '100']), file, /is a file, not a folder/);
  });

  it('in a place that takes no folders fails at once instead of hanging', () => {
    const r = retest(['report', '--out', '/proc/retest-forbidden', '--db', join(dir, 'none.db'), '--resamples', '100'], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expectCleanError(r, '/proc/retest-forbidden', /cannot create the folder/);
  });
});
