/**
 * Worker-thread entry of exact search (piscina). One task scans a list of reference shards against
 * one chunk of queries and answers its best candidates per query; progress goes back shard by
 * shard on the task's own MessagePort. A failure is answered as data (`WireFailure`), so a
 * RetestError arrives in the caller as the RetestError it was.
 */
import type { MessagePort } from 'node:worker_threads';
import { toWireError, type WireFailure } from '../core/wire-error.ts';
import { ShardScanner, type ScanInit, type ShardTask } from './shard-scanner.ts';
import type { TopKData } from './top-k.ts';

/** Sent on the progress port after the last shard count (a count is never negative). */
export const DRAINED = -1;

export interface KnnTask {
  init: ScanInit;
  shards: ShardTask[];
  /** Receives the reference count of each shard once it is scanned, then DRAINED. */
  progress: MessagePort;
}

export default async function scanShards(task: KnnTask): Promise<TopKData | WireFailure> {
  const scanner = new ShardScanner(task.init);
  try {
    await scanner.open();
    for (const shard of task.shards) {
      await scanner.scan(shard);
      task.progress.postMessage(shard.count);
    }
    return scanner.result();
  } catch (error) {
    return { failure: toWireError(error) };
  } finally {
    await scanner.close();
    // The last message on the port: everything before it has arrived when the caller sees it.
    task.progress.postMessage(DRAINED);
    task.progress.close();
  }
}
