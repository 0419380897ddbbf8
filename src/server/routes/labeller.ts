/**
 * Labeller routes: the invite link, the task page, submission, and the opaque image route.
 * Only a labeller token (cookie set by the invite link, or a Bearer header) reaches /label.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ClaimedAssignment, isLabelError } from '../../label/index.ts';
import { type Principal, type ServerContext, LABELLER_COOKIE, checkCsrf, csrfToken, principalOf, refuse, wantsJson } from '../context.ts';
import { IMAGE_TOKEN, parsePreviewScope } from '../image-tokens.ts';
import { labellerByToken } from '../labellers.ts';
import { taskServedToMturk } from '../mturk-mode.ts';
import { renderMessagePage, renderTaskPage } from '../pages/task-page.ts';
import { optionalText, parseBody, parseQuery, textList } from '../request-input.ts';
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

/** The task page's query: `?notice=done|expired` after a submission (unknown notices show nothing). */
const TASK_PAGE_QUERY = z.object({ notice: optionalText });

/** A submission, from the task page's form or a JSON client. */
const SUBMISSION = z.strictObject({ assignment: z.string().min(1).max(128), _csrf: optionalText, sel: textList });

const SUBMISSION_INPUT = {
  what: 'the submission',
  messages: { sel: 'sel must be a list of image tokens.', assignment: 'The form must name one task (assignment): reload the page.' },
};

/** The labeller's routes: the invite link, the task page, submission, and the opaque image route. */
export function registerLabellerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerInviteLink(app, ctx);
  registerTaskPage(app, ctx);
  registerSubmission(app, ctx);
  registerImages(app, ctx);
}

/** `GET /l/:token`: sets the labeller cookie and sends the labeller to the task page. */
function registerInviteLink(app: FastifyInstance, ctx: ServerContext): void {
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
}

/** `GET /label`: claims a task for the labeller and shows it (HTML, or JSON for an API client). */
function registerTaskPage(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/label', async (request, reply) => {
    const labeller = await labellerOnly(ctx, request, reply);
    if (!labeller) return reply;
    const query = parseQuery(request, TASK_PAGE_QUERY, { what: "the task page's query" });
    const claim = await claimWebTask(ctx, labeller, request, reply);
    if (claim === 'refused') return reply;
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
    return sendTask(ctx, request, reply, labeller, claim, NOTICES[query.notice ?? '']);
  });
}

/** The claim of a web labeller, null when no task needs them, 'refused' after answering a rejected worker. */
async function claimWebTask(
  ctx: ServerContext,
  labeller: Labeller,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ClaimedAssignment | null | 'refused'> {
  const claimOptions = { workerHash: labeller.workerHash, now: ctx.now(), ttlSeconds: ctx.ttlSeconds, source: 'web' as const };
  try {
    return await ctx.writes.run((stores) =>
      stores.label.claim(ctx.assignmentsPerTask === undefined ? claimOptions : { ...claimOptions, assignmentsPerTask: ctx.assignmentsPerTask }),
    );
  } catch (error) {
    if (!isLabelError(error) || error.reason !== 'worker-rejected') throw error;
    refuse(request, reply, 403, 'Your answers are no longer being collected. Thank you for your help.', renderMessagePage);
    return 'refused';
  }
}

/** The claimed task as the task page, or as JSON (its image URLs and CSRF token) for an API client. */
function sendTask(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, labeller: Labeller, claim: ClaimedAssignment, notice: string | undefined) {
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
}

/** `POST /label/submit`: the labeller's answer to their open assignment, then the next task. */
function registerSubmission(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/label/submit', async (request, reply) => {
    const labeller = await labellerOnly(ctx, request, reply);
    if (!labeller) return reply;
    const body = parseBody(request, SUBMISSION, SUBMISSION_INPUT);
    const assignmentId = body.assignment;
    if (!checkCsrf(ctx, body._csrf, 'label', labeller.workerHash, assignmentId))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed). Reload the page.', renderMessagePage);
    const found = await assignmentItems(ctx, assignmentId);
    if (!found || found.workerHash !== labeller.workerHash) return refuse(request, reply, 404, 'No such task for you.', renderMessagePage);
    const itemTokens = toItemTokens(
      ctx,
      assignmentId,
      found.items.map((i) => i.itemToken),
      body.sel,
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
}

/** `GET /img/:scope/:token`: an image of a live assignment (or of an MTurk preview) by its shown token. */
function registerImages(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { scope: string; token: string } }>('/img/:scope/:token', async (request, reply) => {
    const { scope, token } = request.params;
    const notFound = () => reply.code(404).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send('not found');
    if (!IMAGE_TOKEN.test(token) || !/^[A-Za-z0-9._-]{1,128}$/.test(scope)) return notFound();
    const items = await scopeItems(ctx, scope);
    if (!items) return notFound();
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

/** The items an image scope may show: a preview's task (MTurk mode on), or an assignment whose links are live; null otherwise. */
async function scopeItems(ctx: ServerContext, scope: string): Promise<{ imageId: string; itemToken: string }[] | null> {
  const previewTask = scope.startsWith('p.') ? parsePreviewScope(ctx.imageKey, scope) : null;
  if (previewTask) {
    // Preview images exist only for a batch whose MTurk mode is on (see routes/mturk.ts).
    const task = await ctx.label.task(previewTask);
    if (!task || !(await ctx.server.mturkOn(task.batch))) return null;
    return task.items.map((i) => ({ imageId: i.imageId, itemToken: i.token }));
  }
  const found = await assignmentItems(ctx, scope);
  return found && (await imageLinksLive(ctx, found)) ? found.items : null;
}
