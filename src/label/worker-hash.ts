import { sha256Hex, usageError } from '../core/index.ts';

/**
 * The stored form of a worker id: hex sha256(salt + "\n" + rawId). Raw ids (MTurk WorkerIds,
 * labeller names) never reach the database.
 */
export function hashWorkerId(salt: string, rawId: string): string {
  if (salt.length === 0) throw usageError('the worker-id salt is empty', { hint: 'use LabelStore.workerSalt() to get the workspace salt' });
  if (rawId.trim().length === 0) throw usageError('a worker id is empty', { field: 'worker id' });
  return sha256Hex(`${salt}\n${rawId.trim()}`);
}
