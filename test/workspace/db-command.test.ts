/**
 * `retest db status|migrate --workspace`: the schema version of a workspace's store — every
 * stage's migrations applied at init, a pending one applied by `migrate`, and a workspace written
 * by a newer retest listed with its unknown migrations and refused by every command that opens it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../helpers/main.ts';
import { describe, expect, it } from 'vitest';
import { workspaceMigrations } from '../../src/app/migrations.ts';
import { connectWorkspace, createWorkspace } from '../../src/app/workspace-stores.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';

const ALL = workspaceMigrations().map((m) => m.name);

const retest = runMain;

async function newWorkspace(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'retest-db-ws-')), 'ws');
  await closeWorkspace(await createWorkspace(dir, { classes: 'cifar10' }));
  return dir;
}

describe('retest db --workspace', () => {
  it("status lists every stage's migrations applied at init, nothing pending", async () => {
    const dir = await newWorkspace();
    const r = await retest(['db', 'status', '--workspace', dir, '--json']);
    expect(r.code).toBe(0);
    const [status] = JSON.parse(r.stdout).stores;
    expect(status).toMatchObject({ store: 'workspace', dialect: 'sqlite', exists: true, location: join(dir, 'workspace.db'), pending: [], unknown: [] });
    expect(status.applied.map((a: { name: string }) => a.name).sort()).toEqual([...ALL].sort());
    const text = await retest(['db', 'status', '--workspace', dir]);
    expect(text.stdout).toContain(`workspace store  ${join(dir, 'workspace.db')} (SQLite)`);
    expect(text.stdout).toContain(`${ALL.length} applied, 0 pending`);
  });

  it('migrate applies a pending migration; a newer workspace is listed and refused when opened', async () => {
    const dir = await newWorkspace();
    const ws = await connectWorkspace(dir);
    await ws.sql.run("DELETE FROM schema_migrations WHERE name = 'sample-001-initial'");
    await ws.sql.exec('DROP TABLE sample_images; DROP TABLE sample_revisions; DROP TABLE blacklist');
    await ws.sql.run("INSERT INTO schema_migrations (name, applied_at) VALUES ('zz-999-from-the-future', '2030-01-01T00:00:00Z')");
    await closeWorkspace(ws);
    const status = JSON.parse((await retest(['db', 'status', '--workspace', dir, '--json'])).stdout).stores[0];
    expect(status).toMatchObject({ pending: ['sample-001-initial'], unknown: ['zz-999-from-the-future'] });
    const refused = await retest(['db', 'migrate', '--workspace', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/written by a newer retest/);
    expect(refused.stderr).toContain('zz-999-from-the-future');
    await expect(connectWorkspace(dir)).rejects.toThrow(/newer retest/);
    const sample = await retest(['sample', 'list', '--workspace', dir]);
    expect(sample.code).toBe(1);
    expect(sample.stderr).toMatch(/newer retest/);

    // Without the unknown one, migrate applies the pending migration.
    const { openSqliteDatabase } = await import('../../src/store/index.ts');
    const raw = openSqliteDatabase(join(dir, 'workspace.db'));
    await raw.run("DELETE FROM schema_migrations WHERE name = 'zz-999-from-the-future'");
    await raw.close();
    const migrated = JSON.parse((await retest(['db', 'migrate', '--workspace', dir, '--json'])).stdout).stores[0];
    expect(migrated).toMatchObject({ pending: [], unknown: [] });
    expect(migrated.applied.map((a: { name: string }) => a.name)).toContain('sample-001-initial');
    expect((await retest(['sample', 'list', '--workspace', dir, '--json'])).stdout).toBe('{"revisions":[]}\n');
  });

  it('a folder that is not a workspace is a usage error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-db-none-'));
    const r = await retest(['db', 'status', '--workspace', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a retest workspace/);
    expect(r.stderr).toContain(dir);
  });
});
