/**
 * What every route of one server shares: the workspace, its keys, resolved options and the
 * thumbnail cache. Built once by `buildApp`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ImageCatalog } from '../catalog/index.ts';
import type { DedupContext } from '../dedup/index.ts';
import type { ClassDef } from '../classes/index.ts';
import { sha256Hex } from '../core/index.ts';
import type { SampleStore } from '../sample/index.ts';
import { createLabelStore, type LabelStore } from '../label/index.ts';
import type { Workspace } from '../workspace/index.ts';
import { checkOrigin } from './addresses.ts';
import { type ErrorJson, errorJson } from './http-errors.ts';
import { FairQueue } from './fair-queue.ts';
import { DashboardSnapshots } from './dashboard-snapshots.ts';
import { GroupCommit } from './group-commit.ts';
import { ShownItemsCache } from './image-tokens.ts';
import { labellerByToken } from './labellers.ts';
import { hmacToken, safeEqual } from './secrets.ts';
import { createServerStore } from './sql-server-store.ts';
import { Thumbnails } from './thumbnails.ts';
import { MTURK_ORIGINS, type Labeller, type ServerOptions, type ServerStore } from './types.ts';

export const ADMIN_COOKIE = 'retest_admin';
export const LABELLER_COOKIE = 'retest_labeller';

/** Who sent a request. */
export type Principal = { kind: 'admin' } | { kind: 'labeller'; labeller: Labeller } | null;

export interface ServerContext {
  workspace: Workspace;
  /** The workspace's images and classes. */
  catalog: ImageCatalog;
  /** The workspace's blacklist and sample revisions. */
  sample: SampleStore;
  /** The label stage's store (reads and reviews; claims and submissions go through `writes`). */
  label: LabelStore;
  /** The server's own tables (labellers, secrets, MTurk mode). */
  server: ServerStore;
  /** The near-duplicate review's store and sources. */
  dedup: DedupContext;
  classes: Map<number, ClassDef>;
  imageKey: string;
  csrfKey: string;
  adminToken: string;
  adminSha: string;
  ttlSeconds: number;
  assignmentsPerTask: number | undefined;
  minAnswers: number;
  rateLimitPerMinute: number;
  mturkOrigins: string[];
  thumbnailSize: number;
  thumbnails: Thumbnails;
  now: () => Date;
  /** Per-assignment image tokens, memoised. */
  shown: ShownItemsCache;
  /** Dashboard tables, computed off the event loop. */
  dashboard: DashboardSnapshots;
  /** Group commit of claims and submissions: a job gets the label and server stores of its savepoint. */
  writes: GroupCommit<{ label: LabelStore; server: ServerStore }>;
  /** Mount point of the near-duplicate review, or null when not mounted. */
  dedupPrefix: string | null;
  /** Fair queueing of labeller requests. */
  queue: FairQueue;
  /** The fixed (longest) deadlines of a page and of a submission, ms. */
  deadlines: { page: number; submit: number };
}

/** Builds the context (reads the server's keys, creating them on first use). */
export async function createContext(options: ServerOptions, adminToken: string, warn: (error: unknown, message: string) => void): Promise<ServerContext> {
  const { workspace, stores } = options;
  const thumbnailSize = options.thumbnailSize ?? 320;
  const imageKey = await stores.server.secret('image_key');
  const classes = workspace.classes.map((c) => ({ index: c.index, id: c.id, names: c.names }));
  const sql = workspace.sql;
  // The worker opens the workspace's location itself (on PostgreSQL without `database`, the URL
  // without its password: PGPASSWORD or ~/.pgpass then apply); a failure is a warning, not silent.
  const source =
    options.dashboardWorker === false
      ? null
      : (options.database ?? { location: sql.location.replace(/^([a-z]+:\/\/[^/?#@:]*):\*\*\*@/i, '$1@'), defaultSchema: 'retest_workspace' });
  return {
    workspace,
    catalog: stores.catalog,
    sample: stores.sample,
    label: stores.label,
    server: stores.server,
    dedup: stores.dedup,
    classes: new Map(workspace.classes.map((c) => [c.index, c])),
    imageKey,
    csrfKey: await stores.server.secret('csrf_key'),
    adminToken,
    adminSha: sha256Hex(adminToken),
    ttlSeconds: options.assignmentTtlSeconds ?? 600,
    assignmentsPerTask: options.assignmentsPerTask,
    minAnswers: options.minAnswers ?? 10,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 1200,
    mturkOrigins: (options.mturkSubmitOrigins ?? [...MTURK_ORIGINS]).map((o) => checkOrigin(o, 'mturkSubmitOrigins')),
    thumbnailSize,
    thumbnails: new Thumbnails(workspace.dir, thumbnailSize),
    now: options.now ?? (() => new Date()),
    writes: new GroupCommit(sql, (db) => ({ label: createLabelStore(db), server: createServerStore(db) })),
    dashboard: new DashboardSnapshots({ label: stores.label, server: stores.server }, classes, source, warn),
    shown: new ShownItemsCache(imageKey),
    dedupPrefix: null,
    queue: new FairQueue({
      concurrency: options.queue?.concurrency ?? 64,
      ...(options.queue?.fairness === undefined ? {} : { fairness: options.queue.fairness }),
      ...(options.queue?.medianWindow === undefined ? {} : { window: options.queue.medianWindow }),
    }),
    deadlines: { page: options.queue?.pageDeadlineMs ?? 1000, submit: options.queue?.submitDeadlineMs ?? 5000 },
  };
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

const principals = new WeakMap<FastifyRequest, Promise<Principal>>();

/** The admin or labeller behind a request (Bearer header first, then cookies), looked up once per request. */
export function principalOf(ctx: ServerContext, request: FastifyRequest): Promise<Principal> {
  let found = principals.get(request);
  if (!found) principals.set(request, (found = lookUpPrincipal(ctx, request)));
  return found;
}

async function lookUpPrincipal(ctx: ServerContext, request: FastifyRequest): Promise<Principal> {
  const candidates = [bearer(request), request.cookies?.[ADMIN_COOKIE], request.cookies?.[LABELLER_COOKIE]].filter(
    (t): t is string => typeof t === 'string' && t.length > 0,
  );
  for (const token of candidates) {
    if (safeEqual(sha256Hex(token), ctx.adminSha)) return { kind: 'admin' };
    const labeller = await labellerByToken(ctx.server, token);
    if (labeller) return { kind: 'labeller', labeller };
  }
  return null;
}

/** CSRF token of a form, bound to who may post it and to what. */
export function csrfToken(ctx: ServerContext, ...binding: string[]): string {
  return hmacToken(ctx.csrfKey, 'csrf', ...binding);
}

/** True when the posted `_csrf` field (parsed with the form's schema) equals the expected token. */
export function checkCsrf(ctx: ServerContext, posted: string | undefined, ...binding: string[]): boolean {
  return posted !== undefined && safeEqual(posted, csrfToken(ctx, ...binding));
}

/** A refusal as an HTML page or JSON (with the per-field `issues` of a malformed body or query, when given), by what the client accepts. */
export function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  render: (title: string, message: string) => string,
  extra: Pick<ErrorJson, 'issues'> = {},
): FastifyReply {
  reply.code(status).header('Cache-Control', 'no-store');
  if (wantsJson(request)) return reply.send(errorJson(status, message, extra));
  return reply
    .type('text/html; charset=utf-8')
    .send(render(status === 401 ? 'Sign-in needed' : status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Cannot do that', message));
}

/** Whether a request is answered in JSON: the admin API, a client that accepts JSON (not HTML), or one that posted JSON. */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return (
    request.url.startsWith('/admin/api/') ||
    (accept.includes('application/json') && !accept.includes('text/html')) ||
    /^application\/json\b/i.test(request.headers['content-type'] ?? '')
  );
}
