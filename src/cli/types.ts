/**
 * The contract between the command line and the composition root (`src/app`): every command is
 * registered with an `App`, through which it opens stores and starts servers. The CLI never
 * imports `src/app`; `src/app` builds the CLI with its implementation of this interface.
 */
import type { Command } from 'commander';
import type { ResultsApp } from './app-results.ts';
import type { WorkspaceApp } from './app-workspace.ts';

export type { StoreStatus } from './app-results.ts';
export type { WorkspaceStores } from './app-workspace.ts';

export interface App extends ResultsApp, WorkspaceApp {
  /** Told the command's words (e.g. "tasks create") just before its action runs. */
  startCommand?(name: string): void;
}

/** One sub-command (or group): adds itself to `program`, using `app` for stores and servers. */
export type RegisterCommand = (program: Command, app: App) => void;
