/**
 * Savepoints on the database port (src/store/savepoint.ts) and the server's group commit built on
 * them (src/server/group-commit.ts), on SQLite and on PostgreSQL: a failing savepoint undoes only
 * itself, the outer transaction commits the rest; a batch's jobs resolve only after its COMMIT.
 */
import { expect, it } from 'vitest';
import { GroupCommit } from '../../src/server/group-commit.ts';
import { savepointDatabase, withSavepoint, type SqlDatabase } from '../../src/store/index.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const migrations = [{ name: 'test-001-t', sql: 'CREATE TABLE t (x INTEGER PRIMARY KEY, note TEXT)' }];

const xs = async (db: SqlDatabase) => (await db.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x);

onBothBackends('savepoints', migrations, (fresh) => {
  it('a failing savepoint rolls back only itself; nested savepoints and insertMany on the view', async () => {
    const db = await fresh();
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (x) VALUES (1)');
      await expect(
        withSavepoint(tx, async (s) => {
          await s.run('INSERT INTO t (x) VALUES (2)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      // A statement error (duplicate key) inside a savepoint leaves the transaction usable, on PostgreSQL too.
      await expect(withSavepoint(tx, (s) => s.run('INSERT INTO t (x) VALUES (1)'))).rejects.toThrow();
      const view = savepointDatabase(tx, db.location);
      expect(view.dialect).toBe(db.dialect);
      let order: string[] = [];
      const a = view.transaction(async (v) => {
        await v.run('INSERT INTO t (x) VALUES (3)');
        order.push('first');
      });
      const b = view.get('SELECT 1 AS one').then(() => order.push('statement after it'));
      await Promise.all([a, b]);
      expect(order).toEqual(['first', 'statement after it']);
      order = [];
      expect(await view.insertMany('t', ['x'], [[4], [5]])).toBe(2);
      await expect(view.insertMany('t', ['x'], [[6], [4]])).rejects.toThrow(); // all or none
      expect(await view.get<{ n: number }>('SELECT COUNT(*) AS n FROM t')).toEqual({ n: 4 });
      await view.close();
      await expect(view.all('SELECT 1')).rejects.toThrow(/closed/);
    });
    expect(await xs(db)).toEqual([1, 3, 4, 5]);
  });

  it('group commit: one transaction for the writes of one turn; a failing job undoes only itself; results after COMMIT', async () => {
    const db = await fresh();
    const gc = new GroupCommit(db, (view) => view);
    const results = await Promise.allSettled([
      gc.run(async (v) => (await v.run('INSERT INTO t (x) VALUES (1)')).changes),
      gc.run(async (v) => {
        await v.run('INSERT INTO t (x) VALUES (2)');
        await v.transaction(async (tx) => tx.run('INSERT INTO t (x) VALUES (20)'));
        throw new Error('boom');
      }),
      gc.run(async (v) => v.transaction(async (tx) => (await tx.run('INSERT INTO t (x) VALUES (3)')).changes)),
      gc.run(async (v) => v.run('INSERT INTO t (x) VALUES (1)')), // duplicate key: fails alone
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('boom');
    expect((results[0] as PromiseFulfilledResult<number>).value).toBe(1);
    expect(await xs(db)).toEqual([1, 3]);
    expect(gc.stats).toEqual({ batches: 1, jobs: 4, largest: 4 });
    // Writes asked for while a batch commits go into the next batch.
    const first = gc.run(async (v) => v.run('INSERT INTO t (x) VALUES (4)'));
    await new Promise((r) => setImmediate(r));
    const second = gc.run(async (v) => v.run('INSERT INTO t (x) VALUES (5)'));
    await Promise.all([first, second]);
    expect(await xs(db)).toEqual([1, 3, 4, 5]);
    expect(gc.stats.batches).toBeGreaterThanOrEqual(2);
  });
});
