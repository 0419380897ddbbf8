/**
 * Worker-thread entry of exact search. Workers are pooled and reused across searches. Protocol
 * (from the parent): `{type:'init', init}` starts a search (a fresh `ShardScanner`);
 * `{type:'shard', task}` → scans it and answers `{type:'done', count}`; `{type:'finish'}` → answers
 * `{type:'result', scores, indices, sizes}` (transferred). Errors are answered as
 * `{type:'error', message, stack}`.
 */
import { parentPort } from 'node:worker_threads';
import { ShardScanner, type ScanInit, type ShardTask } from './shard-scanner.ts';

type Message = { type: 'init'; init: ScanInit } | { type: 'shard'; task: ShardTask } | { type: 'finish' };

const port = parentPort;
if (port) {
  let scanner: ShardScanner | null = null;
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: Message) => {
    queue = queue
      .then(async () => {
        if (message.type === 'init') {
          await scanner?.close();
          scanner = new ShardScanner(message.init);
          await scanner.open();
        } else if (message.type === 'shard') {
          if (!scanner) throw new Error('shard before init');
          await scanner.scan(message.task);
          port.postMessage({ type: 'done', count: message.task.count });
        } else {
          if (!scanner) throw new Error('finish before init');
          const result = scanner.result();
          await scanner.close();
          scanner = null;
          port.postMessage({ type: 'result', ...result }, [result.scores.buffer as ArrayBuffer, result.indices.buffer as ArrayBuffer, result.sizes.buffer as ArrayBuffer]);
        }
      })
      .catch((error: Error) => port.postMessage({ type: 'error', message: error.message, stack: error.stack }));
  });
}
