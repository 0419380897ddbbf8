/**
 * Creating and opening a workspace folder (layout in ./types.ts): its database is the SQLite file
 * `workspace.db` in the folder (the default), or a schema of a PostgreSQL database named in
 * `retest.json` (`retest init DIR --workspace-db postgres://…`).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadClasses } from '../classes/index.ts';
import type { ClassDef } from '../classes/index.ts';
import { createImageCatalog } from '../catalog/index.ts';
import { fromSystemError, usageError } from '../core/errors.ts';
import { redactUrl } from '../core/redact.ts';
import { connectStore, migrateDatabase, openSqliteDatabase, parseStoreLocation, type SqlDatabase, type SqlMigration } from '../store/index.ts';
import { BLOB_DIR, CONFIG_FILE, DB_FILE, readConfig, writeConfig } from './config.ts';
import type { InitWorkspaceOptions, OpenWorkspaceOptions, Workspace, WorkspaceConfig } from './types.ts';

/**
 * Creates a workspace in `dir` (created if missing; it must not already be a workspace and must be
 * empty apart from hidden files) and returns it open, with `open.migrations` applied (every
 * stage's, composed by the composition root: src/app/migrations.ts). Its database is the SQLite
 * file `workspace.db` in the folder or, with `options.database`, a new schema of a PostgreSQL
 * database (the schema must hold no tables yet: one workspace per schema). The URL is recorded in
 * `retest.json` with its schema and without a password.
 */
export async function createWorkspaceWith(dir: string, options: InitWorkspaceOptions, open: OpenWorkspaceOptions): Promise<Workspace> {
  if (options.database === undefined) return createSqliteWorkspace(dir, options, open.migrations);
  const database = workspaceDatabaseUrl(options.database, basename(resolve(dir)));
  const { root, classes, config } = prepareFolder(dir, options);
  const sql = await connectStore(database, { defaultSchema: 'unused' });
  try {
    const tables = await sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()');
    if ((tables?.n ?? 0) > 0) {
      throw usageError('the PostgreSQL schema already holds tables (another workspace?)', {
        file: sql.location,
        field: 'schema',
        received: `${tables!.n} tables`,
        expected: 'a new or empty schema: one workspace per schema',
        hint: 'name another one with ?schema=NAME in the --workspace-db URL',
      });
    }
    await migrateDatabase(sql, open.migrations);
    await createImageCatalog(sql).addClasses(classes);
  } catch (error) {
    await sql.close();
    throw error;
  }
  const withDb = { ...config, database };
  writeConfig(join(root, CONFIG_FILE), withDb);
  return postgresWorkspace(root, sql, withDb, classes);
}

/** A new SQLite workspace: `workspace.db` in the folder, then its classes, then (last) `retest.json`. */
async function createSqliteWorkspace(dir: string, options: InitWorkspaceOptions, migrations: readonly SqlMigration[]): Promise<Workspace> {
  const { root, classes, config } = prepareFolder(dir, options);
  const path = join(root, DB_FILE);
  const sql = await openWorkspaceDatabase(path, migrations);
  try {
    await guardSqlite(path, () => createImageCatalog(sql).addClasses(classes));
  } catch (error) {
    await sql.close();
    throw error;
  }
  // The config is written last: a folder without it is not (yet) a workspace.
  writeConfig(join(root, CONFIG_FILE), config);
  return sqliteWorkspace(root, sql, config, classes);
}

/**
 * The URL a PostgreSQL workspace records: `value` with its schema (`?schema=`, default
 * `ws_<folder name>` in lower case, other characters as `_`). A password is refused: retest.json
 * is a plain file, often shared (use PGPASSWORD or ~/.pgpass).
 */
export function workspaceDatabaseUrl(value: string, folderName: string): string {
  const location = parseStoreLocation(value);
  if (location.backend !== 'postgres') {
    throw usageError('a workspace database must be a PostgreSQL URL', {
      field: '--workspace-db',
      received: value,
      expected: 'postgres://user@host[:port]/database[?schema=NAME] (leave it out for workspace.db in the folder)',
    });
  }
  let url: URL;
  try {
    url = new URL(location.url);
  } catch {
    throw usageError('the workspace database URL is malformed', {
      field: '--workspace-db',
      received: redactUrl(value),
      expected: 'postgres://user@host[:port]/database',
    });
  }
  if (url.password !== '') {
    throw usageError('the workspace database URL holds a password, which retest.json would keep in plain text', {
      field: '--workspace-db',
      received: redactUrl(value),
      hint: 'leave it out of the URL and set PGPASSWORD, or add a line to ~/.pgpass',
    });
  }
  if (!url.searchParams.has('schema')) {
    const schema = `ws_${folderName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
    url.searchParams.set('schema', schema);
  }
  const schema = url.searchParams.get('schema')!;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw usageError('the PostgreSQL schema name is not a plain identifier', {
      field: '--workspace-db',
      received: JSON.stringify(schema),
      expected: 'lower-case letters, digits and _ (not starting with a digit)',
    });
  }
  return url.toString();
}

/** Checks the folder and builds the config of a new workspace. */
function prepareFolder(dir: string, options: InitWorkspaceOptions): { root: string; classes: ClassDef[]; config: WorkspaceConfig } {
  const root = resolve(dir);
  if (existsSync(join(root, CONFIG_FILE))) {
    throw usageError('this folder is already a workspace', { file: root, hint: 'open it with --workspace, or choose another folder' });
  }
  if (existsSync(root)) {
    if (!statSync(root).isDirectory()) throw usageError('the workspace path exists and is not a folder', { file: root });
    const visible = readdirSync(root).filter((n) => !n.startsWith('.'));
    if (visible.length > 0) {
      throw usageError('the workspace folder is not empty', { file: root, received: visible.slice(0, 5).join(', '), hint: 'choose a new or empty folder' });
    }
  }
  const classes: ClassDef[] = typeof options.classes === 'string' ? loadClasses(options.classes) : options.classes;
  const classSource =
    typeof options.classes === 'string'
      ? options.classes === 'imagenet' || options.classes === 'cifar10'
        ? options.classes
        : resolve(options.classes)
      : 'inline';
  mkdirSync(join(root, BLOB_DIR), { recursive: true });
  const config: WorkspaceConfig = {
    version: 1,
    classSource,
    numClasses: classes.length,
    displayLongerSide: options.displayLongerSide ?? 500,
    displayJpegQuality: options.displayJpegQuality ?? 90,
    // CIFAR-size images are compared at their own size (CIFAR-10.1 used pixel L2 on 32×32).
    squareSize: options.squareSize ?? (options.classes === 'cifar10' ? 32 : 256),
    createdAt: new Date().toISOString(),
  };
  return { root, classes, config };
}

/**
 * The absolute path of `dir` when it is a workspace (its config exists, and its database file
 * unless the config names a PostgreSQL database); else a usage error saying what is missing.
 */
export function assertWorkspaceFolder(dir: string): string {
  const root = resolve(dir);
  const configPath = join(root, CONFIG_FILE);
  const hasConfig = existsSync(configPath);
  if (hasConfig && !existsSync(join(root, DB_FILE)) && readConfig(configPath).database !== undefined) return root;
  if (!hasConfig || !existsSync(join(root, DB_FILE))) {
    throw usageError('not a retest workspace', {
      file: root,
      expected: `a folder with ${CONFIG_FILE} and ${DB_FILE}`,
      received: existsSync(root) ? `missing ${hasConfig ? DB_FILE : CONFIG_FILE}` : 'no such folder',
      hint: 'create one with `retest init DIR --classes imagenet|cifar10|FILE.json`, or pass --workspace DIR',
    });
  }
  return root;
}

/**
 * Where the database of the workspace in `root` is, as a `connectStore` value: the
 * PostgreSQL URL of its config, or the path of its `workspace.db`.
 */
export function workspaceDatabase(root: string): string {
  return readConfig(join(root, CONFIG_FILE)).database ?? join(root, DB_FILE);
}

/** Opens the workspace in `dir` on either backend, applying the pending migrations. */
export async function connectWorkspaceWith(dir: string, open: OpenWorkspaceOptions): Promise<Workspace> {
  const root = assertWorkspaceFolder(dir);
  const config = readConfig(join(root, CONFIG_FILE));
  if (config.database === undefined) return openSqliteWorkspace(root, config, open.migrations);
  const sql = await connectStore(config.database, { defaultSchema: 'unused' });
  let classes: ClassDef[];
  try {
    await migrateDatabase(sql, open.migrations);
    classes = await createImageCatalog(sql).classes();
  } catch (error) {
    await sql.close();
    throw error;
  }
  return postgresWorkspace(root, sql, config, classes);
}

/** Opens the SQLite workspace in `root` (its `workspace.db`), applying the pending migrations. */
async function openSqliteWorkspace(root: string, config: WorkspaceConfig, migrations: readonly SqlMigration[]): Promise<Workspace> {
  const path = join(root, DB_FILE);
  const sql = await openWorkspaceDatabase(path, migrations);
  let classes: ClassDef[];
  try {
    classes = await guardSqlite(path, () => createImageCatalog(sql).classes());
  } catch (error) {
    await sql.close();
    throw error;
  }
  return sqliteWorkspace(root, sql, config, classes);
}

function sqliteWorkspace(root: string, sql: SqlDatabase, config: WorkspaceConfig, classes: ClassDef[]): Workspace {
  return { dir: root, sql, backend: 'sqlite', config, classes, blobDir: join(root, BLOB_DIR) };
}

function postgresWorkspace(root: string, sql: SqlDatabase, config: WorkspaceConfig, classes: ClassDef[]): Workspace {
  return { dir: root, sql, backend: 'postgres', config, classes, blobDir: join(root, BLOB_DIR) };
}

/**
 * Opens the workspace's SQLite file with every stage's migrations applied, and checks that it can
 * be written: SQLite falls back to read-only when the file or its folder is not writable and says
 * so only at the first write, deep inside some command (`serve` would fail at its first answer).
 * Every fault is a RetestError naming the file (read-only, full, not a database, …).
 */
async function openWorkspaceDatabase(path: string, migrations: readonly SqlMigration[]): Promise<SqlDatabase> {
  const sql = await guardSqlite(path, async () => openSqliteDatabase(path));
  try {
    await guardSqlite(path, async () => {
      await migrateDatabase(sql, migrations);
      await probeWritable(sql);
    });
  } catch (error) {
    await sql.close();
    throw error;
  }
  return sql;
}

/** Runs `step`; a SQLite or system fault it raises becomes the RetestError saying what it means for `path`. */
async function guardSqlite<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw fromSystemError(cause, path) ?? fromSystemError(error, path) ?? error;
  }
}

/** A write that is rolled back: SQLITE_READONLY (or another fault) now rather than mid-command. */
async function probeWritable(sql: SqlDatabase): Promise<void> {
  const rollBack = new Error('roll back the write probe');
  try {
    await sql.transaction(async (tx) => {
      await tx.exec(`CREATE TABLE _retest_write_probe_${process.pid}_${Date.now()} (x INTEGER)`);
      throw rollBack;
    });
  } catch (error) {
    if (error !== rollBack) throw error;
  }
}

/** Closes the workspace's database (its connection closes when the last handle on the file is closed). */
export function closeWorkspace(workspace: Workspace): Promise<void> {
  return workspace.sql.close();
}
