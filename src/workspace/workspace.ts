/**
 * Creating and opening a workspace folder (layout in ./types.ts).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadClasses } from '../classes/index.ts';
import type { ClassDef } from '../classes/index.ts';
import { insertClassesSync, readClassesSync } from '../catalog/index.ts';
import { fromSystemError, usageError } from '../core/errors.ts';
import { openSqliteDatabase, prepareConnection, sqliteConnection, type Db, type SqlDatabase, type SqlMigration } from '../store/index.ts';
import { BLOB_DIR, CONFIG_FILE, DB_FILE, readConfig, writeConfig } from './config.ts';
import type { InitWorkspaceOptions, Workspace, WorkspaceConfig } from './types.ts';

/**
 * Creates a workspace in `dir` (created if missing; it must not already be a workspace and must be
 * empty apart from hidden files) and returns it open, with `migrations` applied (every stage's,
 * composed by the composition root: src/app/migrations.ts).
 */
export function initWorkspace(dir: string, options: InitWorkspaceOptions, migrations: readonly SqlMigration[]): Workspace {
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
  const classSource = typeof options.classes === 'string'
    ? (options.classes === 'imagenet' || options.classes === 'cifar10' ? options.classes : resolve(options.classes))
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
  const { db, sql } = openWorkspaceDatabase(join(root, DB_FILE), migrations);
  insertClassesSync(db, classes);
  // The config is written last: a folder without it is not (yet) a workspace.
  writeConfig(join(root, CONFIG_FILE), config);
  return { dir: root, db, sql, config, classes, blobDir: join(root, BLOB_DIR) };
}

/** The absolute path of `dir` when it is a workspace (its config and database exist); else a usage error saying what is missing. */
export function assertWorkspaceFolder(dir: string): string {
  const root = resolve(dir);
  const configPath = join(root, CONFIG_FILE);
  if (!existsSync(configPath) || !existsSync(join(root, DB_FILE))) {
    throw usageError('not a retest workspace', {
      file: root,
      expected: `a folder with ${CONFIG_FILE} and ${DB_FILE}`,
      received: existsSync(root) ? `missing ${existsSync(configPath) ? DB_FILE : CONFIG_FILE}` : 'no such folder',
      hint: 'create one with `retest init DIR --classes imagenet|cifar10|FILE.json`, or pass --workspace DIR',
    });
  }
  return root;
}

/** Opens the workspace in `dir`, applying those of `migrations` not yet applied. */
export function openWorkspace(dir: string, migrations: readonly SqlMigration[]): Workspace {
  const root = assertWorkspaceFolder(dir);
  const configPath = join(root, CONFIG_FILE);
  const config = readConfig(configPath);
  const { db, sql } = openWorkspaceDatabase(join(root, DB_FILE), migrations);
  let classes;
  try {
    classes = readClassesSync(db, join(root, DB_FILE));
  } catch (error) {
    void sql.close();
    throw error;
  }
  return { dir: root, db, sql, config, classes, blobDir: join(root, BLOB_DIR) };
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
