/**
 * Labeller routes: the invite link, the task page, submission, and the opaque image route.
 * Only a labeller token (cookie set by the invite link, or a Bearer header) reaches /label.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLabelError } from '../../label/index.ts';
import { type Principal, type ServerContext, LABELLER_COOKIE, checkCsrf, csrfToken, field, fieldList, principalOf, refuse, wantsJson } from '../context.ts';
import { IMAGE_TOKEN, parsePreviewScope } from '../image-tokens.ts';
import { labellerByToken } from '../labellers.ts';
import { taskServedToMturk } from '../mturk-mode.ts';
import { renderMessagePage, renderTaskPage } from '../pages/task-page.ts';
import { storedImagePath } from '../thumbnails.ts';
import type { Labeller } from '../types.ts';

const NOTICES: Record<string, string> = {
  done: 'Thank you, your answer was saved. Here is the next task.',
  expired: 'That task expired before it was submitted; here is a new one.',
};

/** An assignment with its task's item tokens. */
export interface AssignmentState {
  workerHash: string;
  status: string;
  source: string;
  taskId: string;
  /** The task's class. */
  classIdx: number;
  /** ISO time an open claim lapses, or null. */
  expiresAt: string | null;
  items: { imageId: string; itemToken: string }[];
}

/** Item tokens of an assignment's task, whatever the assignment's status (null when unknown). */
export async function assignmentItems(ctx: ServerContext, assignmentId: string): Promise<AssignmentState | null> {
  const a = await ctx.label.assignment(assignmentId);
  if (!a) return null;
  return {
    workerHash: a.workerHash,
    status: a.status,
    source: a.source,
    taskId: a.task.id,
    classIdx: a.task.classIdx,
    expiresAt: a.expiresAt,
    items: a.task.items.map((i) => ({ imageId: i.imageId, itemToken: i.token })),
  };
}

/**
 * Whether an assignment's image links still work: only during its lifetime — claimed, not yet
 * submitted, not lapsed — and only while its worker may label (not a revoked invitation, not a
 * rejected worker; for MTurk, while MTurk mode is on for the task's batch).
 */
export async function imageLinksLive(ctx: ServerContext, a: AssignmentState): Promise<boolean> {
  if (a.status !== 'open' || (a.expiresAt !== null && a.expiresAt <= ctx.now().toISOString())) return false;
  if ((await ctx.label.workerStatus(a.workerHash)) === 'rejected') return false;
  if (await ctx.server.isRevoked(a.workerHash)) return false;
  return a.source !== 'mturk' || taskServedToMturk(ctx, a.taskId);
}

/** Maps shown (per-assignment) tokens back to the label stage's item tokens; null if any is foreign. */
export function toItemTokens(ctx: ServerContext, scope: string, itemTokens: readonly string[], shown: readonly string[]): string[] | null {
  const map = new Map(ctx.shown.get(scope, itemTokens).map((s) => [s.token, s.itemToken]));
  const out: string[] = [];
  for (const token of new Set(shown)) {
    const item = map.get(token);
    if (item === undefined) return null;
    out.push(item);
  }
  return out;
}

async function labellerOnly(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<Labeller | null> {
  const who: Principal = await principalOf(ctx, request);
  if (who?.kind === 'labeller') return who.labeller;
  refuse(
    request,
    reply,
    who?.kind === 'admin' ? 403 : 401,
    who?.kind === 'admin' ? 'The admin token is not a labeller token: open a personal labelling link.' : 'Open your personal labelling link to start.',
    renderMessagePage,
  );
  return null;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the labeller routes registered in one place (each handler is short); TODO(issue 13): one function per route
export function registerLabellerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { token: string } }>('/l/:token', async (request, reply) => {
    const labeller = await labellerByToken(ctx.server, request.params.token);
    if (!labeller) return refuse(request, reply, 401, 'This labelling link is not valid (it may have been replaced by a newer one).', renderMessagePage);
    reply.setCookie(LABELLER_COOKIE, request.params.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      maxAge: 60 * 60 * 24 * 90,
    });
    return reply.code(303).header('Location', '/label').send();
  });

  app.get<{ Querystring: { notice?: string } }>('/label', async (request, reply) => {
    const labeller = await labellerOnly(ctx, request, reply);
    if (!labeller) return reply;
    const claimOptions = { workerHash: labeller.workerHash, now: ctx.now(), ttlSeconds: ctx.ttlSeconds, source: 'web' as const };
    let claim;
    try {
      claim = await ctx.writes.run((stores) =>
        stores.label.claim(ctx.assignmentsPerTask === undefined ? claimOptions : { ...claimOptions, assignmentsPerTask: ctx.assignmentsPerTask }),
      );
    } catch (error) {
      if (isLabelError(error) && error.reason === 'worker-rejected')
        return refuse(request, reply, 403, 'Your answers are no longer being collected. Thank you for your help.', renderMessagePage);
      throw error;
    }
    reply.header('Cache-Control', 'no-store');
    if (!claim) {
      if (wantsJson(request)) return reply.send({ assignment: null });
      return reply
        .type('text/html; charset=utf-8')
        .send(
          renderMessagePage(
            'No tasks left',
            'There is no task that still needs your answer. Thank you! Come back later: tasks freed by expired claims return to the pool.',
          ),
        );
    }
    const cls = ctx.classes.get(claim.classIdx);
    if (!cls) throw new Error(`task ${claim.taskId} names class ${claim.classIdx}, which is not in the workspace`);
    const tokens = ctx.shown
      .get(
        claim.assignmentId,
        claim.items.map((i) => i.token),
      )
      .map((s) => s.token);
    const csrf = csrfToken(ctx, 'label', labeller.workerHash, claim.assignmentId);
    if (wantsJson(request))
      return reply.send({
        assignment: claim.assignmentId,
        expiresAt: claim.expiresAt,
        classIdx: claim.classIdx,
        names: cls.names,
        images: tokens.map((t) => ({ token: t, url: `/img/${claim.assignmentId}/${t}` })),
        csrf,
      });
    const notice = NOTICES[request.query.notice ?? ''];
    return reply.type('text/html; charset=utf-8').send(
      renderTaskPage({
        cls,
        scope: claim.assignmentId,
        tokens,
        mode: 'web',
        action: '/label/submit',
        hidden: { assignment: claim.assignmentId, _csrf: csrf },
        expiresAt: claim.expiresAt,
        thumbnailSize: ctx.thumbnailSize,
        ...(notice ? { notice } : {}),
      }),
    );
  });

  app.post('/label/submit', async (request, reply) => {
    const labeller = await labellerOnly(ctx, request, reply);
    if (!labeller) return reply;
    const assignmentId = field(request.body, 'assignment') ?? '';
    if (!checkCsrf(ctx, request.body, 'label', labeller.workerHash, assignmentId))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed). Reload the page.', renderMessagePage);
    const found = await assignmentItems(ctx, assignmentId);
    if (!found || found.workerHash !== labeller.workerHash) return refuse(request, reply, 404, 'No such task for you.', renderMessagePage);
    const selection = fieldList(request.body, 'sel');
    if (selection === null) return refuse(request, reply, 400, 'sel must be a list of image tokens.', renderMessagePage);
    const itemTokens = toItemTokens(
      ctx,
      assignmentId,
      found.items.map((i) => i.itemToken),
      selection,
    );
    if (!itemTokens) return refuse(request, reply, 400, 'The submission names an image that is not in this task.', renderMessagePage);
    try {
      const now = ctx.now();
      const result = await ctx.writes.run((stores) => stores.label.submit({ assignmentId, workerHash: labeller.workerHash, selectedTokens: itemTokens, now }));
      if (wantsJson(request)) return reply.send({ ok: true, assignment: assignmentId, selected: result.selected, repeated: result.repeated });
      return reply.code(303).header('Location', '/label?notice=done').send();
    } catch (error) {
      if (isLabelError(error) && error.reason === 'expired') {
        if (wantsJson(request)) return reply.code(409).send({ error: 409, reason: 'expired', message: error.message });
        return reply.code(303).header('Location', '/label?notice=expired').send();
      }
      throw error;
    }
  });

  app.get<{ Params: { scope: string; token: string } }>('/img/:scope/:token', async (request, reply) => {
    const { scope, token } = request.params;
    const notFound = () => reply.code(404).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send('not found');
    if (!IMAGE_TOKEN.test(token) || !/^[A-Za-z0-9._-]{1,128}$/.test(scope)) return notFound();
    let items: { imageId: string; itemToken: string }[] = [];
    const previewTask = scope.startsWith('p.') ? parsePreviewScope(ctx.imageKey, scope) : null;
    if (previewTask) {
      // Preview images exist only for a batch whose MTurk mode is on (see routes/mturk.ts).
      const task = await ctx.label.task(previewTask);
      if (!task || !(await ctx.server.mturkOn(task.batch))) return notFound();
      items = task.items.map((i) => ({ imageId: i.imageId, itemToken: i.token }));
    } else {
      const found = await assignmentItems(ctx, scope);
      if (!found || !(await imageLinksLive(ctx, found))) return notFound();
      items = found.items;
    }
    const byItem = new Map(items.map((i) => [i.itemToken, i.imageId]));
    const match = ctx.shown
      .get(
        scope,
        items.map((i) => i.itemToken),
      )
      .find((s) => s.token === token);
    const imageId = match ? byItem.get(match.itemToken) : undefined;
    if (!imageId) return notFound();
    const row = await ctx.catalog.image(imageId);
    const path = row ? storedImagePath(ctx.workspace.dir, row.displayPath) : null;
    if (!path) return notFound();
    const bytes = await ctx.thumbnails.get(imageId, path);
    return reply.header('Cache-Control', 'private, max-age=3600').type('image/jpeg').send(bytes);
  });
}
