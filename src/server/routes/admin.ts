/**
 * Admin routes (the admin token only): sign-in, the dashboard, worker review, blacklisting, the
 * per-class review page, admin image previews and a JSON summary. A labeller token gets 403.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../../core/index.ts';
import { ADMIN_COOKIE, type ServerContext, checkCsrf, csrfToken, field, principalOf, refuse } from '../context.ts';
import { safeEqual } from '../secrets.ts';
import { renderDashboard } from '../pages/dashboard-page.ts';
import { renderReviewPage } from '../pages/review-page.ts';
import { renderMessagePage } from '../pages/task-page.ts';
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

export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const adminCsrf = () => csrfToken(ctx, 'admin', ctx.adminSha);

  app.get('/admin/login', async (request, reply) => {
    const token = field(request.query, 'token') ?? '';
    if (!safeEqual(sha256Hex(token), ctx.adminSha)) return refuse(request, reply, 401, 'That admin token is not valid for this server.', renderMessagePage);
    reply.setCookie(ADMIN_COOKIE, token, { path: '/admin', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' });
    // `next` may name an admin page of this server only (e.g. /admin/dedup/ from `retest dedup review`).
    const next = field(request.query, 'next') ?? '';
    return reply
      .code(303)
      .header('Location', /^\/admin(\/[\w./-]*)?$/.test(next) && !next.includes('..') ? next : '/admin')
      .send();
  });

  app.get('/admin', async (request, reply) => {
    const notice = NOTICES[field(request.query, 'notice') ?? ''];
    const tables = await ctx.dashboard.get({ now: ctx.now(), minAnswers: ctx.minAnswers });
    const html = renderDashboard({
      classes: tables.classes,
      workers: tables.workers,
      csrf: adminCsrf(),
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

  app.post('/admin/workers/status', async (request, reply) => {
    if (!checkCsrf(ctx, request.body, 'admin', ctx.adminSha))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed). Reload the dashboard.', renderMessagePage);
    const worker = field(request.body, 'worker') ?? '';
    const status = field(request.body, 'status');
    if (!/^[0-9a-f]{64}$/.test(worker) || (status !== 'approved' && status !== 'rejected'))
      return refuse(request, reply, 400, 'Give a worker hash and a status (approved or rejected).', renderMessagePage);
    await ctx.label.setWorkerStatus(worker, status, { reason: 'dashboard', now: ctx.now() });
    return reply.code(303).header('Location', `/admin?notice=${status}#workers`).send();
  });

  app.post('/admin/blacklist', async (request, reply) => {
    if (!checkCsrf(ctx, request.body, 'admin', ctx.adminSha))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed). Reload the page.', renderMessagePage);
    const image = (field(request.body, 'image') ?? '').trim();
    const reason = (field(request.body, 'reason') ?? '').trim();
    if (image.length === 0 || image.length > 128 || reason.length === 0 || reason.length > 500)
      return refuse(request, reply, 400, 'Give an image id and a reason (at most 500 characters).', renderMessagePage);
    const row = await ctx.catalog.image(image);
    if (!row) return refuse(request, reply, 404, 'No image with that id in this workspace.', renderMessagePage);
    await blacklistImage(ctx.sample, { imageId: image, reason, by: 'dashboard', now: ctx.now() });
    const back = field(request.body, 'back') === 'class' ? `/admin/class/${row.classIdx}?notice=blacklisted` : '/admin?notice=blacklisted#blacklist';
    return reply.code(303).header('Location', back).send();
  });

  app.get<{ Params: { idx: string } }>('/admin/class/:idx', async (request, reply) => {
    const idx = Number(request.params.idx);
    const cls = Number.isInteger(idx) ? ctx.classes.get(idx) : undefined;
    if (!cls) return refuse(request, reply, 404, 'No such class.', renderMessagePage);
    const notice = NOTICES[field(request.query, 'notice') ?? ''];
    const progress = (await ctx.dashboard.get({ now: ctx.now(), minAnswers: ctx.minAnswers, classIdx: idx })).classes[0]!;
    return reply
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        renderReviewPage({
          cls,
          progress,
          images: await reviewImages(ctx, idx, { minAnswers: ctx.minAnswers }),
          csrf: adminCsrf(),
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
