/**
 * The labelling web app (issue 5) as a Fastify instance: `buildApp` for tests (`app.inject`) and
 * for `startServer`. One error boundary turns RetestErrors and refused claims into HTTP answers;
 * every response carries security headers (CSP without inline script or style, nosniff,
 * no-referrer) and `Cache-Control: no-store` unless a route set its own.
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRetestError, sha256Hex } from '../core/index.ts';
import { errorIssues, httpStatusOf } from './http-errors.ts';
import { registerDedupReview } from './routes/dedup-review.ts';
import { type ServerContext, createContext, principalOf, refuse } from './context.ts';
import type { Release, RequestKind } from './fair-queue.ts';
import { renderMessagePage } from './pages/task-page.ts';
import { adminGuard, registerAdminRoutes } from './routes/admin.ts';
import { registerLabellerRoutes } from './routes/labeller.ts';
import { registerMturkRoutes } from './routes/mturk.ts';
import { randomToken } from '../core/tokens.ts';
import type { ServerOptions } from './types.ts';
import { redactUrl } from '../core/redact.ts';
import { startBackgroundCheckpoints } from '../store/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The admin token of this server and its shared context. */
    retest: { adminToken: string; context: ServerContext };
  }
}

const ASSET_DIR = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const ASSETS: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'label.js': 'text/javascript; charset=utf-8',
  'mturk-submit.js': 'text/javascript; charset=utf-8',
};

/** Where the near-duplicate review (DEDUP's Fastify plugin) is mounted, behind the admin token. */
export const DEDUP_PREFIX = '/admin/dedup';

/** CSP source lists allowing exactly the inline <script> and <style> blocks of a page. */
export function inlineHashes(html: string): { script: string; style: string } {
  const hashes = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
      .map((m) => ` 'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`)
      .join('');
  return { script: hashes('script'), style: hashes('style') };
}

/** Rate-limit key: the token behind the request (labeller, admin, image scope), else the address. */
async function rateKey(ctx: ServerContext, request: FastifyRequest): Promise<string> {
  const who = await principalOf(ctx, request);
  if (who?.kind === 'admin') return 'admin';
  if (who?.kind === 'labeller') return `labeller:${who.labeller.id}`;
  const img = /^\/img\/([^/]+)\//.exec(request.url);
  if (img) return `img:${img[1]}`;
  const mturk = /[?&]workerId=([^&#]+)/.exec(request.url);
  if (mturk) return `mturk:${sha256Hex(mturk[1]!)}`;
  return `ip:${request.ip}`;
}

/**
 * The Server-Timing header of a queued labeller request: `queue` is the wait for a slot of the fair
 * queue, `total` everything from the first byte read to the response (queue included), both in ms.
 */
/** The queue a labeller request waits in: a submission, a page that starts a new task, or none (null). */
function queuedKind(request: FastifyRequest): RequestKind | null {
  const path = request.url.split('?')[0];
  if (request.method === 'GET' && (path === '/label' || path === '/mturk')) return 'page';
  if (request.method === 'POST' && (path === '/label/submit' || path === '/mturk/submit')) return 'submit';
  return null;
}

export function serverTiming(queueMs: number, totalMs: number): string {
  return `queue;dur=${queueMs.toFixed(1)}, total;dur=${totalMs.toFixed(1)}`;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the server's hooks and route registration, in the order Fastify applies them
export async function buildApp(options: ServerOptions): Promise<FastifyInstance> {
  const adminToken = options.adminToken ?? randomToken(24);
  const app = Fastify({
    logger:
      options.logger === undefined || options.logger === false
        ? false
        : {
            ...(options.logger === true ? {} : options.logger),
            serializers: {
              req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), ip: req.ip }),
            },
          },
    bodyLimit: 64 * 1024,
    trustProxy: options.trustProxy ?? false,
  });
  const ctx = await createContext(options, adminToken, (error, message) => app.log.warn({ err: error }, message));
  await options.stores.server.setSecret('admin_token_sha256', ctx.adminSha);
  // An acknowledged answer must survive a crash of the machine, not only of the process (PostgreSQL's
  // COMMIT waits for its WAL flush with the default synchronous_commit = on). SQLite: commits do not fsync (synchronous = NORMAL); the group commit awaits sql.sync() (one
  // fdatasync of the WAL in the thread pool) before it acknowledges, and the checkpoints run in a
  // worker thread, so a slow disk never stops the event loop from reading and timing requests.
  startBackgroundCheckpoints(options.workspace.sql);
  app.decorate('retest', { adminToken, context: ctx });
  // A person typing `/admin/` means the dashboard (the route table is strict about trailing slashes).
  app.get('/admin/', (_request, reply) => reply.redirect('/admin'));
  app.addHook('onClose', async () => ctx.dashboard.close());

  await app.register(cookie);
  await app.register(formbody);
  await app.register(rateLimit, {
    global: true,
    max: ctx.rateLimitPerMinute,
    timeWindow: 60_000,
    hook: 'preHandler',
    keyGenerator: (request) => rateKey(ctx, request),
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const framed = request.url.startsWith('/mturk');
    const formTargets = framed ? ` ${ctx.mturkOrigins.join(' ')}` : '';
    // Our pages have no inline script or style. The mounted near-duplicate review page has inline
    // blocks: those exact blocks (and nothing injected later) are allowed by their hashes.
    const inline =
      ctx.dedupPrefix && request.url.startsWith(ctx.dedupPrefix) && typeof payload === 'string' ? inlineHashes(payload) : { script: '', style: '' };
    reply.header(
      'Content-Security-Policy',
      `default-src 'none'; img-src 'self'; style-src 'self'${inline.style}; script-src 'self'${inline.script}; connect-src 'self'; form-action 'self'${formTargets}; frame-ancestors ${framed ? ctx.mturkOrigins.join(' ') : "'none'"}; base-uri 'none'`,
    );
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    if (!framed) reply.header('X-Frame-Options', 'DENY');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });

  // Fair queueing (src/server/fair-queue.ts): labeller requests wait their turn, submissions first;
  // one that waited past its deadline (a multiple of its kind's recent median service time, at most
  // the fixed deadline) is refused at once (503) rather than served late.
  const slots = new WeakMap<FastifyRequest, Release>();
  // How long each queued request waited for its slot (ms), reported with the in-server time in a
  // standard Server-Timing header, so a load test (or a browser's devtools) can tell a wait in the
  // server from one in the network or in the client.
  const queued = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (request, reply) => {
    const kind = queuedKind(request);
    if (kind === null) return;
    const entered = performance.now();
    const release = await ctx.queue.enter(kind, ctx.deadlines[kind]);
    queued.set(request, performance.now() - entered);
    if (release === null) {
      reply.header('Retry-After', '2');
      return refuse(request, reply, 503, 'Many people are labelling right now: please try again in a few seconds.', renderMessagePage);
    }
    slots.set(request, release);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const wait = queued.get(request);
    if (wait !== undefined) reply.header('Server-Timing', serverTiming(wait, reply.elapsedTime));
    return payload;
  });
  // A served request's service time (from its admission) feeds its kind's median; an aborted one only frees its slot.
  app.addHook('onResponse', async (request, reply) => slots.get(request)?.(reply.elapsedTime - (queued.get(request) ?? 0)));
  app.addHook('onRequestAbort', async (request) => slots.get(request)?.());

  // State-changing requests must come from our own pages (in addition to the CSRF token).
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let same = false;
      try {
        const from = new URL(origin);
        same = from.host === new URL(`${from.protocol}//${request.headers.host ?? ''}`).host;
      } catch {
        /* malformed: refused below */
      }
      if (!same) return refuse(request, reply, 403, 'Cross-site form posts are refused.', renderMessagePage);
    }
  });

  app.setErrorHandler((error, request, reply) => {
    // One mapping for every route (src/server/http-errors.ts): usage/data → 4xx, io → 503, bugs → 500.
    const status = httpStatusOf(error);
    if (status >= 500 && !(isRetestError(error) && error.kind === 'io')) {
      request.log.error({ err: error }, 'unhandled error');
      return refuse(request, reply, status, 'Something went wrong on the server; the error was logged.', renderMessagePage);
    }
    if (status >= 500) request.log.error({ err: error }, 'store unavailable');
    const message =
      status === 429
        ? 'Too many requests: slow down a little.'
        : status === 503
          ? 'The workspace store is not available right now; try again shortly.'
          : (error as Error).message;
    return refuse(request, reply, status, message, renderMessagePage, errorIssues(error));
  });
  app.setNotFoundHandler((request, reply) => refuse(request, reply, 404, 'There is no such page.', renderMessagePage));

  app.get('/health', async (_request, reply) => {
    const ok = await ctx.server.ping();
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'error', workspace: ctx.workspace.dir.split('/').pop() });
  });

  const assetBodies = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(ASSET_DIR, name))]));
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const body = assetBodies.get(request.params.name);
    if (!body) return refuse(request, reply, 404, 'No such file.', renderMessagePage);
    return reply.header('Cache-Control', 'public, max-age=300').type(ASSETS[request.params.name]!).send(body);
  });

  app.get('/', async (request, reply) => {
    const who = await principalOf(ctx, request);
    if (who?.kind === 'labeller') return reply.code(303).header('Location', '/label').send();
    return reply
      .type('text/html; charset=utf-8')
      .send(
        renderMessagePage('retest labelling', 'Open your personal labelling link to start labelling. Builders: open the admin link printed by `retest serve`.'),
      );
  });

  registerLabellerRoutes(app, ctx);
  registerMturkRoutes(app, ctx);
  await app.register(async (admin) => {
    admin.addHook('onRequest', adminGuard(ctx));
    registerAdminRoutes(admin, ctx);
    ctx.dedupPrefix = DEDUP_PREFIX;
    await registerDedupReview(admin, {
      workspace: ctx.workspace,
      stores: ctx.dedup,
      prefix: DEDUP_PREFIX,
      reviewerName: options.dedupReviewer ?? 'admin (dashboard)',
    });
  });
  return app;
}
