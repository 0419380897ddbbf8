/**
 * Run owners: one process per run, named "host:pid" so that a holder on this machine that died
 * (killed, crashed) is recognised at once; a holder on another machine is trusted until its lease
 * lapses.
 */
import { hostname } from 'node:os';
import type { RunOwner } from './types.ts';

/** The owner id of this process. */
export function thisProcess(leaseSeconds = 60): RunOwner {
  return { id: `${hostname()}:${process.pid}`, leaseSeconds };
}

/** Whether the process behind an owner id is certainly gone (same host, no such pid). */
export function ownerIsGone(owner: string): boolean {
  const at = owner.lastIndexOf(':');
  if (at < 0 || owner.slice(0, at) !== hostname()) return false;
  const pid = Number(owner.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}
