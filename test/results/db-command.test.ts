/**
 * `retest db status|migrate` on the results store, on SQLite and PostgreSQL: status changes
 * nothing (a missing SQLite file is not created), migrate applies every pending migration, and a
 * store written by a newer retest is listed with its unknown migrations and refused when opened.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULTS_SCHEMA } from '../../src/app/results.ts';
import { RESULTS_MIGRATIONS } from '../../src/results/index.ts';
import { connectStore } from '../../src/store/index.ts';
import { runMain } from '../helpers/main.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';

const ALL = RESULTS_MIGRATIONS.map((m) => m.name);

/** Runs `retest ARGS` in this process; its exit code, stdout and stderr. */
const retest = runMain;

function dbCommand(store: () => string, dialect: 'sqlite' | 'postgres'): void {
  it('status shows every migration pending on a new store, migrate applies them all', async () => {
    const db = store();
    const before = JSON.parse((await retest(['db', 'status', '--db', db, '--json'])).stdout).stores[0];
    expect(before).toMatchObject({ store: 'results', dialect, applied: [], pending: ALL, unknown: [] });
    if (dialect === 'sqlite') expect([before.exists, existsSync(db)]).toEqual([false, false]); // status created nothing
    const migrated = await retest(['db', 'migrate', '--db', db, '--json']);
    expect(migrated.code).toBe(0);
    const after = JSON.parse(migrated.stdout).stores[0];
    expect(after).toMatchObject({ exists: true, pending: [], unknown: [] });
    expect(after.applied.map((a: { name: string }) => a.name).sort()).toEqual([...ALL].sort());
    expect(after.applied.every((a: { applied_at: string }) => /^\d{4}-\d\d-\d\dT/.test(a.applied_at))).toBe(true);
    const text = await retest(['db', 'status', '--db', db]);
    expect(text.stdout).toMatch(
      new RegExp(`results store  .* \\(${dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'}\\)\\n  ${ALL.length} applied, 0 pending\\n`),
    );
    expect(text.stdout).toMatch(/applied {2}results-003-run-counts +\d{4}-/);
  });

  it('a store written by a newer retest: listed with its unknown migration, refused by migrate and by every command', async () => {
    const db = store();
    expect((await retest(['db', 'migrate', '--db', db])).code).toBe(0);
    const raw = await connectStore(db, { defaultSchema: RESULTS_SCHEMA });
    await raw.run("INSERT INTO schema_migrations (name, applied_at) VALUES ('results-999-from-the-future', '2030-01-01T00:00:00.000Z')");
    await raw.close();
    const status = await retest(['db', 'status', '--db', db]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/1 unknown\n/);
    expect(status.stdout).toMatch(/unknown {2}results-999-from-the-future\n {2}written by a newer retest: this one refuses to open it/);
    for (const args of [
      ['db', 'migrate'],
      ['analyze', '--new', 'cifar10.1-v6'],
      ['report', '--out', join(tmpdir(), 'retest-never')],
    ]) {
      const refused = await retest([...args, '--db', db]);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toMatch(/this store was written by a newer retest/);
      expect(refused.stderr).toMatch(/results-999-from-the-future/);
    }
  });
}

describe('retest db on SQLite', () => {
  dbCommand(() => join(mkdtempSync(join(tmpdir(), 'retest-db-')), 'results.db'), 'sqlite');

  it('--workspace on a folder that is not a workspace is a usage error saying so (the workspace side: test/workspace/db-command.test.ts)', async () => {
    const r = await retest(['db', 'status', '--workspace', tmpdir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a retest workspace/);
    expect(r.stderr).toMatch(/--workspace/);
  });
});

describeWithPostgres('retest db on PostgreSQL', () => {
  let n = 0;
  dbCommand(() => `${postgresUrl()}?schema=results_db_command_${process.pid}_${++n}`, 'postgres');
});
