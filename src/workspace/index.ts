export type { Workspace, WorkspaceConfig, InitWorkspaceOptions, OpenWorkspaceOptions } from './types.ts';
export {
  createWorkspaceWith,
  connectWorkspaceWith,
  closeWorkspace,
  assertWorkspaceFolder,
  workspaceDatabase,
  workspaceDatabaseUrl,
} from './workspace.ts';
export { CONFIG_FILE, DB_FILE, BLOB_DIR } from './config.ts';
export { workspacePath, resolveWorkspaceDir } from './paths.ts';
export { workspaceOption } from './option.ts';
