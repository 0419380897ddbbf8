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
import { closeWorkspace, openWorkspace, resolveWorkspaceDir, type Workspace } from '../workspace/index.ts';

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

