/**
 * Running the CLI without the privileges that ignore file modes. Tests of permission faults
 * (a read-only workspace, an unreadable folder) need a process for which `chmod` matters: as an
 * ordinary user that is any process; as root it is a process in a new user namespace
 * (`unshare --user`), where root's files belong to "nobody" and file modes apply.
 */
import { spawnSync } from 'node:child_process';

let cached: string[] | null | undefined;

/** The command prefix that runs a program without file-mode privileges, or null when there is none. */
export function unprivilegedPrefix(): string[] | null {
  if (cached !== undefined) return cached;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return (cached = []);
  const probe = spawnSync('unshare', ['--user', process.execPath, '-e', 'process.exit(process.getuid() === 0 ? 1 : 0)'], { encoding: 'utf8' });
  cached = probe.status === 0 ? ['unshare', '--user'] : null;
  return cached;
}

/** Why permission tests are skipped here, or null when they can run. */
export function noUnprivilegedReason(): string | null {
  return unprivilegedPrefix() === null ? 'running as root without `unshare --user`: file modes cannot be made to matter' : null;
}
