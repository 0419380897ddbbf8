/**
 * A workspace whose database is PostgreSQL (`retest init DIR --workspace-db postgres://…`): the URL
 * with its schema in retest.json, the folder keeping retest.json and blobs/, every stage's
 * migrations applied in the schema, reopened through the port (`connectWorkspace`) with its
 * classes, the stage stores writing and reading it through the port from more than one open, and
 * every command running on it. Both backends give the same classes and catalog.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceMigrations } from '../../src/app/migrations.ts';
import { connectWorkspace, createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { RetestError } from '../../src/core/errors.ts';
import { closeWorkspace, workspaceDatabaseUrl } from '../../src/workspace/index.ts';
import { runMain } from '../helpers/main.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';
import { addFixtureImages, imagesPerClass } from '../helpers/workspace-images.ts';

const ALL = workspaceMigrations().map((m) => m.name);
const run = `${process.pid}_${Date.now() % 100000}`;
let counter = 0;
/** A fresh schema on the test server. */
const freshUrl = () => `${postgresUrl()}?schema=wstest_${run}_${++counter}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'retest-pgws-'));

const retest = runMain;

async function rejection(promise: Promise<unknown>): Promise<RetestError> {
  try {
    await promise;
  } catch (error) {
    return error as RetestError;
  }
  throw new Error('expected a rejection');
}

describe('workspaceDatabaseUrl', () => {
  it('adds the default schema ws_<folder name>, keeps a given one, refuses a password and other schemes', () => {
    expect(workspaceDatabaseUrl('postgres://retest@db.lab/retest', 'My-v2')).toBe('postgres://retest@db.lab/retest?schema=ws_my_v2');
    expect(workspaceDatabaseUrl('postgresql://retest@db.lab:5433/retest?schema=lab_a', 'x')).toBe('postgresql://retest@db.lab:5433/retest?schema=lab_a');
    const password = (() => {
      try {
        workspaceDatabaseUrl('postgres://retest:hunter2@db.lab/retest', 'x');
      } catch (e) {
        return e as RetestError;
      }
      throw new Error('expected');
    })();
    expect(password).toBeInstanceOf(RetestError);
    expect(password.kind).toBe('usage');
    expect(password.message).toMatch(/password/);
    expect(password.render()).not.toContain('hunter2');
    expect(() => workspaceDatabaseUrl('retest.db', 'x')).toThrow(/must be a PostgreSQL URL/);
    expect(() => workspaceDatabaseUrl('mysql://db/x', 'x')).toThrow(/unsupported store URL scheme/);
    expect(() => workspaceDatabaseUrl('postgres://u@h/d?schema=Bad-Name', 'x')).toThrow(/not a plain identifier/);
  });
});

describeWithPostgres('a PostgreSQL workspace', () => {
  it('retest init --workspace-db records the URL; the folder holds retest.json and blobs/; reopened, it has the classes and every migration', async () => {
    const dir = join(tmp(), 'ws');
    const url = freshUrl();
    const r = await retest(['init', dir, '--classes', 'cifar10', '--workspace-db', url, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ workspace: dir, backend: 'postgres', classes: 10, classSource: 'cifar10', squareSize: 32 });
    expect(readdirSync(dir).sort()).toEqual(['blobs', 'retest.json']);
    const config = JSON.parse(readFileSync(join(dir, 'retest.json'), 'utf8'));
    expect(config.database).toBe(url);

    const ws = await connectWorkspace(dir);
    try {
      expect(ws.backend).toBe('postgres');
      expect(ws.sql.dialect).toBe('postgres');
      expect(ws.classes.map((c) => c.id)).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
      const stores = workspaceStores(ws);
      expect((await stores.catalog.classes()).length).toBe(10);
      expect((await stores.catalog.counts()).distinctCandidates).toBe(0);
      expect(ws.sql.location).toBe(url);
      // Rows written through one open are read back through another (the port, pooled; no SQLite handle).
      await addFixtureImages(ws, imagesPerClass({ candidates: { 3: 2, 5: 1 }, references: { 3: 1 } }));
      const other = await connectWorkspace(dir);
      try {
        expect(other.backend).toBe('postgres');
        expect(other.classes).toEqual(ws.classes);
        const counts = await workspaceStores(other).catalog.counts();
        expect(counts.distinctCandidates).toBe(3);
        expect(counts.byRoleAndClass).toEqual(
          expect.arrayContaining([
            { role: 'candidate', classIdx: 3, n: 2 },
            { role: 'candidate', classIdx: 5, n: 1 },
            { role: 'reference', classIdx: 3, n: 1 },
          ]),
        );
        expect(counts.byRoleAndClass).toHaveLength(3);
        const tables = await other.sql.all<{ n: number }>(
          "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('images', 'classes', 'schema_migrations')",
        );
        expect(tables).toEqual([{ n: 3 }]);
      } finally {
        await closeWorkspace(other);
      }
    } finally {
      await closeWorkspace(ws);
    }

    const status = JSON.parse((await retest(['db', 'status', '--workspace', dir, '--json'])).stdout).stores[0];
    expect(status).toMatchObject({ store: 'workspace', dialect: 'postgres', exists: true, pending: [], unknown: [] });
    expect(status.applied.map((a: { name: string }) => a.name).sort()).toEqual([...ALL].sort());
    const migrated = JSON.parse((await retest(['db', 'migrate', '--workspace', dir, '--json'])).stdout).stores[0];
    expect(migrated).toMatchObject({ dialect: 'postgres', pending: [] });
  });

  it('the commands run on it (the MTurk mode, sampling, task status)', async () => {
    const dir = join(tmp(), 'legacy');
    await closeWorkspace(await createWorkspace(dir, { classes: 'cifar10', database: freshUrl() }));
    // `mturk status` reads the server's MTurk-mode tables (the ServerStore): it used to need the synchronous Db.
    const mturk = await retest(['mturk', 'status', '--workspace', dir]);
    expect(mturk.stderr).toBe('');
    expect(mturk.code).toBe(0);
    const sample = await retest(['sample', 'list', '--workspace', dir, '--json']);
    expect(sample.stderr).toBe('');
    expect(sample.stdout).toBe('{"revisions":[]}\n');
    const tasks = await retest(['tasks', 'status', '--workspace', dir, '--json']);
    expect(tasks.stderr).toBe('');
    expect(JSON.parse(tasks.stdout)).toEqual({ tasks: [], assignments: [], completeTasks: 0 });
  });

  it('refuses a schema that already holds a workspace, and a URL with a password', async () => {
    const url = freshUrl();
    await closeWorkspace(await createWorkspace(join(tmp(), 'a'), { classes: 'cifar10', database: url }));
    const second = join(tmp(), 'b');
    const taken = await rejection(createWorkspace(second, { classes: 'cifar10', database: url }));
    expect(taken.kind).toBe('usage');
    expect(taken.message).toMatch(/already holds tables/);
    expect(existsSync(join(second, 'retest.json'))).toBe(false);
    const withPassword = await retest(['init', join(tmp(), 'c'), '--classes', 'cifar10', '--workspace-db', postgresUrl().replace('://', '://someone:secret@')]);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toMatch(/password/);
    expect(withPassword.stderr).not.toContain('secret@');
  });

  it('gives the same classes and catalog as a SQLite workspace of the same class list', async () => {
    const sqlite = await createWorkspace(join(tmp(), 's'), { classes: 'cifar10' });
    const pg = await createWorkspace(join(tmp(), 'p'), { classes: 'cifar10', database: freshUrl() });
    try {
      expect(sqlite.backend).toBe('sqlite');
      expect(pg.classes).toEqual(sqlite.classes);
      expect(await workspaceStores(pg).catalog.classes()).toEqual(await workspaceStores(sqlite).catalog.classes());
      expect(await workspaceStores(pg).catalog.counts()).toEqual(await workspaceStores(sqlite).catalog.counts());
    } finally {
      await closeWorkspace(sqlite);
      await closeWorkspace(pg);
    }
  });
});
