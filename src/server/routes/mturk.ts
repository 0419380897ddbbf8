/**
 * MTurk ExternalQuestion mode. MTurk opens `/mturk?assignmentId=…&hitId=…&workerId=…&turkSubmitTo=…`
 * in a frame. The mode is off unless the builder turned it on for a batch and named its published
 * HITs (`retest mturk enable`, src/server/mturk-mode.ts): a request whose hitId is not such a HIT
 * gets no task and no images. With `assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE` (the worker has not
 * accepted the HIT) a task of the HIT's batch is shown read-only. Once accepted, the worker claims
 * a task of that batch like an invited labeller (worker id stored only as a salted hash); the
 * answer is saved here first, then the page posts `assignmentId` on to
 * `turkSubmitTo + '/mturk/externalSubmit'` so MTurk records the HIT as done. Requests are limited
 * per claimed worker and per client address.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashWorkerId, isLabelError } from '../../label/index.ts';
import { type ServerContext, checkCsrf, csrfToken, field, fieldList, refuse } from '../context.ts';
import { previewScope } from '../image-tokens.ts';
import { MTURK_ID, servedBatch } from '../mturk-mode.ts';
import { renderMessagePage, renderMturkSubmitPage, renderTaskPage } from '../pages/task-page.ts';
import { assignmentItems, toItemTokens } from './labeller.ts';

export const PREVIEW_ASSIGNMENT = 'ASSIGNMENT_ID_NOT_AVAILABLE';

/** The turkSubmitTo origin if it is one of the allowed origins, else null. */
export function allowedSubmitOrigin(ctx: ServerContext, turkSubmitTo: string | undefined): string | null {
  if (!turkSubmitTo) return null;
  try {
    const url = new URL(turkSubmitTo);
    return ctx.mturkOrigins.includes(url.origin) ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * The batch of a request's HIT, or null after answering it with a refusal: MTurk mode off (404),
 * or a HIT that was not published (403). Also applies the per-address rate limit.
 */
async function gate(
  ctx: ServerContext,
  byAddress: (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean }>,
  request: FastifyRequest,
  reply: FastifyReply,
  hitId: string,
): Promise<string | null> {
  const limit = await byAddress(request);
  if (!limit.isAllowed && limit.isExceeded) {
    refuse(request, reply, 429, 'Too many requests from this address: slow down a little.', renderMessagePage);
    return null;
  }
  if (!(await ctx.server.mturkModeOn())) {
    refuse(request, reply, 404, 'MTurk mode is off in this workspace.', renderMessagePage);
    return null;
  }
  const batch = await servedBatch(ctx.server, hitId);
  if (batch === null) {
    refuse(request, reply, 403, 'This HIT is not one of the HITs published for this server.', renderMessagePage);
    return null;
  }
  return batch;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the MTurk routes registered in one place, with their shared rate limit
export function registerMturkRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Per client address, in addition to the global limit (keyed by the claimed worker id, which anyone can invent).
  const byAddress = app.createRateLimit({ max: ctx.rateLimitPerMinute, timeWindow: 60_000, keyGenerator: (request) => `mturk-address:${request.ip}` });

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: the MTurk page's checks in the order the HIT protocol needs (preview, known HIT, assignment, worker); TODO(issue 13): split
  app.get('/mturk', async (request, reply) => {
    const q = request.query;
    const assignmentId = field(q, 'assignmentId');
    const hitId = field(q, 'hitId') ?? '';
    reply.header('Cache-Control', 'no-store');
    const batch = await gate(ctx, byAddress, request, reply, hitId);
    if (batch === null) return reply;
    if (assignmentId === undefined || assignmentId === PREVIEW_ASSIGNMENT) {
      // Preview: the HIT's own task when it names one, else the batch's next task that needs answers.
      const task = await ctx.label.previewTask(batch, hitId);
      const cls = task ? ctx.classes.get(task.classIdx) : undefined;
      if (!task || !cls) return reply.type('text/html; charset=utf-8').send(renderMessagePage('No tasks', 'There are no tasks in this batch.'));
      const scope = previewScope(ctx.imageKey, task.id);
      const itemTokens = task.items.map((i) => i.token);
      const tokens = ctx.shown.get(scope, itemTokens).map((s) => s.token);
      return reply
        .type('text/html; charset=utf-8')
        .send(renderTaskPage({ cls, scope, tokens, mode: 'preview', action: '', hidden: {}, thumbnailSize: ctx.thumbnailSize }));
    }
    const workerId = field(q, 'workerId');
    const turkSubmitTo = field(q, 'turkSubmitTo');
    if (!MTURK_ID.test(assignmentId) || !workerId || !MTURK_ID.test(workerId) || !MTURK_ID.test(hitId)) {
      return refuse(request, reply, 400, 'assignmentId, hitId and workerId must be MTurk ids (letters, digits, _ and -).', renderMessagePage);
    }
    const origin = allowedSubmitOrigin(ctx, turkSubmitTo);
    if (!origin) return refuse(request, reply, 400, 'turkSubmitTo must be an MTurk address (www.mturk.com or workersandbox.mturk.com).', renderMessagePage);
    const workerHash = hashWorkerId(await ctx.label.workerSalt(), `mturk:${workerId}`);
    const linked = await ctx.server.mturkLink(assignmentId);
    if (linked && (linked.workerHash !== workerHash || linked.hitId !== hitId))
      return refuse(request, reply, 403, 'This MTurk assignment belongs to another worker or HIT.', renderMessagePage);
    let ours: string;
    let expiresAt: string | undefined;
    if (linked) {
      ours = linked.assignmentId;
      const state = await assignmentItems(ctx, ours);
      if (state && ['submitted', 'approved'].includes(state.status)) {
        return reply
          .type('text/html; charset=utf-8')
          .send(renderMturkSubmitPage({ submitUrl: `${origin}/mturk/externalSubmit`, mturkAssignmentId: assignmentId, assignmentId: ours, selected: 0 }));
      }
      if (!state || state.status !== 'open' || (state.expiresAt && state.expiresAt <= ctx.now().toISOString())) {
        return reply
          .type('text/html; charset=utf-8')
          .send(renderMessagePage('Time is up', 'This HIT’s time limit passed before it was submitted. Please return the HIT.'));
      }
      expiresAt = state.expiresAt ?? undefined;
    } else {
      let claim;
      try {
        const options = { workerHash, now: ctx.now(), ttlSeconds: ctx.ttlSeconds, source: 'mturk' as const, batch };
        claim = await ctx.writes.run(async (stores) => {
          const claimed = await stores.label.claim(ctx.assignmentsPerTask === undefined ? options : { ...options, assignmentsPerTask: ctx.assignmentsPerTask });
          if (claimed)
            await stores.server.linkMturk({
              mturkAssignmentId: assignmentId,
              assignmentId: claimed.assignmentId,
              hitId,
              workerHash,
              turkSubmitTo: origin,
              createdAt: options.now.toISOString(),
            });
          return claimed;
        });
      } catch (error) {
        if (isLabelError(error) && error.reason === 'worker-rejected')
          return refuse(request, reply, 403, 'Your answers are no longer being collected. Please return the HIT.', renderMessagePage);
        throw error;
      }
      if (!claim)
        return reply
          .type('text/html; charset=utf-8')
          .send(renderMessagePage('No tasks left', 'There is no task that still needs your answer. Please return the HIT.'));
      ours = claim.assignmentId;
      expiresAt = claim.expiresAt;
    }
    const state = (await assignmentItems(ctx, ours))!;
    const cls = ctx.classes.get(state.classIdx)!;
    const tokens = ctx.shown
      .get(
        ours,
        state.items.map((i) => i.itemToken),
      )
      .map((s) => s.token);
    return reply.type('text/html; charset=utf-8').send(
      renderTaskPage({
        cls,
        scope: ours,
        tokens,
        mode: 'mturk',
        action: '/mturk/submit',
        thumbnailSize: ctx.thumbnailSize,
        hidden: { assignment: ours, mturkAssignmentId: assignmentId, _csrf: csrfToken(ctx, 'mturk', ours, assignmentId) },
        ...(expiresAt ? { expiresAt } : {}),
      }),
    );
  });

  app.post('/mturk/submit', async (request, reply) => {
    const ours = field(request.body, 'assignment') ?? '';
    const mturkAssignmentId = field(request.body, 'mturkAssignmentId') ?? '';
    if (!checkCsrf(ctx, request.body, 'mturk', ours, mturkAssignmentId))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed).', renderMessagePage);
    const found = await ctx.server.mturkLink(mturkAssignmentId);
    const linked = found?.assignmentId === ours ? found : undefined;
    if (linked && (await gate(ctx, byAddress, request, reply, linked.hitId)) === null) return reply;
    const state = linked ? await assignmentItems(ctx, ours) : null;
    if (!linked || !state) return refuse(request, reply, 404, 'No such assignment.', renderMessagePage);
    const selection = fieldList(request.body, 'sel');
    if (selection === null) return refuse(request, reply, 400, 'sel must be a list of image tokens.', renderMessagePage);
    const itemTokens = toItemTokens(
      ctx,
      ours,
      state.items.map((i) => i.itemToken),
      selection,
    );
    if (!itemTokens) return refuse(request, reply, 400, 'The submission names an image that is not in this task.', renderMessagePage);
    try {
      const now = ctx.now();
      const result = await ctx.writes.run((stores) =>
        stores.label.submit({ assignmentId: ours, workerHash: linked.workerHash, selectedTokens: itemTokens, now }),
      );
      return reply
        .header('Cache-Control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(
          renderMturkSubmitPage({ submitUrl: `${linked.turkSubmitTo}/mturk/externalSubmit`, mturkAssignmentId, assignmentId: ours, selected: result.selected }),
        );
    } catch (error) {
      if (isLabelError(error) && error.reason === 'expired')
        return refuse(request, reply, 409, 'This HIT’s time limit passed before it was submitted. Please return the HIT.', renderMessagePage);
      throw error;
    }
  });
}
