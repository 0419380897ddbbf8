import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { connectWorkspace, createWorkspace } from '../../src/app/workspace-stores.ts';
import { REPO_ROOT } from '../helpers/shared.ts';
import { noUnprivilegedReason, unprivilegedPrefix } from '../helpers/unprivileged.ts';

const open: Workspace[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await closeWorkspace(w);
});
const tmp = () => mkdtempSync(join(tmpdir(), 'retest-ws-'));
const rejectionOf = async (promise: Promise<unknown>): Promise<RetestError> => {
  try {
    await promise;
  } catch (e) {
    return e as RetestError;
  }
  throw new Error('expected a rejection');
};

describe('createWorkspace', () => {
  it('creates the folder, config, database and blob folder with the CIFAR-10 classes', async () => {
    const dir = join(tmp(), 'new');
    const ws = await createWorkspace(dir, { classes: 'cifar10' });
    open.push(ws);
    expect(existsSync(join(dir, 'retest.json'))).toBe(true);
    expect(existsSync(join(dir, 'workspace.db'))).toBe(true);
    expect(existsSync(join(dir, 'blobs'))).toBe(true);
    expect(ws.blobDir).toBe(join(dir, 'blobs'));
    const config = JSON.parse(readFileSync(join(dir, 'retest.json'), 'utf8'));
    expect(config).toMatchObject({ version: 1, classSource: 'cifar10', numClasses: 10, displayLongerSide: 500, displayJpegQuality: 90, squareSize: 32 });
    expect(ws.classes.map((c) => c.id)).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(ws.backend).toBe('sqlite');
    expect(ws.sql.dialect).toBe('sqlite');
    expect(ws.sql.location).toBe(join(dir, 'workspace.db'));
    const tables = (await ws.sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['classes', 'images', 'ingest_failures', 'schema_migrations']));
    expect(await ws.sql.get('SELECT COUNT(*) AS n FROM classes')).toEqual({ n: 10 });
  });

  it('reopens with the same classes, config and tables', async () => {
    const dir = join(tmp(), 'ws');
    const classesFile = join(tmp(), 'c.json');
    writeFileSync(classesFile, JSON.stringify([{ id: 'sparrow', names: ['sparrow', 'house sparrow'], definition: 'a small bird', similar: ['crow'] }, 'crow']));
    await closeWorkspace(await createWorkspace(dir, { classes: classesFile }));
    const ws = await connectWorkspace(dir);
    open.push(ws);
    expect(ws.config.numClasses).toBe(2);
    expect(ws.config.classSource).toBe(classesFile);
    expect(ws.classes).toEqual([
      {
        index: 0,
        id: 'sparrow',
        names: ['sparrow', 'house sparrow'],
        definition: 'a small bird',
        urls: [],
        hypernyms: [],
        hypernymNames: [],
        similar: ['crow'],
      },
      { index: 1, id: 'crow', names: ['crow'], definition: '', urls: [], hypernyms: [], hypernymNames: [], similar: [] },
    ]);
  });

  it('refuses a folder that is already a workspace or is not empty', async () => {
    const dir = tmp();
    await closeWorkspace(await createWorkspace(dir, { classes: 'cifar10' }));
    await expect(createWorkspace(dir, { classes: 'cifar10' })).rejects.toThrow(/already a workspace/);
    const other = tmp();
    writeFileSync(join(other, 'photo.jpg'), 'x');
    await expect(createWorkspace(other, { classes: 'cifar10' })).rejects.toThrow(/not empty/);
  });

  it('rejects an unknown class list as a usage error', async () => {
    const err = await rejectionOf(createWorkspace(join(tmp(), 'x'), { classes: 'imagenet22k' }));
    expect(err).toBeInstanceOf(RetestError);
    expect((err as RetestError).kind).toBe('usage');
    expect((err as RetestError).field).toBe('--classes');
  });
});

describe('connectWorkspace', () => {
  it('says clearly when the folder is not a workspace', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'blobs'));
    const err = await rejectionOf(connectWorkspace(dir));
    expect(err).toBeInstanceOf(RetestError);
    expect(err.message).toBe('not a retest workspace');
    expect(err.file).toBe(dir);
    expect(err.hint).toMatch(/retest init/);
  });

  it('says so for a folder that does not exist', async () => {
    const err = await rejectionOf(connectWorkspace(join(tmp(), 'missing')));
    expect(err.received).toBe('no such folder');
  });

  it('names a classes row whose JSON column is broken (read through the catalog)', async () => {
    const dir = tmp();
    const ws = await createWorkspace(dir, { classes: 'cifar10' });
    await ws.sql.run("UPDATE classes SET names = '{broken' WHERE idx = 3");
    await closeWorkspace(ws);
    const error = await rejectionOf(connectWorkspace(dir));
    expect(error).toBeInstanceOf(RetestError);
    expect(error).toMatchObject({ kind: 'data', record: 'class 3 (cat)', field: 'names' });
  });

  it('reports a malformed config with the file', async () => {
    const dir = tmp();
    await closeWorkspace(await createWorkspace(dir, { classes: 'cifar10' }));
    writeFileSync(join(dir, 'retest.json'), JSON.stringify({ version: 2 }));
    const err = await rejectionOf(connectWorkspace(dir));
    expect(err.message).toMatch(/problems in the workspace config/);
    expect(err.file).toBe(join(dir, 'retest.json'));
  });
});

describe('workspaceMigrations', () => {
  it("composes every stage's migrations with unique names, workspace tables first, all applied on init", async () => {
    const { workspaceMigrations } = await import('../../src/app/migrations.ts');
    const all = workspaceMigrations();
    expect(all[0]?.name).toBe('workspace-001-core');
    expect(new Set(all.map((m) => m.name)).size).toBe(all.length);
    const ws = await createWorkspace(join(tmp(), 'm'), { classes: 'cifar10' });
    open.push(ws);
    const applied = (await ws.sql.all<{ name: string }>('SELECT name FROM schema_migrations ORDER BY rowid')).map((r) => r.name);
    expect(applied).toEqual(all.map((m) => m.name));
  });
});

describe('the workspace database', () => {
  it('opened twice in one process is one SQLite connection: the second waits for the first one’s transaction instead of for the file lock', async () => {
    const ws = await createWorkspace(join(tmp(), 'one'), { classes: 'cifar10' });
    open.push(ws);
    const again = await connectWorkspace(ws.dir);
    const count = async (w: Workspace) => (await w.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM blacklist'))!.n;
    let second: Promise<{ changes: number }> | undefined;
    await ws.sql.transaction(async (tx) => {
      await tx.run("INSERT INTO blacklist (image_id, reason, \"by\", at) VALUES ('x', 'r', 'b', 't')");
      // On a second connection this write would block in SQLite's busy wait (10 s) on the
      // transaction's lock and fail with SQLITE_BUSY; on the shared one it is queued behind it.
      second = again.sql.run("INSERT INTO blacklist (image_id, reason, \"by\", at) VALUES ('y', 'r', 'b', 't')");
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM blacklist'))!.n).toBe(1);
    });
    expect(await second).toEqual({ changes: 1 });
    expect(await count(again)).toBe(2);
    // Closing the second handle leaves the first open.
    await closeWorkspace(again);
    expect(await count(ws)).toBe(2);
  });

  it('rolls a transaction back when its function rejects, and passes the rejection on', async () => {
    const ws = await createWorkspace(join(tmp(), 'tx'), { classes: 'cifar10' });
    open.push(ws);
    await expect(
      ws.sql.transaction(async (tx) => {
        await tx.run("INSERT INTO blacklist (image_id, reason, \"by\", at) VALUES ('x', 'r', 'b', 't')");
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await ws.sql.get('SELECT COUNT(*) AS n FROM blacklist')).toEqual({ n: 0 });
  });
});

describe.skipIf(noUnprivilegedReason() !== null)('a workspace.db that cannot be written', () => {
  it('is refused when the workspace is opened (the write probe), an io error naming the file; nothing is left changed', async () => {
    const parent = tmp();
    chmodSync(parent, 0o755); // reachable by the unprivileged process
    const dir = join(parent, 'ws');
    await closeWorkspace(await createWorkspace(dir, { classes: 'cifar10' }));
    // The folder is writable for everyone (SQLite can make its -wal and -shm files); only the file is not.
    chmodSync(dir, 0o777);
    const db = join(dir, 'workspace.db');
    chmodSync(db, 0o444);
    const script = join(parent, 'open.mts');
    writeFileSync(
      script,
      `import { connectWorkspace } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', 'app', 'workspace-stores.ts')).href)};
try {
  const ws = await connectWorkspace(process.argv[2]);
  await ws.sql.close();
  console.log(JSON.stringify({ opened: true }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, kind: e.kind, message: e.message, file: e.file, hint: e.hint }));
}
`,
    );
    const [command, ...args] = [...(unprivilegedPrefix() ?? []), process.execPath, '--import', 'tsx', script, dir];
    const r = spawnSync(command!, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'RetestError',
      kind: 'io',
      message: 'the database is read-only',
      file: db,
      hint: expect.stringMatching(/make the file and its folder writable/),
    });
    // Root (file modes do not apply) still opens it, with the classes and no probe table left behind.
    chmodSync(db, 0o644);
    const ws = await connectWorkspace(dir);
    open.push(ws);
    expect(ws.classes).toHaveLength(10);
    expect(await ws.sql.all("SELECT name FROM sqlite_master WHERE name LIKE '_retest_write_probe%'")).toEqual([]);
  });
});
