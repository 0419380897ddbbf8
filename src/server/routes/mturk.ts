/**
 * MTurk ExternalQuestion mode. MTurk opens `/mturk?assignmentId=…&hitId=…&workerId=…&turkSubmitTo=…`
 * in a frame. With `assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE` (the worker has not accepted the HIT)
 * the task is shown read-only. Once accepted, the worker claims a task like an invited labeller
 * (worker id stored only as a salted hash); the answer is saved here first, then the page posts
 * `assignmentId` on to `turkSubmitTo + '/mturk/externalSubmit'` so MTurk records the HIT as done.
 */
import type { FastifyInstance } from 'fastify';
import { claimNextAssignment, hashWorkerId, isLabelError, submitAssignment, workerSalt } from '../../label/index.ts';
import { type ServerContext, checkCsrf, csrfToken, field, fieldList, refuse } from '../context.ts';
import { previewScope } from '../image-tokens.ts';
import { renderMessagePage, renderMturkSubmitPage, renderTaskPage } from '../pages/task-page.ts';
import { assignmentItems, toItemTokens } from './labeller.ts';
import { prepared } from '../statements.ts';

export const PREVIEW_ASSIGNMENT = 'ASSIGNMENT_ID_NOT_AVAILABLE';
const MTURK_ID = /^[A-Za-z0-9_-]{1,128}$/;

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

export function registerMturkRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/mturk', async (request, reply) => {
    const q = request.query;
    const assignmentId = field(q, 'assignmentId');
    const hitId = field(q, 'hitId') ?? '';
    reply.header('Cache-Control', 'no-store');
    if (assignmentId === undefined || assignmentId === PREVIEW_ASSIGNMENT) {
      const task = (prepared(ctx.db, 'SELECT id, class_idx FROM tasks WHERE external_id = ?').get(hitId)
        ?? prepared(ctx.db, 'SELECT id, class_idx FROM tasks ORDER BY seq LIMIT 1').get()) as { id: string; class_idx: number } | undefined;
      const cls = task ? ctx.classes.get(task.class_idx) : undefined;
      if (!task || !cls) return reply.type('text/html; charset=utf-8').send(renderMessagePage('No tasks', 'There are no tasks in this workspace yet.'));
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
    if (linked && linked.worker_hash !== workerHash) return refuse(request, reply, 403, 'This MTurk assignment belongs to another worker.', renderMessagePage);
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
        const options = { workerHash, now: ctx.now(), ttlSeconds: ctx.ttlSeconds, source: 'mturk' as const };
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
    const state = linked ? assignmentItems(ctx, ours) : null;
    if (!linked || !state) return refuse(request, reply, 404, 'No such assignment.', renderMessagePage);
    const itemTokens = toItemTokens(ctx, ours, state.items.map((i) => i.itemToken), fieldList(request.body, 'sel'));
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
