/**
 * A labelling load workspace on PostgreSQL: bench/label-harness.ts's `buildLoadWorkspace` in a new
 * schema of the test server (its `checkAnswers` reads either backend), and the schema's removal.
 */
import { randomBytes } from 'node:crypto';
import { buildLoadWorkspace, type LoadWorkspaceOptions } from '../../bench/label-harness.ts';
import { connectStore } from '../../src/store/index.ts';

/** A load workspace on PostgreSQL. */
export interface PgLoadWorkspace {
  /** The workspace folder (retest.json names the database). */
  dir: string;
  /** The database URL with `?schema=`. */
  database: string;
  /** The schema holding the workspace's tables. */
  schema: string;
  /** Invite tokens of the labellers, as `retest labellers invite` issues them. */
  tokens: string[];
}

/** A workspace of `tasks` tasks × `itemsPerTask` items (default 12, 4 of them references) in a new schema of `url`. */
export async function buildPgLoadWorkspace(url: string, options: Omit<LoadWorkspaceOptions, 'database'>): Promise<PgLoadWorkspace> {
  const schema = `load_${process.pid}_${randomBytes(3).toString('hex')}`;
  const database = `${url}?schema=${schema}`;
  const built = await buildLoadWorkspace({ itemsPerTask: 12, referencesPerTask: 4, ...options, database });
  return { ...built, database, schema };
}

/** Drops the load workspace's schema (and everything in it). */
export async function dropPgSchema(url: string, schema: string): Promise<void> {
  const db = await connectStore(url, { defaultSchema: 'public' });
  try {
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await db.close();
  }
}
