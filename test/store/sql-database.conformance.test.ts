/**
 * The database port (src/store/types.ts) behaves the same on SQLite and on PostgreSQL: parameters,
 * value types, transactions, bulk inserts, migrations and the refusal of newer stores. Every
 * stage's store is written against this contract, so it is pinned here once for both backends.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { RetestError } from '../../src/core/errors.ts';
import { migrate, migrationStatus, translateDdl } from '../../src/store/migrate.ts';
import { openStore, parseStoreLocation } from '../../src/store/open.ts';
import { redactUrl } from '../../src/core/redact.ts';
import { numberParameters, openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { openSqliteDatabase } from '../../src/store/sqlite-database.ts';
import type { Migration, SqlDatabase } from '../../src/store/types.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';

const MIGRATIONS: Migration[] = [
  {
    name: 'conformance-001-things',
    sql: `
      CREATE TABLE things (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        weight REAL,
        payload BLOB
      );
      CREATE TABLE pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
    `,
  },
  {
    name: 'conformance-002-counter',
    sql: {
      sqlite: `CREATE TABLE counter (k TEXT PRIMARY KEY, n INTEGER NOT NULL);`,
      postgres: `CREATE TABLE counter (k TEXT PRIMARY KEY, n BIGINT NOT NULL);`,
    },
  },
];

/** The contract, for one backend. `open(name)` opens the database called `name` (empty when new). */
function conformance(open: (name: string) => Promise<SqlDatabase>): void {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await open('main');
    await migrate(db, MIGRATIONS);
  });
  afterAll(async () => {
    await db.close();
  });

  it('binds ? parameters, also next to a ? inside a string literal', async () => {
    // A bare parameter has no type on PostgreSQL (it comes back as text): stores compare parameters
    // with columns, or cast them, as here.
    const row = await db.get<{ a: number; q: string; b: string }>("SELECT CAST(? AS INTEGER) AS a, 'why?' AS q, ? AS b", [41, 'x?y']);
    expect(row).toEqual({ a: 41, q: 'why?', b: 'x?y' });
  });

  it('round-trips integers (beyond 2^31), floats, text, blobs and null; new ids come back with RETURNING', async () => {
    const payload = Buffer.from([0, 1, 2, 255]);
    const inserted = await db.get<{ id: number }>('INSERT INTO things (name, size, weight, payload) VALUES (?, ?, ?, ?) RETURNING id', [
      'a',
      2 ** 40 + 3,
      0.1,
      payload,
    ]);
    expect(inserted?.id).toBe(1);
    const row = await db.get('SELECT id, name, size, weight, payload FROM things WHERE name = ?', ['a']);
    expect(row).toEqual({ id: 1, name: 'a', size: 2 ** 40 + 3, weight: 0.1, payload });
    expect(Buffer.isBuffer(row?.payload)).toBe(true);
    await db.run('INSERT INTO things (name, size) VALUES (?, ?)', ['b', 7]);
    expect(await db.get('SELECT weight, payload FROM things WHERE name = ?', ['b'])).toEqual({ weight: null, payload: null });
  });

  it('gives COUNT and SUM as numbers, and undefined for no row', async () => {
    expect(await db.get('SELECT COUNT(*) AS n, SUM(size) AS total FROM things')).toEqual({ n: 2, total: 2 ** 40 + 10 });
    expect(await db.get('SELECT id FROM things WHERE name = ?', ['nobody'])).toBeUndefined();
  });

  it('reports changed rows, and ON CONFLICT DO NOTHING inserts nothing twice', async () => {
    expect(await db.run('UPDATE things SET size = size + 1 WHERE size < ?', [100])).toEqual({ changes: 1 });
    expect(await db.run("INSERT INTO things (name, size) VALUES ('b', 0) ON CONFLICT (name) DO NOTHING")).toEqual({ changes: 0 });
    await db.run('INSERT INTO counter (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = counter.n + excluded.n', ['x']);
    await db.run('INSERT INTO counter (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = counter.n + excluded.n', ['x']);
    expect(await db.get('SELECT n FROM counter WHERE k = ?', ['x'])).toEqual({ n: 2 });
  });

  it('inserts many rows in chunks, skipping conflicts', async () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => [Math.floor(i / 100), i % 100]);
    expect(await db.insertMany('pairs', ['a', 'b'], rows)).toBe(25_000);
    expect(
      await db.insertMany(
        'pairs',
        ['a', 'b'],
        [
          [0, 0],
          [999, 1],
        ],
        'ON CONFLICT (a, b) DO NOTHING',
      ),
    ).toBe(1);
    expect(await db.get('SELECT COUNT(*) AS n, MAX(a) AS top FROM pairs')).toEqual({ n: 25_001, top: 999 });
    expect(await db.insertMany('pairs', ['a', 'b'], [])).toBe(0);
  });

  it('commits a transaction as a whole, and rolls it back as a whole when it throws', async () => {
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO counter (k, n) VALUES ('t1', 1)");
      await tx.run("INSERT INTO counter (k, n) VALUES ('t2', 2)");
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO counter (k, n) VALUES ('t3', 3)");
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO counter (k, n) VALUES ('t4', 4)");
        await tx.run("INSERT INTO counter (k, n) VALUES ('t1', 0)"); // duplicate key
      }),
    ).rejects.toBeTruthy();
    const keys = await db.all<{ k: string }>("SELECT k FROM counter WHERE k LIKE 't%' ORDER BY k");
    expect(keys.map((r) => r.k)).toEqual(['t1', 't2']);
  });

  it('runs concurrent read-modify-write transactions without losing an update', async () => {
    await db.run("INSERT INTO counter (k, n) VALUES ('race', 0)");
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          const { n } = (await tx.get<{ n: number }>(`SELECT n FROM counter WHERE k = 'race'${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`))!;
          await tx.run("UPDATE counter SET n = ? WHERE k = 'race'", [n + 1]);
        }),
      ),
    );
    expect(await db.get("SELECT n FROM counter WHERE k = 'race'")).toEqual({ n: 20 });
  });

  it('applies each migration once and reports the status', async () => {
    await migrate(db, MIGRATIONS);
    const status = await migrationStatus(db, [...MIGRATIONS, { name: 'conformance-003-later', sql: 'CREATE TABLE later (x INTEGER)' }]);
    expect(status.applied.map((m) => m.name)).toEqual(['conformance-001-things', 'conformance-002-counter']);
    expect(status.pending).toEqual(['conformance-003-later']);
    expect(status.unknown).toEqual([]);
    expect(status.dialect).toBe(db.dialect);
  });

  it('refuses a store written by a newer retest, naming the unknown migrations', async () => {
    const error = await migrate(db, MIGRATIONS.slice(0, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetestError);
    expect((error as RetestError).message).toBe('this store was written by a newer retest');
    expect((error as RetestError).received).toBe('conformance-002-counter');
  });

  it('lets two handles migrate the same fresh database at once, each migration applied once', async () => {
    const [a, b] = [await open('fresh'), await open('fresh')];
    try {
      await Promise.all([migrate(a, MIGRATIONS), migrate(b, MIGRATIONS)]);
      expect(await a.get('SELECT COUNT(*) AS n FROM schema_migrations')).toEqual({ n: 2 });
    } finally {
      await a.close();
      await b.close();
    }
  });
}

describe('SQLite database port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-sql-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  describe('conformance', () => {
    conformance(async (name) => openSqliteDatabase(join(dir, `${name}.sqlite`)));
  });
  describe('a second handle on the same file', () => {
    it('sees the rows of the first', async () => {
      const a = openSqliteDatabase(join(dir, 'shared.sqlite'));
      await migrate(a, MIGRATIONS);
      await a.run("INSERT INTO counter (k, n) VALUES ('shared', 5)");
      const b = openSqliteDatabase(join(dir, 'shared.sqlite'));
      expect(await b.get("SELECT n FROM counter WHERE k = 'shared'")).toEqual({ n: 5 });
      await a.close();
      await b.close();
    });
    it('is refused once closed, while the other handle on the file goes on', async () => {
      const a = openSqliteDatabase(join(dir, 'closing.sqlite'));
      const b = openSqliteDatabase(join(dir, 'closing.sqlite'));
      await a.close();
      await expect(a.get('SELECT 1 AS one')).rejects.toThrow(/closing\.sqlite.*is closed/);
      await expect(a.run('SELECT 1')).rejects.toThrow(/is closed/);
      await expect(a.transaction(async () => 1)).rejects.toThrow(/is closed/);
      await expect(a.insertMany('t', ['x'], [[1]])).rejects.toThrow(/is closed/);
      expect(await b.get('SELECT 1 AS one')).toEqual({ one: 1 });
      await b.close();
    });
  });

  it('names a file that is not a SQLite database', () => {
    const path = join(dir, 'not-a-db.sqlite');
    writeFileSync(path, 'this is text, not SQLite '.repeat(100));
    let error: unknown;
    try {
      openSqliteDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RetestError);
    expect((error as RetestError).kind).toBe('data');
    expect((error as RetestError).file).toBe(path);
  });

  it('names a folder given as the store', () => {
    expect(() => openSqliteDatabase(dir)).toThrow(/is a folder/);
  });
});

describeWithPostgres('PostgreSQL database port', () => {
  const base = postgresUrl();
  describe('conformance', () => {
    // A database name is a schema of the test server's database.
    conformance((name) => openPostgresDatabase(`${base}?schema=conformance_${name}`, { defaultSchema: 'unused' }));
  });

  it('keeps each schema apart (?schema= in the URL)', async () => {
    const a = await openStore(`${base}?schema=apart_a`, { migrations: MIGRATIONS, defaultSchema: 'x' });
    const b = await openStore(`${base}?schema=apart_b`, { migrations: MIGRATIONS, defaultSchema: 'x' });
    await a.run("INSERT INTO counter (k, n) VALUES ('only-a', 1)");
    expect(await b.get("SELECT n FROM counter WHERE k = 'only-a'")).toBeUndefined();
    await a.close();
    await b.close();
  });

  it('retries a statement after the server dropped its connection', async () => {
    const db = await openStore(`${base}?schema=dropped`, { migrations: MIGRATIONS, defaultSchema: 'x' });
    await db.run("INSERT INTO counter (k, n) VALUES ('before', 1)");
    // Kill every other backend connection to this database, as a server restart or failover would.
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    await admin.end();
    expect(await db.get("SELECT n FROM counter WHERE k = 'before'")).toEqual({ n: 1 });
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO counter (k, n) VALUES ('after', 2)");
    });
    expect(await db.get("SELECT n FROM counter WHERE k = 'after'")).toEqual({ n: 2 });
    await db.close();
  });

  it('says which server could not be reached, without the password', async () => {
    const error = await openStore('postgres://someone:secret@127.0.0.1:1/nothing', { migrations: [], defaultSchema: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetestError);
    expect((error as RetestError).kind).toBe('io');
    expect((error as RetestError).file).toBe('postgres://someone:***@127.0.0.1:1/nothing');
  });
});

describe('store locations', () => {
  it('reads paths and sqlite: as SQLite, postgres:// and postgresql:// as PostgreSQL', () => {
    expect(parseStoreLocation('retest.db')).toEqual({ backend: 'sqlite', path: 'retest.db' });
    expect(parseStoreLocation('sqlite:/tmp/x.db')).toEqual({ backend: 'sqlite', path: '/tmp/x.db' });
    expect(parseStoreLocation('postgres://u@h/db')).toEqual({ backend: 'postgres', url: 'postgres://u@h/db' });
    expect(parseStoreLocation('postgresql://u@h/db')).toEqual({ backend: 'postgres', url: 'postgresql://u@h/db' });
  });

  it('refuses any other URL scheme instead of taking it as a file name', () => {
    expect(() => parseStoreLocation('mysql://u:pw@h/db')).toThrow('unsupported store URL scheme "mysql:"');
    try {
      parseStoreLocation('mysql://u:pw@h/db');
    } catch (error) {
      expect((error as RetestError).kind).toBe('usage');
      expect((error as RetestError).received).toBe('mysql://u:***@h/db');
    }
  });

  it('numbers parameters outside quotes only, and redacts passwords', () => {
    expect(numberParameters(`SELECT ?, '?', "a?", ? FROM t WHERE x = ?`)).toBe(`SELECT $1, '?', "a?", $2 FROM t WHERE x = $3`);
    expect(redactUrl('postgres://u:pw@h:5/db?schema=s')).toBe('postgres://u:***@h:5/db?schema=s');
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('translates portable DDL to PostgreSQL types', () => {
    expect(translateDdl('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, w REAL, b BLOB, PRIMARY KEY (n)) WITHOUT ROWID;')).toBe(
      'CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT, w DOUBLE PRECISION, b BYTEA, PRIMARY KEY (n));',
    );
  });
});
