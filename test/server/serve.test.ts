/**
 * `retest serve`'s listening socket: a burst of labellers connecting at once is taken in by the
 * kernel's accept queue (LISTEN_BACKLOG in src/server/serve.ts), not dropped. With Node's default
 * of 511, connections beyond it lose their handshake and complete only at the client's SYN
 * retransmission, a second or more later — a wait the server's own queue never sees.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLoadWorkspace, spawnServer, type ServerProcess } from '../../bench/label-harness.ts';

const children: ServerProcess[] = [];
afterAll(() => {
  for (const s of children) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

/** The kernel's cap on any accept queue (net.core.somaxconn), or null where it cannot be read. */
function somaxconn(): number | null {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    return null;
  }
}

const cap = somaxconn();
// More connections than Node's default backlog of 511 can hold, fewer than the kernel's cap.
const burst = cap === null ? 0 : Math.min(900, cap - 64);
if (burst <= 600) console.log(`skipped: net.core.somaxconn is ${cap ?? 'unreadable'}; a backlog above 511 needs it above 664`);

describe.skipIf(burst <= 600)('retest serve: a burst of new connections', () => {
  it(`completes ${burst} handshakes at once while the server is paused, and answers every one after`, async () => {
    const { dir } = await buildLoadWorkspace({ tasks: 1, assignmentsWanted: 1, labellers: 1 });
    const server = await spawnServer(dir);
    children.push(server);
    const { port } = new URL(server.url);
    const pid = server.child.pid!;
    process.kill(pid, 'SIGSTOP'); // nothing accept()s now: only the kernel's queue holds the connections
    const sockets: Socket[] = [];
    try {
      const opened = performance.now();
      const connectTimes = await Promise.all(
        Array.from(
          { length: burst },
          () =>
            new Promise<number>((resolve, reject) => {
              const socket = connect(Number(port), '127.0.0.1', () => resolve(performance.now() - opened));
              socket.on('error', reject);
              sockets.push(socket);
            }),
        ),
      );
      // All handshakes done by the kernel within the burst (a dropped SYN is retried after ≥ 1 s).
      expect(Math.max(...connectTimes)).toBeLessThan(900);
      const answers = sockets.map(
        (socket) =>
          new Promise<string>((resolve, reject) => {
            let text = '';
            socket.setEncoding('utf8');
            socket.on('data', (chunk: string) => {
              text += chunk;
            });
            socket.on('end', () => resolve(text));
            socket.on('error', reject);
            socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
          }),
      );
      process.kill(pid, 'SIGCONT');
      const texts = await Promise.all(answers);
      expect(texts.filter((t) => t.startsWith('HTTP/1.1 200')).length).toBe(burst);
    } finally {
      process.kill(pid, 'SIGCONT');
      for (const socket of sockets) socket.destroy();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
