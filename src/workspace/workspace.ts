/**
 * Creating and opening a workspace folder (layout in ./types.ts): its database is the SQLite file
 * `workspace.db` in the folder (the default), or a schema of a PostgreSQL database named in
 * `retest.json` (`retest init DIR --workspace-db postgres://…`).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadClasses } from '../classes/index.ts';
import type { ClassDef } from '../classes/index.ts';
import { createImageCatalog, insertClassesSync, readClassesSync } from '../catalog/index.ts';
import { fromSystemError, usageError } from '../core/errors.ts';
import { redactUrl } from '../core/redact.ts';
import {
  connectStore,
  migrateDatabase,
  openSqliteDatabase,
  parseStoreLocation,
  prepareConnection,
  sqliteConnection,
  type Db,
  type SqlDatabase,
  type SqlMigration,
} from '../store/index.ts';
import { BLOB_DIR, CONFIG_FILE, DB_FILE, readConfig, writeConfig } from './config.ts';
import type { InitWorkspaceOptions, OpenWorkspaceOptions, Workspace, WorkspaceConfig } from './types.ts';

/**
 * Creates a workspace in `dir` (created if missing; it must not already be a workspace and must be
 * empty apart from hidden files) and returns it open, with `migrations` applied (every stage's,
 * composed by the composition root: src/app/migrations.ts). SQLite only (synchronous): a
 * PostgreSQL workspace is created with `createWorkspaceWith`.
 */
export function initWorkspaceWith(dir: string, options: InitWorkspaceOptions, migrations: readonly SqlMigration[]): Workspace {
  if (options.database !== undefined)
    throw new Error('initWorkspaceWith is SQLite only: create a PostgreSQL workspace with createWorkspaceWith (this is a bug)');
  const { root, classes, config } = prepareFolder(dir, options);
  const { db, sql } = openWorkspaceDatabase(join(root, DB_FILE), migrations);
  insertClassesSync(db, classes);
  // The config is written last: a folder without it is not (yet) a workspace.
  writeConfig(join(root, CONFIG_FILE), config);
  return sqliteWorkspace(root, db, sql, config, classes);
}

/**
 * Creates a workspace in `dir` (as `initWorkspaceWith`), on SQLite or, with `options.database`, in a
 * new schema of a PostgreSQL database (the schema must hold no tables yet: one workspace per
 * schema). The URL is recorded in `retest.json` with its schema and without a password.
 */
export async function createWorkspaceWith(dir: string, options: InitWorkspaceOptions, open: OpenWorkspaceOptions): Promise<Workspace> {
  if (options.database === undefined) return initWorkspaceWith(dir, options, open.migrations);
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
  return postgresWorkspace(root, sql, withDb, classes, open.command);
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

/**
 * Opens the SQLite workspace in `dir`, applying those of `migrations` not yet applied
 * (synchronous). A PostgreSQL workspace is a usage error: open it with `connectWorkspaceWith`.
 */
export function openWorkspaceWith(dir: string, migrations: readonly SqlMigration[]): Workspace {
  const root = assertWorkspaceFolder(dir);
  const configPath = join(root, CONFIG_FILE);
  const config = readConfig(configPath);
  if (config.database !== undefined) {
    throw usageError('this workspace is on PostgreSQL and this caller opens workspaces synchronously (SQLite only)', {
      file: root,
      received: redactUrl(config.database),
      hint: 'open it with connectWorkspaceWith (this is a bug when a retest command says so)',
    });
  }
  const { db, sql } = openWorkspaceDatabase(join(root, DB_FILE), migrations);
  let classes;
  try {
    classes = readClassesSync(db, join(root, DB_FILE));
  } catch (error) {
    void sql.close();
    throw error;
  }
  return sqliteWorkspace(root, db, sql, config, classes);
}

/** Opens the workspace in `dir` on either backend, applying the pending migrations. */
export async function connectWorkspaceWith(dir: string, open: OpenWorkspaceOptions): Promise<Workspace> {
  const root = assertWorkspaceFolder(dir);
  const config = readConfig(join(root, CONFIG_FILE));
  if (config.database === undefined) return openWorkspaceWith(root, open.migrations);
  const sql = await connectStore(config.database, { defaultSchema: 'unused' });
  let classes: ClassDef[];
  try {
    await migrateDatabase(sql, open.migrations);
    classes = await createImageCatalog(sql).classes();
  } catch (error) {
    await sql.close();
    throw error;
  }
  return postgresWorkspace(root, sql, config, classes, open.command);
}

function sqliteWorkspace(root: string, db: Db, sql: SqlDatabase, config: WorkspaceConfig, classes: ClassDef[]): Workspace {
  return { dir: root, db, sql, backend: 'sqlite', config, classes, blobDir: join(root, BLOB_DIR) };
}

/** A PostgreSQL workspace: `db` (the synchronous handle of the stages not yet on the port) refuses plainly. */
function postgresWorkspace(root: string, sql: SqlDatabase, config: WorkspaceConfig, classes: ClassDef[], command: string | undefined): Workspace {
  return {
    dir: root,
    sql,
    backend: 'postgres',
    config,
    classes,
    blobDir: join(root, BLOB_DIR),
    get db(): Db {
      throw usageError(`${command === undefined ? 'this command' : `retest ${command}`} does not run on a PostgreSQL workspace yet`, {
        file: sql.location,
        hint: 'its stage still reads the workspace through SQLite; use a SQLite workspace (retest init without --workspace-db) for it',
      });
    },
  };
}

/**
 * The workspace database: one SQLite connection shared by the async port (`sql`, which the stage
 * stores use) and the synchronous handle (`db`) of the stages not yet moved onto the port, so that
 * the two never wait on each other's write lock. Every stage's migrations applied.
 */
function openWorkspaceDatabase(path: string, migrations: readonly SqlMigration[]): { db: Db; sql: SqlDatabase } {
  let sql: SqlDatabase;
  try {
    sql = openSqliteDatabase(path);
  } catch (error) {
    // The port names a SQLite fault by its code; the workspace says what it means (read-only, full, …).
    throw fromSystemError((error as { cause?: unknown }).cause, path) ?? error;
  }
  const db = sqliteConnection(sql);
  try {
    prepareConnection(db, path, migrations);
  } catch (error) {
    void sql.close();
    throw error;
  }
  return { db, sql };
}

/** Closes the workspace's database (its connection closes when the last handle on the file is closed). */
export function closeWorkspace(workspace: Workspace): Promise<void> {
  return workspace.sql.close();
}
