/**
 * The two backends a workspace stage's conformance suite runs on: a new SQLite file, and a new
 * PostgreSQL schema on the test server, each migrated with the given stages' migrations.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { openStore, type SqlDatabase, type SqlMigration } from '../../src/store/index.ts';
import { describeWithPostgres, postgresUrl } from './servers.ts';

/** Runs `suite` on SQLite and on PostgreSQL; `fresh()` gives a new, migrated, empty database (closed after each test). */
export function onBothBackends(name: string, migrations: readonly SqlMigration[], suite: (fresh: () => Promise<SqlDatabase>) => void): void {
  const make = (open: (n: number) => Promise<SqlDatabase>) => () => {
    const opened: SqlDatabase[] = [];
    let counter = 0;
    afterEach(async () => {
      for (const db of opened.splice(0)) await db.close();
    });
    suite(async () => {
      const db = await open(++counter);
      opened.push(db);
      return db;
    });
  };
  describe(
    `${name} on SQLite`,
    make((n) => openStore(join(mkdtempSync(join(tmpdir(), 'retest-conf-')), `w${n}.db`), { migrations, defaultSchema: 'unused' })),
  );
  const run = `${process.pid}_${Date.now() % 100000}`;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  describeWithPostgres(
    `${name} on PostgreSQL`,
    make((n) => openStore(`${postgresUrl()}?schema=${slug}_${run}_${n}`, { migrations, defaultSchema: 'unused' })),
  );
}
