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
import { parseBody, parseQuery, textOrEmpty, wholeNumber } from '../request-input.ts';

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

/** A decision, as the review page posts it (JSON). */
const decisionSchema = z.strictObject({
  candidateId: z.string().min(1),
  neighbourSet: z.string().min(1),
  neighbourId: z.string().min(1),
  decision: z.enum(['duplicate', 'not_duplicate']),
});

/** The page's `?offset=&limit=` (a page of at most 500 pairs). */
const PAGE_QUERY = z.object({ offset: wholeNumber(0, 1e9, 0), limit: wholeNumber(1, 500, 100) });

/** `?path=`: an image the queue names. */
const IMAGE_QUERY = z.object({ path: textOrEmpty });

const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

export async function registerDedupReview(app: FastifyInstance, options: DedupReviewOptions): Promise<void> {
  const prefix = options.prefix.replace(/\/+$/, '');
  const ctx = options.stores;
  const reviewerOf = (request: FastifyRequest) => options.reviewer?.(request) ?? options.reviewerName ?? 'reviewer';
  const pairsOptions = options.top === undefined ? {} : { top: options.top };

  app.get(`${prefix}/`, async (request, reply) => {
    const { offset, limit } = parseQuery(request, PAGE_QUERY, { what: "the review page's query" });
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
    const decision = parseBody(request, decisionSchema, { what: 'the decision' });
    const known = (await reviewPairs(ctx, pairsOptions)).some(
      (p) =>
        (p.candidateId === decision.candidateId && p.neighbourSet === decision.neighbourSet && p.neighbourId === decision.neighbourId) ||
        (decision.neighbourSet === 'workspace' &&
          p.neighbourSet === 'workspace' &&
          p.candidateId === decision.neighbourId &&
          p.neighbourId === decision.candidateId),
    );
    if (!known) return reply.code(404).send(errorJson(404, 'no such pair in the review queue'));
    const decidedAt = new Date().toISOString();
    const reviewer = reviewerOf(request);
    await recordDecision(ctx.store, { ...decision, reviewer, now: decidedAt });
    return { ...decision, reviewer, decidedAt };
  });

  app.get(`${prefix}/image`, async (request, reply) => {
    const { path } = parseQuery(request, IMAGE_QUERY, { what: "the image's query" });
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
