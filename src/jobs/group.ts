/**
 * What both runners share about job groups: ids, the checks a submission passes, and how a
 * group's state follows from its jobs' states.
 */
import { randomBytes } from 'node:crypto';
import { usageError } from '../core/errors.ts';
import type { GroupSpec, GroupStatus, JobSpec } from './types.ts';

const ID = /^[A-Za-z0-9_.-]+$/;

/** A new group id: time-ordered, unique across machines ("g" + base-36 time + random). */
export function newGroupId(): string {
  return `g${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Every job of a group, children first (depth first, in submission order). */
export function flattenJobs(jobs: readonly JobSpec[]): JobSpec[] {
  const out: JobSpec[] = [];
  const visit = (job: JobSpec) => {
    for (const child of job.children ?? []) visit(child);
    out.push(job);
  };
  for (const job of jobs) visit(job);
  return out;
}

/** Refuses a group with a bad or repeated job id, or a bad tries count. */
export function checkGroup(group: GroupSpec): void {
  const seen = new Set<string>();
  for (const job of flattenJobs(group.jobs)) {
    if (!ID.test(job.id)) throw usageError('job ids are letters, digits, "-", "_" and "."', { field: 'job id', received: JSON.stringify(job.id) });
    if (seen.has(job.id)) throw usageError('job id used twice in one group', { field: 'job id', received: job.id });
    seen.add(job.id);
  }
  if (group.attempts !== undefined && (!Number.isInteger(group.attempts) || group.attempts < 1)) {
    throw usageError('attempts must be a positive integer', { field: 'attempts', received: String(group.attempts) });
  }
}

/** A group's state from its counts: `runnable` = jobs active, waiting to run or waiting to retry. */
export function groupState(c: { cancelled: boolean; jobs: number; completed: number; runnable: number; parked: number }): GroupStatus['state'] {
  if (c.cancelled) return 'cancelled';
  if (c.completed === c.jobs) return 'done';
  if (c.runnable === 0 && c.parked > 0) return 'parked';
  return 'running';
}
