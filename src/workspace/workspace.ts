/**
 * Creating and opening a workspace folder (layout in ./types.ts).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadClasses } from '../classes/index.ts';
import type { ClassDef } from '../classes/index.ts';
import { dataError, usageError } from '../core/errors.ts';
import { openDatabase, type Db } from '../store/index.ts';
import { BLOB_DIR, CONFIG_FILE, DB_FILE, readConfig, writeConfig } from './config.ts';
import { allWorkspaceMigrations } from './migrations.ts';
import type { InitWorkspaceOptions, Workspace, WorkspaceConfig } from './types.ts';
import { resolveWorkspaceDir } from './paths.ts';

/**
 * Creates a workspace in `dir` (created if missing; it must not already be a workspace and must be
 * empty apart from hidden files) and returns it open.
 */
export function initWorkspace(dir: string, options: InitWorkspaceOptions): Workspace {
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
  const db = openDatabase(join(root, DB_FILE), allWorkspaceMigrations());
  const insert = db.prepare('INSERT INTO classes (idx, id, names, definition, urls, similar, hypernyms, hypernym_names) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const c of classes) insert.run(c.index, c.id, JSON.stringify(c.names), c.definition, JSON.stringify(c.urls), JSON.stringify(c.similar), JSON.stringify(c.hypernyms), JSON.stringify(c.hypernymNames ?? []));
  })();
  // The config is written last: a folder without it is not (yet) a workspace.
  writeConfig(join(root, CONFIG_FILE), config);
  return { dir: root, db, config, classes, blobDir: join(root, BLOB_DIR) };
}

/** Opens the workspace in `dir`, applying any migrations not yet applied. */
export function openWorkspace(dir: string): Workspace {
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
  const config = readConfig(configPath);
  const db = openDatabase(join(root, DB_FILE), allWorkspaceMigrations());
  const classes = readClasses(db, join(root, DB_FILE));
  return { dir: root, db, config, classes, blobDir: join(root, BLOB_DIR) };
}

/** Closes the workspace's database. */
export function closeWorkspace(workspace: Workspace): void {
  if (workspace.db.open) workspace.db.close();
}

interface ClassDbRow { idx: number; id: string; names: string; definition: string; urls: string; similar: string; hypernyms: string; hypernym_names: string }

function readClasses(db: Db, file: string): ClassDef[] {
  const rows = db.prepare('SELECT idx, id, names, definition, urls, similar, hypernyms, hypernym_names FROM classes ORDER BY idx').all() as ClassDbRow[];
  return rows.map((r, i) => {
    if (r.idx !== i) throw dataError('the classes table has a gap in its indices', { file, record: i, field: 'idx', expected: String(i), received: String(r.idx) });
    return { index: r.idx, id: r.id, names: JSON.parse(r.names), definition: r.definition, urls: JSON.parse(r.urls), similar: JSON.parse(r.similar), hypernyms: JSON.parse(r.hypernyms), hypernymNames: JSON.parse(r.hypernym_names) };
  });
}

/**
 * Opens the workspace of a `--workspace` value (default: $RETEST_WORKSPACE, else the current
 * folder), runs `fn` and closes it again, also when `fn` throws or its promise rejects.
 */
export function withWorkspace<T>(option: string | undefined, fn: (workspace: Workspace) => T): T {
  const workspace = openWorkspace(resolveWorkspaceDir(option));
  let result: T;
  try {
    result = fn(workspace);
  } catch (error) {
    closeWorkspace(workspace);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => closeWorkspace(workspace)) as T;
  closeWorkspace(workspace);
  return result;
}
