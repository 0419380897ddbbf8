import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RetestError } from '../../src/core/errors.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { initWorkspace, openWorkspace } from '../../src/app/workspace-stores.ts';

const open: Workspace[] = [];
afterEach(() => {
  for (const w of open.splice(0)) closeWorkspace(w);
});
const tmp = () => mkdtempSync(join(tmpdir(), 'retest-ws-'));
const errorOf = (fn: () => unknown): RetestError => {
  try {
    fn();
  } catch (e) {
    return e as RetestError;
  }
  throw new Error('expected an error');
};

describe('initWorkspace', () => {
  it('creates the folder, config, database and blob folder with the CIFAR-10 classes', () => {
    const dir = join(tmp(), 'new');
    const ws = initWorkspace(dir, { classes: 'cifar10' });
    open.push(ws);
    expect(existsSync(join(dir, 'retest.json'))).toBe(true);
    expect(existsSync(join(dir, 'workspace.db'))).toBe(true);
    expect(existsSync(join(dir, 'blobs'))).toBe(true);
    expect(ws.blobDir).toBe(join(dir, 'blobs'));
    const config = JSON.parse(readFileSync(join(dir, 'retest.json'), 'utf8'));
    expect(config).toMatchObject({ version: 1, classSource: 'cifar10', numClasses: 10, displayLongerSide: 500, displayJpegQuality: 90, squareSize: 32 });
    expect(ws.classes.map((c) => c.id)).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    const tables = (ws.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['classes', 'images', 'ingest_failures', 'schema_migrations']));
    expect(ws.db.prepare('SELECT COUNT(*) AS n FROM classes').get()).toEqual({ n: 10 });
  });

  it('reopens with the same classes, config and tables', () => {
    const dir = join(tmp(), 'ws');
    const classesFile = join(tmp(), 'c.json');
    writeFileSync(classesFile, JSON.stringify([{ id: 'sparrow', names: ['sparrow', 'house sparrow'], definition: 'a small bird', similar: ['crow'] }, 'crow']));
    closeWorkspace(initWorkspace(dir, { classes: classesFile }));
    const ws = openWorkspace(dir);
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

  it('refuses a folder that is already a workspace or is not empty', () => {
    const dir = tmp();
    closeWorkspace(initWorkspace(dir, { classes: 'cifar10' }));
    expect(() => initWorkspace(dir, { classes: 'cifar10' })).toThrow(/already a workspace/);
    const other = tmp();
    writeFileSync(join(other, 'photo.jpg'), 'x');
    expect(() => initWorkspace(other, { classes: 'cifar10' })).toThrow(/not empty/);
  });

  it('rejects an unknown class list as a usage error', () => {
    const err = errorOf(() => initWorkspace(join(tmp(), 'x'), { classes: 'imagenet22k' }));
    expect(err).toBeInstanceOf(RetestError);
    expect((err as RetestError).kind).toBe('usage');
    expect((err as RetestError).field).toBe('--classes');
  });
});

describe('openWorkspace', () => {
  it('says clearly when the folder is not a workspace', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'blobs'));
    const err = errorOf(() => openWorkspace(dir));
    expect(err).toBeInstanceOf(RetestError);
    expect(err.message).toBe('not a retest workspace');
    expect(err.file).toBe(dir);
    expect(err.hint).toMatch(/retest init/);
  });

  it('says so for a folder that does not exist', () => {
    const err = errorOf(() => openWorkspace(join(tmp(), 'missing')));
    expect(err.received).toBe('no such folder');
  });

  it('names a classes row whose JSON column is broken (as the async catalog does)', () => {
    const dir = tmp();
    const ws = initWorkspace(dir, { classes: 'cifar10' });
    ws.db.prepare("UPDATE classes SET names = '{broken' WHERE idx = 3").run();
    closeWorkspace(ws);
    let error: unknown;
    try {
      openWorkspace(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'data', record: 'class 3 (cat)', field: 'names' });
  });

  it('reports a malformed config with the file', () => {
    const dir = tmp();
    closeWorkspace(initWorkspace(dir, { classes: 'cifar10' }));
    writeFileSync(join(dir, 'retest.json'), JSON.stringify({ version: 2 }));
    expect(() => openWorkspace(dir)).toThrow(/problems in the workspace config/);
  });
});

describe('workspaceMigrations', () => {
  it("composes every stage's migrations with unique names, workspace tables first, all applied on init", async () => {
    const { workspaceMigrations } = await import('../../src/app/migrations.ts');
    const all = workspaceMigrations();
    expect(all[0]?.name).toBe('workspace-001-core');
    expect(new Set(all.map((m) => m.name)).size).toBe(all.length);
    const ws = initWorkspace(join(tmp(), 'm'), { classes: 'cifar10' });
    open.push(ws);
    const applied = (ws.db.prepare('SELECT name FROM schema_migrations ORDER BY rowid').all() as { name: string }[]).map((r) => r.name);
    expect(applied).toEqual(all.map((m) => m.name));
  });
});

describe('the workspace database', () => {
  it('is one SQLite connection for the port (sql) and the synchronous handle (db): no lock waits between them', async () => {
    const { sqliteConnection } = await import('../../src/store/index.ts');
    const ws = initWorkspace(join(tmp(), 'one'), { classes: 'cifar10' });
    open.push(ws);
    expect(sqliteConnection(ws.sql)).toBe(ws.db);
    // A write transaction on the port, with a synchronous read and write of the same connection inside it:
    // on two connections the synchronous write would wait 10 s for the lock and fail.
    await ws.sql.transaction(async (tx) => {
      await tx.run("INSERT INTO blacklist (image_id, reason, \"by\", at) VALUES ('x', 'r', 'b', 't')");
      expect((ws.db.prepare('SELECT COUNT(*) AS n FROM blacklist').get() as { n: number }).n).toBe(1);
      ws.db.prepare("INSERT INTO blacklist (image_id, reason, \"by\", at) VALUES ('y', 'r', 'b', 't')").run();
    });
    expect((await ws.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM blacklist'))!.n).toBe(2);
    // A second open of the same folder in this process shares the connection too.
    const again = openWorkspace(ws.dir);
    expect(again.db).toBe(ws.db);
    await closeWorkspace(again);
    expect(ws.db.open).toBe(true); // still held by the first
  });
});
