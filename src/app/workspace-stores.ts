/**
 * A workspace folder's stores: each stage's store on the one workspace database, and the wiring of
 * what sampling reads from the stages before it. Loaded by ./workspace.ts when a command opens a
 * workspace (the stages' modules are not loaded at start-up).
 */
import type { WorkspaceStores } from '../cli/app-workspace.ts';
import { createImageCatalog } from '../catalog/index.ts';
import { nearDuplicateStatus } from '../dedup/index.ts';
import { selectionFrequencies } from '../label/index.ts';
import { createSampleStore, type SamplingSources } from '../sample/index.ts';
import { join } from 'node:path';
import type { StoreStatus } from '../cli/app-results.ts';
import { connectStore, migrationStatus, refuseNewer } from '../store/index.ts';
import {
  assertWorkspaceFolder,
  closeWorkspace,
  DB_FILE,
  initWorkspace as initWorkspaceWith,
  openWorkspace as openWorkspaceWith,
  resolveWorkspaceDir,
  type InitWorkspaceOptions,
  type Workspace,
} from '../workspace/index.ts';
import { workspaceMigrations } from './migrations.ts';

/** Creates a workspace in `dir` with every stage's tables (`initWorkspace` of src/workspace with this retest's migrations). */
export function initWorkspace(dir: string, options: InitWorkspaceOptions): Workspace {
  return initWorkspaceWith(dir, options, workspaceMigrations());
}

/** Opens the workspace in `dir`, applying this retest's pending migrations. */
export function openWorkspace(dir: string): Workspace {
  return openWorkspaceWith(dir, workspaceMigrations());
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
    void closeWorkspace(workspace);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => closeWorkspace(workspace)) as T;
  void closeWorkspace(workspace);
  return result;
}

/** The stores of an open workspace (closing the workspace closes them). */
export function workspaceStores(workspace: Workspace): WorkspaceStores {
  const catalog = createImageCatalog(workspace.sql);
  const sample = createSampleStore(workspace.sql);
  const sampling: SamplingSources = {
    async classes() {
      return (await catalog.classes()).map((c) => c.index);
    },
    candidates: () => catalog.candidates(),
    // TODO(issue 12): DedupStore and LabelStore; until then these two read through the stages' synchronous functions.
    async nearDuplicateStatus() {
      return nearDuplicateStatus(workspace.db);
    },
    async frequencies() {
      return selectionFrequencies(workspace.db, { minAnswers: 0 });
    },
  };
  return { workspace, catalog, sample, sampling };
}

/** Opens the workspace at a `--workspace` value with its stores, runs `fn`, closes it. */
export async function withWorkspaceStores<T>(option: string | undefined, fn: (stores: WorkspaceStores) => Promise<T> | T): Promise<T> {
  const workspace = openWorkspace(resolveWorkspaceDir(option));
  try {
    return await fn(workspaceStores(workspace));
  } finally {
    await closeWorkspace(workspace);
  }
}


/** Applied, pending and unknown migrations of the workspace's store; changes nothing (the folder must be a workspace). */
export async function workspaceStatus(option: string | undefined): Promise<StoreStatus> {
  const path = join(assertWorkspaceFolder(resolveWorkspaceDir(option)), DB_FILE);
  const db = await connectStore(path, { defaultSchema: 'unused' });
  try {
    return { store: 'workspace', exists: true, ...(await migrationStatus(db, workspaceMigrations())), location: path };
  } finally {
    await db.close();
  }
}

/** Applies the workspace store's pending migrations; its status after. */
export async function migrateWorkspace(option: string | undefined): Promise<StoreStatus> {
  refuseNewer(await workspaceStatus(option));
  await closeWorkspace(openWorkspace(resolveWorkspaceDir(option)));
  return workspaceStatus(option);
}
