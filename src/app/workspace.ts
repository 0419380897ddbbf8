/**
 * The workspace half of the App: opening a workspace folder with its stores (./workspace-stores.ts,
 * loaded on first use so that start-up loads no stage).
 */
import type { WorkspaceApp } from '../cli/app-workspace.ts';

/** The workspace half of the App. */
export function workspaceApp(): WorkspaceApp {
  return {
    async withWorkspaceStores(option, fn) {
      const { withWorkspaceStores } = await import('./workspace-stores.ts');
      return withWorkspaceStores(option, fn);
    },
  };
}
