/**
 * Durable commits off the event loop (src/store/sqlite-durability.ts): `sync()` fdatasyncs the WAL
 * once for all waiting callers, and background checkpoints keep the WAL bounded while the
 * connection itself never checkpoints.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { backgroundCheckpointer, openSqliteDatabase } from '../../src/store/sqlite-database.ts';
import { WalSync } from '../../src/store/sqlite-durability.ts';

const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'retest-durable-')), name);

/** A sync that waits until released, counting calls (the disk of a busy machine). */
function gatedSync() {
  const calls: FileHandle[] = [];
  let release: () => void = () => {};
  const syncFile = (file: FileHandle) => {
    calls.push(file);
    return new Promise<void>((resolve) => {
      release = resolve;
    });
  };
  return { calls, syncFile, release: () => release() };
}

describe('WalSync', () => {
  it('shares one fdatasync between the callers that arrive while one runs', async () => {
    const path = tempFile('a.db');
    const gate = gatedSync();
    const db = openSqliteDatabase(path, { syncFile: gate.syncFile });
    await db.exec('CREATE TABLE t (x INTEGER)');
    await db.run('INSERT INTO t VALUES (1)');
    const first = db.sync();
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.calls.length).toBe(1); // the folder entry of the new WAL, once
    gate.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.calls.length).toBe(2); // the WAL
    gate.release();
    await first;
    const second = db.sync();
    await new Promise((r) => setTimeout(r, 10));
    // 50 callers commit and ask for durability while the second sync is on the disk.
    const waiting: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      await db.run('INSERT INTO t VALUES (?)', [i]);
      waiting.push(db.sync());
    }
    let settled = 0;
    for (const w of waiting) void w.then(() => settled++);
    // The event loop runs on while the syncs wait: timers fire, nothing has settled yet.
    const tick = await new Promise<number>((r) => setTimeout(() => r(settled), 30));
    expect(tick).toBe(0);
    gate.release();
    await second;
    await new Promise((r) => setTimeout(r, 10));
    expect(gate.calls.length).toBe(4); // folder, first, second, one more for all 50
    gate.release();
    await Promise.all(waiting);
    expect(settled).toBe(50);
    await db.close();
  });

  it('reports a failed sync as an io error naming the WAL file', async () => {
    const path = tempFile('b.db');
    const db = openSqliteDatabase(path, {
      syncFile: async () => {
        throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      },
    });
    await db.exec('CREATE TABLE t (x INTEGER)');
    const error = await db.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetestError);
    expect((error as RetestError).kind).toBe('io');
    expect((error as RetestError).file).toBe(`${path}-wal`);
    await db.close();
  });

  it('does nothing for a file whose WAL is gone, and for an in-memory database', async () => {
    const sync = new WalSync(tempFile('none.db-wal'));
    await sync.sync();
    expect(sync.syncs).toBe(0);
    const memory = openSqliteDatabase(':memory:');
    await memory.sync();
    await memory.close();
  });
});

describe('background checkpoints', () => {
  it('keep the WAL bounded while the connection never checkpoints, and close removes the WAL', async () => {
    const path = tempFile('c.db');
    const threshold = 256 * 1024;
    const db = openSqliteDatabase(path, { backgroundCheckpoints: { thresholdBytes: threshold, intervalMs: 20 } });
    expect(await db.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 0 });
    await db.exec('CREATE TABLE t (x INTEGER, pad BLOB)');
    const checkpointer = backgroundCheckpointer(db);
    expect(checkpointer).toBeDefined();
    await checkpointer?.checkpoint(); // the worker thread is up (it takes a moment under tsx)
    const pad = Buffer.alloc(4000, 7);
    let largest = 0;
    const rows = 1200; // ~3 pages a row: ~14 MB of WAL frames in all, 55× the threshold
    for (let i = 0; i < rows; i++) {
      await db.run('INSERT INTO t VALUES (?, ?)', [i, pad]);
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      if (i % 30 === 29) await new Promise((r) => setTimeout(r, 40));
    }
    // Without checkpoints the WAL would hold every frame written; SQLite's own threshold is 4 MB.
    expect(checkpointer?.stats.checkpoints).toBeGreaterThan(5);
    expect(checkpointer?.stats.failures).toBe(0);
    expect(largest).toBeLessThan(2_000_000);
    expect(await db.get('SELECT COUNT(*) AS n, SUM(x) AS s FROM t')).toEqual({ n: rows, s: ((rows - 1) * rows) / 2 });
    await db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = openSqliteDatabase(path);
    expect(await again.get('SELECT COUNT(*) AS n FROM t')).toEqual({ n: rows });
    await again.close();
  }, 30_000);

  it("are off by default: the connection checkpoints at SQLite's own threshold", async () => {
    const db = openSqliteDatabase(tempFile('d.db'));
    expect(await db.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 1000 });
    await db.close();
  });
});
