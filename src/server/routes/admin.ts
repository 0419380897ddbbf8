/**
 * Admin routes (the admin token only): sign-in, the dashboard, worker review, blacklisting, the
 * per-class review page, admin image previews and a JSON summary. A labeller token gets 403.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../../core/index.ts';
import { z } from 'zod';
import { ADMIN_COOKIE, type ServerContext, checkCsrf, csrfToken, principalOf, refuse } from '../context.ts';
import { safeEqual } from '../secrets.ts';
import { renderDashboard } from '../pages/dashboard-page.ts';
import { renderReviewPage } from '../pages/review-page.ts';
import { renderMessagePage } from '../pages/task-page.ts';
import { optionalText, parseBody, parseQuery, textOrEmpty } from '../request-input.ts';
import { blacklistImage, reviewImages } from '../review-data.ts';
import { storedImagePath } from '../thumbnails.ts';

/** onRequest guard for everything under /admin except the sign-in route. */
export function adminGuard(ctx: ServerContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url === '/admin/login') return;
    const who = await principalOf(ctx, request);
    if (who?.kind === 'admin') return;
    return refuse(
      request,
      reply,
      who ? 403 : 401,
      who ? 'A labeller token cannot open admin pages.' : 'Admin pages need the admin token: open the admin link printed by `retest serve`.',
      renderMessagePage,
    );
  };
}

const NOTICES: Record<string, string> = {
  approved: 'Worker approved: their answers count.',
  rejected: 'Worker rejected: their answers left the frequencies.',
  blacklisted: 'Image blacklisted.',
};

/** `/admin/login?token=…&next=…` (the link `retest serve` prints). */
const LOGIN_QUERY = z.object({ token: textOrEmpty, next: textOrEmpty });

/** A page's `?notice=` after a form post (unknown notices show nothing). */
const NOTICE_QUERY = z.object({ notice: optionalText });
const NOTICE_INPUT = { what: "the page's query" };

const WORKER_STATUS_MESSAGE = 'Give a worker hash and a status (approved or rejected).';

/** The dashboard's approve/reject form. */
const WORKER_STATUS = z.strictObject({ _csrf: optionalText, worker: z.string().regex(/^[0-9a-f]{64}$/), status: z.enum(['approved', 'rejected']) });

const BLACKLIST_MESSAGE = 'Give an image id and a reason (at most 500 characters).';

/** The blacklist form of the dashboard (and of the class review page, with `back=class`). */
const BLACKLIST = z.strictObject({
  _csrf: optionalText,
  image: z.string().trim().min(1).max(128),
  reason: z.string().trim().min(1).max(500),
  back: z.enum(['class']).optional(),
});

export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerSignIn(app, ctx);
  registerDashboard(app, ctx);
  registerAdminForms(app, ctx);
  registerClassReview(app, ctx);
}

function adminCsrf(ctx: ServerContext): string {
  return csrfToken(ctx, 'admin', ctx.adminSha);
}

/** `/admin/login?token=…`: the admin cookie, then the page `next` names (an admin page of this server only). */
function registerSignIn(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/admin/login', async (request, reply) => {
    const { token, next } = parseQuery(request, LOGIN_QUERY, { what: 'the sign-in link' });
    if (!safeEqual(sha256Hex(token), ctx.adminSha)) return refuse(request, reply, 401, 'That admin token is not valid for this server.', renderMessagePage);
    reply.setCookie(ADMIN_COOKIE, token, { path: '/admin', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' });
    // `next` may name an admin page of this server only (e.g. /admin/dedup/ from `retest dedup review`).
    return reply
      .code(303)
      .header('Location', /^\/admin(\/[\w./-]*)?$/.test(next) && !next.includes('..') ? next : '/admin')
      .send();
  });
}

/** The dashboard page and its JSON. */
function registerDashboard(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/admin', async (request, reply) => {
    const notice = NOTICES[parseQuery(request, NOTICE_QUERY, NOTICE_INPUT).notice ?? ''];
    const tables = await ctx.dashboard.get({ now: ctx.now(), minAnswers: ctx.minAnswers });
    const html = renderDashboard({
      classes: tables.classes,
      workers: tables.workers,
      csrf: adminCsrf(ctx),
      minAnswers: ctx.minAnswers,
      dedupReview: ctx.dedupPrefix,
      ...(notice ? { notice } : {}),
      ...(tables.warning ? { warning: tables.warning } : {}),
    });
    return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
  });

  app.get('/admin/api/summary', async (_request, reply) => {
    return reply.header('Cache-Control', 'no-store').send(await ctx.dashboard.get({ now: ctx.now(), minAnswers: ctx.minAnswers }));
  });
}

/** The dashboard's forms: a worker approved or rejected, an image blacklisted. */
function registerAdminForms(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/admin/workers/status', async (request, reply) => {
    const body = parseBody(request, WORKER_STATUS, {
      what: 'the worker status form',
      messages: { worker: WORKER_STATUS_MESSAGE, status: WORKER_STATUS_MESSAGE },
    });
    if (!checkCsrf(ctx, body._csrf, 'admin', ctx.adminSha))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed). Reload the dashboard.', renderMessagePage);
    const { worker, status } = body;
    await ctx.label.setWorkerStatus(worker, status, { reason: 'dashboard', now: ctx.now() });
    return reply.code(303).header('Location', `/admin?notice=${status}#workers`).send();
  });

  app.post('/admin/blacklist', async (request, reply) => {
    const body = parseBody(request, BLACKLIST, { what: 'the blacklist form', messages: { image: BLACKLIST_MESSAGE, reason: BLACKLIST_MESSAGE } });
    if (!checkCsrf(ctx, body._csrf, 'admin', ctx.adminSha))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed). Reload the page.', renderMessagePage);
    const { image, reason } = body;
    const row = await ctx.catalog.image(image);
    if (!row) return refuse(request, reply, 404, 'No image with that id in this workspace.', renderMessagePage);
    await blacklistImage(ctx.sample, { imageId: image, reason, by: 'dashboard', now: ctx.now() });
    const back = body.back === 'class' ? `/admin/class/${row.classIdx}?notice=blacklisted` : '/admin?notice=blacklisted#blacklist';
    return reply.code(303).header('Location', back).send();
  });
}

/** A class's review page and the thumbnails it shows. */
function registerClassReview(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { idx: string } }>('/admin/class/:idx', async (request, reply) => {
    const idx = Number(request.params.idx);
    const cls = Number.isInteger(idx) ? ctx.classes.get(idx) : undefined;
    if (!cls) return refuse(request, reply, 404, 'No such class.', renderMessagePage);
    const notice = NOTICES[parseQuery(request, NOTICE_QUERY, NOTICE_INPUT).notice ?? ''];
    const progress = (await ctx.dashboard.get({ now: ctx.now(), minAnswers: ctx.minAnswers, classIdx: idx })).classes[0]!;
    return reply
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        renderReviewPage({
          cls,
          progress,
          images: await reviewImages(ctx, idx, { minAnswers: ctx.minAnswers }),
          csrf: adminCsrf(ctx),
          dedupReview: ctx.dedupPrefix,
          ...(notice ? { notice } : {}),
        }),
      );
  });

  app.get<{ Params: { id: string } }>('/admin/image/:id', async (request, reply) => {
    const notFound = () => reply.code(404).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send('not found');
    const id = request.params.id;
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) return notFound();
    const row = await ctx.catalog.image(id);
    const path = row ? storedImagePath(ctx.workspace.dir, row.displayPath) : null;
    if (!path) return notFound();
    return reply
      .header('Cache-Control', 'private, max-age=3600')
      .type('image/jpeg')
      .send(await ctx.thumbnails.get(id, path));
  });
}
