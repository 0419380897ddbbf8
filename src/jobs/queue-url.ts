/**
 * `--queue` values: where the Redis of the job queue is, and which queue. Kept apart from the
 * BullMQ code so that reading the command line does not load BullMQ.
 */
import { usageError } from '../core/errors.ts';

/** The BullMQ queue retest's jobs go through unless the URL names another (`redis://host:6379?queue=NAME`). */
export const QUEUE_NAME = 'retest';

/** Where a queue is: BullMQ connection options and the queue's name. */
export interface QueueLocation {
  connection: { host: string; port: number; username?: string; password?: string; db: number; maxRetriesPerRequest: null };
  queue: string;
}

/** The queue at a `redis://[user:password@]host[:port][/db][?queue=NAME]` URL (queue `retest` by default). */
export function parseQueueUrl(url: string): QueueLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError('--queue must be a Redis URL', { field: '--queue', expected: 'redis://host[:port][/db]', received: JSON.stringify(url) });
  }
  if (parsed.protocol !== 'redis:')
    throw usageError('--queue must be a Redis URL', { field: '--queue', expected: 'redis://host[:port][/db]', received: JSON.stringify(url) });
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw usageError('the Redis database in --queue must be a number', { field: '--queue', received: parsed.pathname });
  const queue = parsed.searchParams.get('queue') ?? QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]+$/.test(queue))
    throw usageError('the queue name in --queue is letters, digits, "-", "_" and "."', { field: '--queue', received: JSON.stringify(queue) });
  return {
    connection: {
      host: parsed.hostname || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : 6379,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      db,
      // BullMQ's requirement for its connections: commands wait for a reconnect instead of failing.
      maxRetriesPerRequest: null,
    },
    queue,
  };
}
