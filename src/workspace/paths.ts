import { isAbsolute, join, resolve } from 'node:path';
import type { Workspace } from './types.ts';

/** Absolute path of a path stored relative to the workspace (as in images.display_path). */
export function workspacePath(workspace: Pick<Workspace, 'dir'>, relative: string): string {
  return isAbsolute(relative) ? relative : join(workspace.dir, relative);
}

/** The workspace folder for a command: `--workspace`, else $RETEST_WORKSPACE, else the current folder. */
export function resolveWorkspaceDir(option: string | undefined): string {
  return resolve(option ?? process.env.RETEST_WORKSPACE ?? process.cwd());
}
