/**
 * `retest serve`: opens the workspace, starts the app on 127.0.0.1 (by default), prints the admin
 * link, and shuts down gracefully on SIGINT/SIGTERM (in-flight requests finish, then the database
 * closes: every acknowledged answer is already committed).
 */
import type { FastifyInstance } from 'fastify';
import { usageError } from '../core/index.ts';
import { closeWorkspace, type Workspace } from '../workspace/index.ts';
import { checkHost, checkOrigin, checkPublicUrl } from './addresses.ts';
import { buildApp } from './app.ts';
import type { ServerOptions, ServerStores } from './types.ts';

export interface StartOptions extends Omit<ServerOptions, 'workspace' | 'stores'> {
  /** Opens the workspace to serve with its stores (the composition root's); called once the options are checked. */
  openWorkspace: () => Promise<{ workspace: Workspace; stores: ServerStores }>;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Base URL printed in links (default http://HOST:PORT). */
  publicUrl?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  /** Base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Link that signs the admin in. */
  adminUrl: string;
  adminToken: string;
  /** Stops accepting requests, waits for in-flight ones, closes the workspace. */
  close(): Promise<void>;
}

const LISTEN_ERRORS: Record<string, (host: string, port: number) => string> = {
  EADDRINUSE: (host, port) => `port ${port} on ${host} is already in use`,
  EADDRNOTAVAIL: (host) => `${host} is not an address of this machine`,
  ENOTFOUND: (host) => `the host name ${host} does not resolve`,
  EAI_AGAIN: (host) => `the host name ${host} could not be resolved`,
  EACCES: (_host, port) => `not allowed to listen on port ${port} (ports below 1024 need privileges)`,
};

/**
 * The accept queue's length (the kernel caps it at net.core.somaxconn). Node's default, 511, fills
 * when many labellers connect at once (or while a burst of slow requests grows a client's pool):
 * past it the kernel drops the handshake's last packet and the client's connection only completes
 * at the next SYN-ACK retransmission, 1 s or 3 s later — a wait no queue in the process can see.
 */
const LISTEN_BACKLOG = 4096;

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const host = checkHost(options.host ?? '127.0.0.1');
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError('--port must be an integer 0–65535', { field: '--port', received: String(options.port) });
  const publicUrl = options.publicUrl === undefined ? undefined : checkPublicUrl(options.publicUrl);
  for (const origin of options.mturkSubmitOrigins ?? []) checkOrigin(origin);
  const { workspace, stores } = await options.openWorkspace();
  const { openWorkspace: _w, host: _h, port: _p, publicUrl: _u, ...rest } = options;
  let app: FastifyInstance;
  try {
    app = await buildApp({ ...rest, workspace, stores });
    await app.listen({ host, port, backlog: LISTEN_BACKLOG });
  } catch (error) {
    await closeWorkspace(workspace);
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const explain = LISTEN_ERRORS[code];
    if (explain) {
      const field = code === 'EADDRINUSE' || code === 'EACCES' ? '--port' : '--host';
      throw usageError(explain(host, port), {
        field,
        received: code,
        hint: field === '--port' ? 'choose another --port, or stop the other server' : 'use 127.0.0.1 (behind a reverse proxy) or an address of this machine',
      });
    }
    throw error;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await closeWorkspace(workspace);
    })());
  return { app, url, adminUrl: `${url}/admin/login?token=${app.retest.adminToken}`, adminToken: app.retest.adminToken, close };
}
