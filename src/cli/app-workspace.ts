/**
 * What the workspace commands (init, classes, collect, tasks, answers, frequencies, dedup, sample,
 * blacklist, export, serve, labellers, mturk) need from the composition root: opening a
 * workspace's stores. Implemented by `src/app/workspace.ts`; the commands never build a store
 * themselves.
 */
import type { ImageCatalog } from '../catalog/index.ts';
import type { SampleStore, SamplingSources } from '../sample/index.ts';
import type { Workspace } from '../workspace/index.ts';

/** The stores of one open workspace (they share its database; closing the workspace closes them). */
export interface WorkspaceStores {
  /** The open workspace: folder, config, classes; `db` for the stages not yet on the port. */
  workspace: Workspace;
  /** Classes, images and ingest failures. */
  catalog: ImageCatalog;
  /** Blacklist and sample revisions. */
  sample: SampleStore;
  /** What sampling reads from the stages before it (catalog, near-duplicate review, answers). */
  sampling: SamplingSources;
}

export interface WorkspaceApp {
  /**
   * Opens the workspace of a `--workspace` value (default: $RETEST_WORKSPACE, else the current
   * folder) with its stores, runs `fn`, and closes it again, also when `fn` fails.
   */
  withWorkspaceStores<T>(option: string | undefined, fn: (stores: WorkspaceStores) => Promise<T> | T): Promise<T>;
}
