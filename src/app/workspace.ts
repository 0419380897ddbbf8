/**
 * The workspace half of the App: opening a workspace folder with its stores (./workspace-stores.ts,
 * loaded on first use so that start-up loads no stage).
 */
import type { WorkspaceApp } from '../cli/app-workspace.ts';

/** The workspace half of the App. */
export function workspaceApp(): WorkspaceApp {
  const stores = () => import('./workspace-stores.ts');
  return {
    async initWorkspace(dir, options) {
      return (await stores()).createWorkspace(dir, options);
    },
    async openWorkspace(option) {
      const { connectWorkspace } = await stores();
      const { resolveWorkspaceDir } = await import('../workspace/index.ts');
      return connectWorkspace(resolveWorkspaceDir(option));
    },
    async withWorkspace(option, fn) {
      return (await stores()).withWorkspace(option, fn);
    },
    async workspaceStatus(option) {
      return (await stores()).workspaceStatus(option);
    },
    async migrateWorkspace(option) {
      return (await stores()).migrateWorkspace(option);
    },
    async storesOf(workspace) {
      return (await stores()).workspaceStores(workspace);
    },
    async withWorkspaceStores(option, fn) {
      return (await stores()).withWorkspaceStores(option, fn);
    },
  };
}
