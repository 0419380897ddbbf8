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

export interface KnnTask {
  init: ScanInit;
  shards: ShardTask[];
  /** Receives the reference count of each shard once it is scanned. */
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
    task.progress.close();
  }
}
