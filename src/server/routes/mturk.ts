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
import { z } from 'zod';
import { hashWorkerId, isLabelError } from '../../label/index.ts';
import { type ServerContext, checkCsrf, csrfToken, refuse } from '../context.ts';
import { previewScope } from '../image-tokens.ts';
import { MTURK_ID, servedBatch } from '../mturk-mode.ts';
import { renderMessagePage, renderMturkSubmitPage, renderTaskPage } from '../pages/task-page.ts';
import { optionalText, parseBody, parseQuery, textList, textOrEmpty } from '../request-input.ts';
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
async function gate(ctx: ServerContext, byAddress: AddressLimit, request: FastifyRequest, reply: FastifyReply, hitId: string): Promise<string | null> {
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

/** The MTurk page's query as MTurk sends it (MTurk's other parameters are ignored). */
const PAGE_QUERY = z.object({ assignmentId: optionalText, hitId: textOrEmpty, workerId: optionalText, turkSubmitTo: optionalText });

const MTURK_IDS_MESSAGE = 'assignmentId, hitId and workerId must be MTurk ids (letters, digits, _ and -).';

/** The query of an accepted HIT: MTurk's ids, and where to post the HIT's completion. */
const ACCEPTED_QUERY = z.object({
  assignmentId: z.string().regex(MTURK_ID),
  hitId: z.string().regex(MTURK_ID),
  workerId: z.string().regex(MTURK_ID),
  turkSubmitTo: optionalText,
});

const ACCEPTED_INPUT = {
  what: "the accepted HIT's query",
  messages: { assignmentId: MTURK_IDS_MESSAGE, hitId: MTURK_IDS_MESSAGE, workerId: MTURK_IDS_MESSAGE },
};

/** An MTurk worker's answer, posted by the HIT's task page. */
const SUBMISSION = z.strictObject({
  assignment: z.string().min(1).max(128),
  mturkAssignmentId: z.string().min(1).max(128),
  _csrf: optionalText,
  sel: textList,
});

const SUBMISSION_INPUT = {
  what: 'the MTurk submission',
  messages: {
    sel: 'sel must be a list of image tokens.',
    assignment: 'The form must name one assignment and its MTurk assignment: reload the HIT.',
    mturkAssignmentId: 'The form must name one assignment and its MTurk assignment: reload the HIT.',
  },
};

type AddressLimit = (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean }>;

/** An accepted HIT's assignment here: ours, and when it lapses. */
interface AcceptedAssignment {
  ours: string;
  expiresAt: string | undefined;
}

/** The MTurk routes: the HIT page and its submission, sharing a per-address rate limit. */
export function registerMturkRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Per client address, in addition to the global limit (keyed by the claimed worker id, which anyone can invent).
  const byAddress: AddressLimit = app.createRateLimit({
    max: ctx.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `mturk-address:${request.ip}`,
  });
  registerMturkPage(app, ctx, byAddress);
  registerMturkSubmission(app, ctx, byAddress);
}

/**
 * `GET /mturk`: the checks in the order the HIT protocol needs — the HIT is ours (gate), preview,
 * MTurk's ids and submit address, the worker's own assignment — then the task page.
 */
function registerMturkPage(app: FastifyInstance, ctx: ServerContext, byAddress: AddressLimit): void {
  app.get('/mturk', async (request, reply) => {
    const query = parseQuery(request, PAGE_QUERY, { what: "the MTurk page's query" });
    reply.header('Cache-Control', 'no-store');
    const batch = await gate(ctx, byAddress, request, reply, query.hitId);
    if (batch === null) return reply;
    if (query.assignmentId === undefined || query.assignmentId === PREVIEW_ASSIGNMENT) return sendPreview(ctx, reply, batch, query.hitId);
    const accepted = parseQuery(request, ACCEPTED_QUERY, ACCEPTED_INPUT);
    const origin = allowedSubmitOrigin(ctx, accepted.turkSubmitTo);
    if (!origin) return refuse(request, reply, 400, 'turkSubmitTo must be an MTurk address (www.mturk.com or workersandbox.mturk.com).', renderMessagePage);
    const workerHash = hashWorkerId(await ctx.label.workerSalt(), `mturk:${accepted.workerId}`);
    const linked = await ctx.server.mturkLink(accepted.assignmentId);
    if (linked && (linked.workerHash !== workerHash || linked.hitId !== accepted.hitId))
      return refuse(request, reply, 403, 'This MTurk assignment belongs to another worker or HIT.', renderMessagePage);
    const hit = { ...accepted, origin, workerHash, batch };
    const assignment = linked ? await resumeLinked(ctx, reply, hit, linked.assignmentId) : await claimForHit(ctx, request, reply, hit);
    if (assignment === null) return reply;
    return sendMturkTask(ctx, reply, assignment, accepted.assignmentId);
  });
}

/** Preview: the HIT's own task when it names one, else the batch's next task that needs answers, read-only. */
async function sendPreview(ctx: ServerContext, reply: FastifyReply, batch: string, hitId: string): Promise<FastifyReply> {
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

/** What the page knows of an accepted HIT once its ids and submit address passed. */
interface AcceptedHit {
  assignmentId: string;
  hitId: string;
  origin: string;
  workerHash: string;
  batch: string;
}

/**
 * A reload of an accepted HIT: its assignment while open; null after answering with the completion
 * page (already submitted) or "time is up" (lapsed).
 */
async function resumeLinked(ctx: ServerContext, reply: FastifyReply, hit: AcceptedHit, ours: string): Promise<AcceptedAssignment | null> {
  const state = await assignmentItems(ctx, ours);
  if (state && ['submitted', 'approved'].includes(state.status)) {
    reply
      .type('text/html; charset=utf-8')
      .send(renderMturkSubmitPage({ submitUrl: `${hit.origin}/mturk/externalSubmit`, mturkAssignmentId: hit.assignmentId, assignmentId: ours, selected: 0 }));
    return null;
  }
  if (!state || state.status !== 'open' || (state.expiresAt && state.expiresAt <= ctx.now().toISOString())) {
    reply
      .type('text/html; charset=utf-8')
      .send(renderMessagePage('Time is up', 'This HIT’s time limit passed before it was submitted. Please return the HIT.'));
    return null;
  }
  return { ours, expiresAt: state.expiresAt ?? undefined };
}

/** The first visit of an accepted HIT: claims a task of its batch and links it, in one write; null after answering a refusal. */
async function claimForHit(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, hit: AcceptedHit): Promise<AcceptedAssignment | null> {
  let claim;
  try {
    const options = { workerHash: hit.workerHash, now: ctx.now(), ttlSeconds: ctx.ttlSeconds, source: 'mturk' as const, batch: hit.batch };
    claim = await ctx.writes.run(async (stores) => {
      const claimed = await stores.label.claim(ctx.assignmentsPerTask === undefined ? options : { ...options, assignmentsPerTask: ctx.assignmentsPerTask });
      if (claimed)
        await stores.server.linkMturk({
          mturkAssignmentId: hit.assignmentId,
          assignmentId: claimed.assignmentId,
          hitId: hit.hitId,
          workerHash: hit.workerHash,
          turkSubmitTo: hit.origin,
          createdAt: options.now.toISOString(),
        });
      return claimed;
    });
  } catch (error) {
    if (!isLabelError(error) || error.reason !== 'worker-rejected') throw error;
    refuse(request, reply, 403, 'Your answers are no longer being collected. Please return the HIT.', renderMessagePage);
    return null;
  }
  if (!claim) {
    reply.type('text/html; charset=utf-8').send(renderMessagePage('No tasks left', 'There is no task that still needs your answer. Please return the HIT.'));
    return null;
  }
  return { ours: claim.assignmentId, expiresAt: claim.expiresAt };
}

/** The task page of an accepted HIT, posting to /mturk/submit. */
async function sendMturkTask(ctx: ServerContext, reply: FastifyReply, assignment: AcceptedAssignment, mturkAssignmentId: string): Promise<FastifyReply> {
  const { ours, expiresAt } = assignment;
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
      hidden: { assignment: ours, mturkAssignmentId, _csrf: csrfToken(ctx, 'mturk', ours, mturkAssignmentId) },
      ...(expiresAt ? { expiresAt } : {}),
    }),
  );
}

/** `POST /mturk/submit`: saves the worker's answer, then the page that posts the HIT's completion to MTurk. */
function registerMturkSubmission(app: FastifyInstance, ctx: ServerContext, byAddress: AddressLimit): void {
  app.post('/mturk/submit', async (request, reply) => {
    const body = parseBody(request, SUBMISSION, SUBMISSION_INPUT);
    const { assignment: ours, mturkAssignmentId } = body;
    if (!checkCsrf(ctx, body._csrf, 'mturk', ours, mturkAssignmentId))
      return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed).', renderMessagePage);
    const found = await ctx.server.mturkLink(mturkAssignmentId);
    const linked = found?.assignmentId === ours ? found : undefined;
    if (linked && (await gate(ctx, byAddress, request, reply, linked.hitId)) === null) return reply;
    const state = linked ? await assignmentItems(ctx, ours) : null;
    if (!linked || !state) return refuse(request, reply, 404, 'No such assignment.', renderMessagePage);
    const itemTokens = toItemTokens(
      ctx,
      ours,
      state.items.map((i) => i.itemToken),
      body.sel,
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
