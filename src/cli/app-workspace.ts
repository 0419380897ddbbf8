/**
 * What the workspace commands (init, classes, collect, tasks, answers, frequencies, dedup, sample,
 * blacklist, export, serve, labellers, mturk) need from the composition root: opening a
 * workspace's stores. Implemented by `src/app/workspace.ts`; the commands never build a store
 * themselves.
 */
import type { ImageCatalog } from '../catalog/index.ts';
import type { DedupContext } from '../dedup/index.ts';
import type { LabelSources, LabelStore } from '../label/index.ts';
import type { ServerStore } from '../server/index.ts';
import type { SampleStore, SamplingSources } from '../sample/index.ts';
import type { InitWorkspaceOptions, Workspace } from '../workspace/index.ts';
import type { StoreStatus } from './app-results.ts';

/** The stores of one open workspace (they share its database; closing the workspace closes them). */
export interface WorkspaceStores {
  /** The open workspace: folder, config, classes; `db` for the stages not yet on the port. */
  workspace: Workspace;
  /** Classes, images and ingest failures. */
  catalog: ImageCatalog;
  /** Blacklist and sample revisions. */
  sample: SampleStore;
  /** Tasks, claims, submissions, imports and reviews. */
  label: LabelStore;
  /** What task creation and the MTurk export read from the catalog (classes, images). */
  labelSources: LabelSources;
  /** The labelling server's own tables (labellers, secrets, MTurk mode). */
  server: ServerStore;
  /** What sampling reads from the stages before it (catalog, near-duplicate review, answers). */
  sampling: SamplingSources;
  /** The near-duplicate store with what it reads from the catalog, the answers and the blacklist. */
  dedup: DedupContext;
}

export interface WorkspaceApp {
  /** Creates a workspace in `dir` (new or empty) with every stage's tables, and returns it open (close it with `closeWorkspace`). */
  initWorkspace(dir: string, options: InitWorkspaceOptions): Promise<Workspace>;
  /** Opens the workspace of a `--workspace` value, applying pending migrations (close it with `closeWorkspace`). */
  openWorkspace(option: string | undefined): Promise<Workspace>;
  /** Opens the workspace of a `--workspace` value, runs `fn`, and closes it again, also when `fn` fails. */
  withWorkspace<T>(option: string | undefined, fn: (workspace: Workspace) => Promise<T> | T): Promise<T>;
  /**
   * Opens the workspace of a `--workspace` value (default: $RETEST_WORKSPACE, else the current
   * folder) with its stores, runs `fn`, and closes it again, also when `fn` fails.
   */
  /** Applied, pending and unknown migrations of the workspace's store at a `--workspace` value; changes nothing. */
  workspaceStatus(option: string | undefined): Promise<StoreStatus>;
  /** Applies the pending migrations of the workspace's store (a store of a newer retest is refused); its status after. */
  migrateWorkspace(option: string | undefined): Promise<StoreStatus>;
  /** The stores of a workspace opened with `openWorkspace` (closing the workspace closes them). */
  storesOf(workspace: Workspace): Promise<WorkspaceStores>;
  withWorkspaceStores<T>(option: string | undefined, fn: (stores: WorkspaceStores) => Promise<T> | T): Promise<T>;
}
