export type { Workspace, WorkspaceConfig, InitWorkspaceOptions, ImageRow } from './types.ts';
export { initWorkspace, openWorkspace, closeWorkspace, assertWorkspaceFolder } from './workspace.ts';
export { CONFIG_FILE, DB_FILE, BLOB_DIR } from './config.ts';
export { workspacePath, resolveWorkspaceDir } from './paths.ts';
export { workspaceOption } from './option.ts';
