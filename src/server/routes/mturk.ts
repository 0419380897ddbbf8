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
import { claimNextAssignment, hashWorkerId, isLabelError, submitAssignment, workerSalt } from '../../label/index.ts';
import { type ServerContext, checkCsrf, csrfToken, field, fieldList, refuse } from '../context.ts';
import { previewScope } from '../image-tokens.ts';
import { MTURK_ID, mturkModeOn, servedBatch } from '../mturk-mode.ts';
import { renderMessagePage, renderMturkSubmitPage, renderTaskPage } from '../pages/task-page.ts';
import { assignmentItems, toItemTokens } from './labeller.ts';
import { prepared } from '../statements.ts';

export const PREVIEW_ASSIGNMENT = 'ASSIGNMENT_ID_NOT_AVAILABLE';

interface MturkRow { mturk_assignment_id: string; assignment_id: string; hit_id: string; worker_hash: string; turk_submit_to: string }

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
async function gate(ctx: ServerContext, byAddress: (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean }>, request: FastifyRequest, reply: FastifyReply, hitId: string): Promise<string | null> {
  const limit = await byAddress(request);
  if (!limit.isAllowed && limit.isExceeded) {
    refuse(request, reply, 429, 'Too many requests from this address: slow down a little.', renderMessagePage);
    return null;
  }
  if (!mturkModeOn(ctx.db)) {
    refuse(request, reply, 404, 'MTurk mode is off in this workspace.', renderMessagePage);
    return null;
  }
  const batch = servedBatch(ctx.db, hitId);
  if (batch === null) {
    refuse(request, reply, 403, 'This HIT is not one of the HITs published for this server.', renderMessagePage);
    return null;
  }
  return batch;
}

export function registerMturkRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Per client address, in addition to the global limit (keyed by the claimed worker id, which anyone can invent).
  const byAddress = app.createRateLimit({ max: ctx.rateLimitPerMinute, timeWindow: 60_000, keyGenerator: (request) => `mturk-address:${request.ip}` });

  app.get('/mturk', async (request, reply) => {
    const q = request.query;
    const assignmentId = field(q, 'assignmentId');
    const hitId = field(q, 'hitId') ?? '';
    reply.header('Cache-Control', 'no-store');
    const batch = await gate(ctx, byAddress, request, reply, hitId);
    if (batch === null) return reply;
    if (assignmentId === undefined || assignmentId === PREVIEW_ASSIGNMENT) {
      // Preview: the HIT's own task when it names one, else the batch's next task that needs answers.
      const task = (prepared(ctx.db, 'SELECT id, class_idx FROM tasks WHERE external_id = ? AND batch = ?').get(hitId, batch)
        ?? prepared(ctx.db, 'SELECT id, class_idx FROM tasks WHERE batch = ? ORDER BY (live_count >= assignments_wanted), seq LIMIT 1').get(batch)) as { id: string; class_idx: number } | undefined;
      const cls = task ? ctx.classes.get(task.class_idx) : undefined;
      if (!task || !cls) return reply.type('text/html; charset=utf-8').send(renderMessagePage('No tasks', 'There are no tasks in this batch.'));
      const scope = previewScope(ctx.imageKey, task.id);
      const itemTokens = (prepared(ctx.db, 'SELECT token FROM task_items WHERE task_id = ?').all(task.id) as { token: string }[]).map((r) => r.token);
      const tokens = ctx.shown.get(scope, itemTokens).map((s) => s.token);
      return reply.type('text/html; charset=utf-8').send(renderTaskPage({ cls, scope, tokens, mode: 'preview', action: '', hidden: {}, thumbnailSize: ctx.thumbnailSize }));
    }
    const workerId = field(q, 'workerId');
    const turkSubmitTo = field(q, 'turkSubmitTo');
    if (!MTURK_ID.test(assignmentId) || !workerId || !MTURK_ID.test(workerId) || !MTURK_ID.test(hitId)) {
      return refuse(request, reply, 400, 'assignmentId, hitId and workerId must be MTurk ids (letters, digits, _ and -).', renderMessagePage);
    }
    const origin = allowedSubmitOrigin(ctx, turkSubmitTo);
    if (!origin) return refuse(request, reply, 400, 'turkSubmitTo must be an MTurk address (www.mturk.com or workersandbox.mturk.com).', renderMessagePage);
    const workerHash = hashWorkerId(workerSalt(ctx.db), `mturk:${workerId}`);
    const linked = prepared(ctx.db, 'SELECT * FROM server_mturk WHERE mturk_assignment_id = ?').get(assignmentId) as MturkRow | undefined;
    if (linked && (linked.worker_hash !== workerHash || linked.hit_id !== hitId)) return refuse(request, reply, 403, 'This MTurk assignment belongs to another worker or HIT.', renderMessagePage);
    let ours: string;
    let expiresAt: string | undefined;
    if (linked) {
      ours = linked.assignment_id;
      const state = assignmentItems(ctx, ours);
      if (state && ['submitted', 'approved'].includes(state.status)) {
        return reply.type('text/html; charset=utf-8').send(renderMturkSubmitPage({ submitUrl: `${origin}/mturk/externalSubmit`, mturkAssignmentId: assignmentId, assignmentId: ours, selected: 0 }));
      }
      const row = prepared(ctx.db, 'SELECT expires_at FROM assignments WHERE id = ?').get(ours) as { expires_at: string | null } | undefined;
      if (!state || state.status !== 'open' || (row?.expires_at && row.expires_at <= ctx.now().toISOString())) {
        return reply.type('text/html; charset=utf-8').send(renderMessagePage('Time is up', 'This HIT’s time limit passed before it was submitted. Please return the HIT.'));
      }
      expiresAt = row?.expires_at ?? undefined;
    } else {
      let claim;
      try {
        const options = { workerHash, now: ctx.now(), ttlSeconds: ctx.ttlSeconds, source: 'mturk' as const, batch };
        claim = await ctx.writes.run(() => {
          const claimed = claimNextAssignment(ctx.db, ctx.assignmentsPerTask === undefined ? options : { ...options, assignmentsPerTask: ctx.assignmentsPerTask });
          if (claimed) {
            prepared(ctx.db, 'INSERT OR IGNORE INTO server_mturk (mturk_assignment_id, assignment_id, hit_id, worker_hash, turk_submit_to, created_at) VALUES (?, ?, ?, ?, ?, ?)')
              .run(assignmentId, claimed.assignmentId, hitId, workerHash, origin, options.now.toISOString());
          }
          return claimed;
        });
      } catch (error) {
        if (isLabelError(error) && error.reason === 'worker-rejected') return refuse(request, reply, 403, 'Your answers are no longer being collected. Please return the HIT.', renderMessagePage);
        throw error;
      }
      if (!claim) return reply.type('text/html; charset=utf-8').send(renderMessagePage('No tasks left', 'There is no task that still needs your answer. Please return the HIT.'));
      ours = claim.assignmentId;
      expiresAt = claim.expiresAt;
    }
    const state = assignmentItems(ctx, ours)!;
    const cls = ctx.classes.get((prepared(ctx.db, 'SELECT class_idx FROM tasks WHERE id = ?').get(state.taskId) as { class_idx: number }).class_idx)!;
    const tokens = ctx.shown.get(ours, state.items.map((i) => i.itemToken)).map((s) => s.token);
    return reply.type('text/html; charset=utf-8').send(renderTaskPage({
      cls, scope: ours, tokens, mode: 'mturk', action: '/mturk/submit', thumbnailSize: ctx.thumbnailSize,
      hidden: { assignment: ours, mturkAssignmentId: assignmentId, _csrf: csrfToken(ctx, 'mturk', ours, assignmentId) },
      ...(expiresAt ? { expiresAt } : {}),
    }));
  });

  app.post('/mturk/submit', async (request, reply) => {
    const ours = field(request.body, 'assignment') ?? '';
    const mturkAssignmentId = field(request.body, 'mturkAssignmentId') ?? '';
    if (!checkCsrf(ctx, request.body, 'mturk', ours, mturkAssignmentId)) return refuse(request, reply, 403, 'The form has expired or did not come from this site (CSRF check failed).', renderMessagePage);
    const linked = prepared(ctx.db, 'SELECT * FROM server_mturk WHERE mturk_assignment_id = ? AND assignment_id = ?').get(mturkAssignmentId, ours) as MturkRow | undefined;
    if (linked && (await gate(ctx, byAddress, request, reply, linked.hit_id)) === null) return reply;
    const state = linked ? assignmentItems(ctx, ours) : null;
    if (!linked || !state) return refuse(request, reply, 404, 'No such assignment.', renderMessagePage);
    const selection = fieldList(request.body, 'sel');
    if (selection === null) return refuse(request, reply, 400, 'sel must be a list of image tokens.', renderMessagePage);
    const itemTokens = toItemTokens(ctx, ours, state.items.map((i) => i.itemToken), selection);
    if (!itemTokens) return refuse(request, reply, 400, 'The submission names an image that is not in this task.', renderMessagePage);
    try {
      const now = ctx.now();
      const result = await ctx.writes.run(() => submitAssignment(ctx.db, { assignmentId: ours, workerHash: linked.worker_hash, selectedTokens: itemTokens, now }));
      return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8')
        .send(renderMturkSubmitPage({ submitUrl: `${linked.turk_submit_to}/mturk/externalSubmit`, mturkAssignmentId, assignmentId: ours, selected: result.selected }));
    } catch (error) {
      if (isLabelError(error) && error.reason === 'expired') return refuse(request, reply, 409, 'This HIT’s time limit passed before it was submitted. Please return the HIT.', renderMessagePage);
      throw error;
    }
  });
}
