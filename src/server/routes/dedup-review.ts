/**
 * The near-duplicate review as routes of the one server, mounted under `prefix` (/admin/dedup)
 * behind the admin guard, with the server's security headers, rate limits and origin checks
 * (`retest serve`, and `retest dedup review` which starts the same server):
 *
 * - `GET  <prefix>/`            the page (HTML), `?offset=&limit=` pages through the queue
 * - `GET  <prefix>/pairs.json`  the queue as JSON (`{total, undecided, pairs}`)
 * - `POST <prefix>/decide`      JSON `{candidateId, neighbourSet, neighbourId, decision}` → the stored decision
 * - `GET  <prefix>/image?path=` an image of the queue (only paths the queue names are served)
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordDecision, reviewPairs, type DedupContext } from '../../dedup/index.ts';
import { workspacePath, type Workspace } from '../../workspace/index.ts';
import { errorJson } from '../http-errors.ts';
import { renderDedupReviewPage } from '../pages/dedup-review-page.ts';
import { fromSystemError } from '../../core/errors.ts';

export interface DedupReviewOptions {
  workspace: Workspace;
  /** The near-duplicate store with its sources. */
  stores: DedupContext;
  /** URL prefix, e.g. '' or '/admin/dedup' (no trailing slash). */
  prefix: string;
  /** Who is deciding, per request (default: the constant `reviewerName`, else 'reviewer'). */
  reviewer?: (request: FastifyRequest) => string;
  /** The reviewer's name when `reviewer` is not given. */
  reviewerName?: string;
  /** Review the first `top` neighbours (default 30). */
  top?: number;
}

const decisionSchema = z.object({
  candidateId: z.string().min(1),
  neighbourSet: z.string().min(1),
  neighbourId: z.string().min(1),
  decision: z.enum(['duplicate', 'not_duplicate']),
});

const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

export async function registerDedupReview(app: FastifyInstance, options: DedupReviewOptions): Promise<void> {
  const prefix = options.prefix.replace(/\/+$/, '');
  const ctx = options.stores;
  const reviewerOf = (request: FastifyRequest) => options.reviewer?.(request) ?? options.reviewerName ?? 'reviewer';
  const pairsOptions = options.top === undefined ? {} : { top: options.top };

  app.get(`${prefix}/`, async (request, reply) => {
    const query = request.query as { offset?: string; limit?: string };
    const offset = Math.max(0, Number.parseInt(query.offset ?? '0', 10) || 0);
    const limit = Math.min(500, Math.max(1, Number.parseInt(query.limit ?? '100', 10) || 100));
    const pairs = await reviewPairs(ctx, pairsOptions);
    const html = renderDedupReviewPage({
      prefix,
      pairs: pairs.slice(offset, offset + limit),
      total: pairs.length,
      undecided: pairs.filter((p) => p.decision === null).length,
      reviewer: reviewerOf(request),
      offset,
      limit,
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });
  if (prefix !== '') app.get(prefix, async (_request, reply) => reply.redirect(`${prefix}/`));

  app.get(`${prefix}/pairs.json`, async () => {
    const pairs = await reviewPairs(ctx, pairsOptions);
    return { total: pairs.length, undecided: pairs.filter((p) => p.decision === null).length, pairs };
  });

  app.post(`${prefix}/decide`, async (request, reply) => {
    // JSON only: a cross-site HTML form cannot send it without a CORS preflight (CSRF), even where
    // the host app also parses urlencoded forms.
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return reply.code(415).send(errorJson(415, 'send the decision as application/json'));
    }
    const parsed = decisionSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send(errorJson(400, 'bad decision', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) }));
    }
    const known = (await reviewPairs(ctx, pairsOptions)).some(
      (p) =>
        (p.candidateId === parsed.data.candidateId && p.neighbourSet === parsed.data.neighbourSet && p.neighbourId === parsed.data.neighbourId) ||
        (parsed.data.neighbourSet === 'workspace' &&
          p.neighbourSet === 'workspace' &&
          p.candidateId === parsed.data.neighbourId &&
          p.neighbourId === parsed.data.candidateId),
    );
    if (!known) return reply.code(404).send(errorJson(404, 'no such pair in the review queue'));
    const decidedAt = new Date().toISOString();
    const reviewer = reviewerOf(request);
    await recordDecision(ctx.store, { ...parsed.data, reviewer, now: decidedAt });
    return { ...parsed.data, reviewer, decidedAt };
  });

  app.get(`${prefix}/image`, async (request, reply) => {
    const path = (request.query as { path?: string }).path ?? '';
    const listed = path !== '' && ((await ctx.sources.isImagePath(path)) || (await ctx.store.isNeighbourPath(path)));
    if (!path || !listed) return reply.code(404).send(errorJson(404, 'no such image'));
    try {
      const bytes = readFileSync(workspacePath(options.workspace, path));
      return reply
        .type(CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
        .header('cache-control', 'private, max-age=3600')
        .send(bytes);
    } catch (error) {
      // A missing file is a 404; any other read error (permissions, a disk fault) is the server's
      // and is reported as such (io → 503 through the one error mapping), not hidden as "missing".
      if ((error as { code?: string }).code === 'ENOENT') return reply.code(404).send(errorJson(404, 'image file missing'));
      throw fromSystemError(error, path) ?? error;
    }
  });
}
