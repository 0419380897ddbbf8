import { Option } from 'commander';

/**
 * `--workspace DIR` for every command that acts on a workspace (default: $RETEST_WORKSPACE, else the
 * current folder). Resolve its value with `resolveWorkspaceDir`.
 */
export const workspaceOption = () => new Option('-w, --workspace <dir>', 'workspace folder (default: $RETEST_WORKSPACE, else the current folder)');
