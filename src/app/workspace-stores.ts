/**
 * A workspace folder's stores: each stage's store on the one workspace database, and the wiring of
 * what sampling reads from the stages before it. Loaded by ./workspace.ts when a command opens a
 * workspace (the stages' modules are not loaded at start-up).
 */
import type { WorkspaceStores } from '../cli/app-workspace.ts';
import { createImageCatalog } from '../catalog/index.ts';
import { createDedupStore, type DedupContext } from '../dedup/index.ts';
import { createLabelStore, type LabelSources } from '../label/index.ts';
import { createSampleStore, type SamplingSources } from '../sample/index.ts';
import { createServerStore } from '../server/sql-server-store.ts';
import type { StoreStatus } from '../cli/app-results.ts';
import { connectStore, migrationStatus, refuseNewer } from '../store/index.ts';
import {
  assertWorkspaceFolder,
  closeWorkspace,
  connectWorkspaceWith,
  createWorkspaceWith,
  resolveWorkspaceDir,
  workspaceDatabase,
  type InitWorkspaceOptions,
  type Workspace,
} from '../workspace/index.ts';
import { workspaceMigrations } from './migrations.ts';

/** Creates a workspace in `dir` on either backend (`options.database`: a PostgreSQL URL), with this retest's migrations. */
export function createWorkspace(dir: string, options: InitWorkspaceOptions): Promise<Workspace> {
  return createWorkspaceWith(dir, options, { migrations: workspaceMigrations() });
}

/** Opens the workspace in `dir` on either backend, applying this retest's pending migrations. */
export function connectWorkspace(dir: string): Promise<Workspace> {
  return connectWorkspaceWith(dir, { migrations: workspaceMigrations() });
}

/** The stores of an open workspace (closing the workspace closes them). */
export function workspaceStores(workspace: Workspace): WorkspaceStores {
  const catalog = createImageCatalog(workspace.sql);
  const sample = createSampleStore(workspace.sql);
  const label = createLabelStore(workspace.sql);
  const dedupStore = createDedupStore(workspace.sql);
  const dedup: DedupContext = {
    store: dedupStore,
    sources: {
      async images() {
        return (await catalog.list()).map((im) => ({
          id: im.id,
          role: im.role,
          classIdx: im.classIdx,
          exactDuplicateOf: im.exactDuplicateOf,
          source: im.source,
          sourceId: im.sourceId,
          squarePath: im.squarePath,
        }));
      },
      async classIds() {
        return new Map((await catalog.classes()).map((c) => [c.index, c.id]));
      },
      async ownClassFrequencies() {
        const own = new Map((await catalog.candidates()).map((c) => [c.imageId, c.classIdx]));
        const out = new Map<string, number>();
        for (const f of await label.frequencies({ minAnswers: 0 })) {
          if (f.role === 'candidate' && f.answers > 0 && own.get(f.imageId) === f.classIdx) out.set(f.imageId, f.frequency);
        }
        return out;
      },
      async blacklist() {
        return new Set((await sample.listBlacklist()).map((b) => b.imageId));
      },
      isImagePath: (path) => catalog.hasPath(path),
    },
  };
  const sampling: SamplingSources = {
    async classes() {
      return (await catalog.classes()).map((c) => c.index);
    },
    candidates: () => catalog.candidates(),
    nearDuplicateStatus: () => dedupStore.statuses(),
    frequencies: () => label.frequencies({ minAnswers: 0 }),
  };
  const labelSources: LabelSources = {
    classes: () => catalog.classes(),
    async images() {
      return (await catalog.list()).map((im) => ({
        id: im.id,
        role: im.role,
        classIdx: im.classIdx,
        exactDuplicateOf: im.exactDuplicateOf,
        displayPath: im.displayPath,
      }));
    },
  };
  return { workspace, catalog, sample, label, labelSources, server: createServerStore(workspace.sql), sampling, dedup };
}

/**
 * Opens the workspace at a `--workspace` value (default: $RETEST_WORKSPACE, else the current
 * folder; either backend), runs `fn` and closes it again, also when `fn` fails.
 */
export async function withWorkspace<T>(option: string | undefined, fn: (workspace: Workspace) => Promise<T> | T): Promise<T> {
  const workspace = await connectWorkspace(resolveWorkspaceDir(option));
  try {
    return await fn(workspace);
  } finally {
    await closeWorkspace(workspace);
  }
}

/** Opens the workspace at a `--workspace` value (either backend) with its stores, runs `fn`, closes it. */
export async function withWorkspaceStores<T>(option: string | undefined, fn: (stores: WorkspaceStores) => Promise<T> | T): Promise<T> {
  const workspace = await connectWorkspace(resolveWorkspaceDir(option));
  try {
    return await fn(workspaceStores(workspace));
  } finally {
    await closeWorkspace(workspace);
  }
}

/** Applied, pending and unknown migrations of the workspace's store; changes nothing (the folder must be a workspace). */
export async function workspaceStatus(option: string | undefined): Promise<StoreStatus> {
  const location = workspaceDatabase(assertWorkspaceFolder(resolveWorkspaceDir(option)));
  const db = await connectStore(location, { defaultSchema: 'unused' });
  try {
    return { store: 'workspace', exists: true, ...(await migrationStatus(db, workspaceMigrations())), location: db.location };
  } finally {
    await db.close();
  }
}

/** Applies the workspace store's pending migrations; its status after. */
export async function migrateWorkspace(option: string | undefined): Promise<StoreStatus> {
  refuseNewer(await workspaceStatus(option));
  await closeWorkspace(await connectWorkspace(resolveWorkspaceDir(option)));
  return workspaceStatus(option);
}
