/**
 * Worker-thread entry of exact search: owns one `ShardScanner`. Protocol (from the parent):
 * `{type:'shard', task}` → scans it and answers `{type:'done', count}`; `{type:'finish'}` → answers
 * `{type:'result', scores, indices, sizes}` (transferred) and closes. Errors are answered as
 * `{type:'error', message, stack}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ShardScanner, type ScanInit, type ShardTask } from './shard-scanner.ts';

type Message = { type: 'shard'; task: ShardTask } | { type: 'finish' };

const port = parentPort;
if (port) {
  const scanner = new ShardScanner(workerData as ScanInit);
  const opened = scanner.open();
  let queue: Promise<void> = opened;
  port.on('message', (message: Message) => {
    queue = queue
      .then(async () => {
        if (message.type === 'shard') {
          await scanner.scan(message.task);
          port.postMessage({ type: 'done', count: message.task.count });
        } else {
          const result = scanner.result();
          await scanner.close();
          port.postMessage({ type: 'result', ...result }, [result.scores.buffer as ArrayBuffer, result.indices.buffer as ArrayBuffer, result.sizes.buffer as ArrayBuffer]);
        }
      })
      .catch((error: Error) => port.postMessage({ type: 'error', message: error.message, stack: error.stack }));
  });
}
