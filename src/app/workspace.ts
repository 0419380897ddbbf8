/**
 * The workspace half of the App: opening a workspace folder with its stores (./workspace-stores.ts,
 * loaded on first use so that start-up loads no stage).
 */
import type { WorkspaceApp } from '../cli/app-workspace.ts';

/** What the App knows of the command being run (set by the CLI before the action). */
export interface CommandContext {
  /** The command's words, e.g. "tasks create"; named in the refusal of a stage not yet on PostgreSQL. */
  command?: string;
}

/** The workspace half of the App. */
export function workspaceApp(context: CommandContext = {}): WorkspaceApp {
  const stores = () => import('./workspace-stores.ts');
  return {
    async initWorkspace(dir, options) {
      return (await stores()).createWorkspace(dir, options, context.command);
    },
    async openWorkspace(option) {
      const { connectWorkspace } = await stores();
      const { resolveWorkspaceDir } = await import('../workspace/index.ts');
      return connectWorkspace(resolveWorkspaceDir(option), context.command);
    },
    async withWorkspace(option, fn) {
      return (await stores()).withWorkspaceAsync(option, fn, context.command);
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
      return (await stores()).withWorkspaceStores(option, fn, context.command);
    },
  };
}
