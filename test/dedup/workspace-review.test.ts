/**
 * The workspace flow: search stores neighbours and marks candidates pending; the review routes list
 * pairs closer than the threshold and record decisions with reviewer and time; resolve writes
 * dedup_status by the component rule.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arraySource, reviewPairs, searchWorkspace, updateDedupStatus, type ReviewPair } from '../../src/dedup/index.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { makeWorkspace, noiseImage, nudged } from './workspace-fixture.ts';
import { buildApp } from '../../src/server/index.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';
import type { Workspace as DedupWorkspace } from '../../src/workspace/index.ts';

const dd = (w: DedupWorkspace) => workspaceStores(w).dedup;

describe('workspace search → review → resolve', () => {
  let workspace: Workspace;
  // The review is a page of the one server: /admin/dedup, behind the admin token.
  let app: FastifyInstance;
  const TOKEN = 'review-admin-token';
  const inject = (o: InjectOptions & { url: string }) =>
    app.inject({ ...o, url: o.url.replace(/^\/dedup/, '/admin/dedup'), headers: { authorization: `Bearer ${TOKEN}`, ...(o.headers ?? {}) } });
  const external = noiseImage(99);
  const status = async () =>
    Object.fromEntries(
      (await workspace.sql.all<{ image_id: string; status: string }>('SELECT image_id, status FROM dedup_status')).map((r) => [r.image_id, r.status]),
    );

  beforeAll(async () => {
    const r0 = noiseImage(1);
    const shared = noiseImage(2);
    workspace = await makeWorkspace([
      { id: 'r0', role: 'reference', pixels: r0 },
      { id: 'r1', role: 'reference', pixels: noiseImage(3) },
      { id: 'c-copy-of-r0', role: 'candidate', pixels: nudged(r0, 2) },
      { id: 'c-pair-a', role: 'candidate', pixels: shared, createdAt: '2026-01-02T00:00:00Z' },
      { id: 'c-pair-b', role: 'candidate', pixels: nudged(shared, -3), createdAt: '2026-01-01T00:00:00Z' },
      { id: 'c-alone', role: 'candidate', pixels: noiseImage(4) },
      { id: 'c-external', role: 'candidate', pixels: nudged(external, 1) },
      { id: 'c-same-photo', role: 'candidate', pixels: noiseImage(5), source: 'flickr', sourceId: 'p1' },
      { id: 'c-same-photo-2', role: 'candidate', pixels: noiseImage(6), source: 'flickr', sourceId: 'p1', exactDuplicateOf: 'c-same-photo', classIdx: 1 },
    ]);
    app = await buildApp({ workspace, stores: workspaceStores(workspace), adminToken: TOKEN, dedupReviewer: 'ada' });
  });
  afterAll(async () => {
    await app.close();
    await closeWorkspace(workspace);
  });

  it('search stores top-k neighbours per metric and marks candidates with close pairs pending', async () => {
    const summary = await searchWorkspace(workspace, {
      stores: dd(workspace),
      descriptors: ['pixels', 'dssim'],
      references: [arraySource('cifar10-train', 'ext', { count: 1, width: 32, height: 32, pixels: external })],
      k: 5,
      workers: 0,
    });
    expect(summary.candidates).toBe(7);
    expect(summary.metrics.map((m) => m.metric)).toEqual(['pixels', 'dssim']);
    // Squared L2 threshold at 32²: 1.2e8 · (32/256)².
    expect(summary.metrics[0]?.threshold).toBe(1.875e6);
    expect(summary.metrics[0]?.underThreshold).toBe(4); // copy-of-r0, pair a→b, pair b→a, external
    expect(await status()).toEqual({
      'c-copy-of-r0': 'pending',
      'c-pair-a': 'pending',
      'c-pair-b': 'pending',
      'c-alone': 'clear',
      'c-external': 'pending',
      // same photo under two sources' links: one kept, the other excluded
      'c-same-photo': 'clear',
      'c-same-photo-2': 'duplicate',
    });
    const stored = (await workspace.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM dedup_neighbours WHERE metric = 'pixels'"))!;
    expect(stored.n).toBe(7 * 5);
  });

  it('the queue merges both directions of a candidate pair and both metrics', async () => {
    const pairs = await reviewPairs(dd(workspace));
    const keys = pairs.map((p) => `${p.candidateId}|${p.neighbourSet}|${p.neighbourId}`).sort();
    expect(keys).toEqual(['c-copy-of-r0|workspace|r0', 'c-external|cifar10-train|0', 'c-pair-a|workspace|c-pair-b']);
    const ext = pairs.find((p) => p.neighbourSet === 'cifar10-train') as ReviewPair;
    expect(ext.neighbourRole).toBe('reference');
    expect(ext.neighbourPath).toMatch(/^blobs\/dedup\/cifar10-train\/0\.png$/);
    expect(ext.metrics.map((m) => m.metric).sort()).toEqual(['dssim', 'pixels']);
  });

  it('serves the page, the images and pairs.json', async () => {
    const page = await inject({ method: 'GET', url: '/dedup/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('3 of 3 pairs undecided');
    expect(page.body).toContain('data-candidate="c-copy-of-r0"');
    const pairs = await reviewPairs(dd(workspace));
    const image = await inject({ method: 'GET', url: `/dedup/image?path=${encodeURIComponent(pairs[0]?.neighbourPath as string)}` });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    const forbidden = await inject({ method: 'GET', url: `/dedup/image?path=${encodeURIComponent('workspace.db')}` });
    expect(forbidden.statusCode).toBe(404);
    const json = (await inject({ method: 'GET', url: '/dedup/pairs.json' })).json() as { total: number; undecided: number };
    expect(json).toMatchObject({ total: 3, undecided: 3 });
  });

  it('is served by the one server: admin token required, its security headers, one JSON error shape', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/admin/dedup/pairs.json', headers: { accept: 'application/json' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: 'auth', status: 401 });
    const page = await inject({ method: 'GET', url: '/dedup/' });
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    const form = await inject({
      method: 'POST',
      url: '/dedup/decide',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'decision=duplicate',
    });
    expect(form.json()).toEqual({ error: 'usage', status: 415, message: 'send the decision as application/json' });
    const unknown = await inject({
      method: 'POST',
      url: '/dedup/decide',
      payload: { candidateId: 'nope', neighbourSet: 'workspace', neighbourId: 'r1', decision: 'duplicate' },
    });
    expect(unknown.json()).toEqual({ error: 'not-found', status: 404, message: 'no such pair in the review queue' });
    // A cross-site POST is refused by the server's origin check before the route.
    const crossSite = await inject({
      method: 'POST',
      url: '/dedup/decide',
      headers: { origin: 'https://evil.example' },
      payload: { candidateId: 'c-alone', neighbourSet: 'workspace', neighbourId: 'r1', decision: 'duplicate' },
    });
    expect(crossSite.statusCode).toBe(403);
  });

  it('records decisions with reviewer and time, rejects unknown pairs and bad bodies', async () => {
    const ok = await inject({
      method: 'POST',
      url: '/dedup/decide',
      payload: { candidateId: 'c-copy-of-r0', neighbourSet: 'workspace', neighbourId: 'r0', decision: 'duplicate' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ reviewer: 'ada', decision: 'duplicate' });
    // The pair b→a is the same pair as a→b.
    const reversed = await inject({
      method: 'POST',
      url: '/dedup/decide',
      payload: { candidateId: 'c-pair-b', neighbourSet: 'workspace', neighbourId: 'c-pair-a', decision: 'duplicate' },
    });
    expect(reversed.statusCode).toBe(200);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/dedup/decide',
          payload: { candidateId: 'c-alone', neighbourSet: 'workspace', neighbourId: 'r1', decision: 'duplicate' },
        })
      ).statusCode,
    ).toBe(404);
    expect((await inject({ method: 'POST', url: '/dedup/decide', payload: { candidateId: 'c-alone', decision: 'maybe' } })).statusCode).toBe(400);
    // A cross-site form post (urlencoded) is refused whatever its fields.
    const form = await inject({
      method: 'POST',
      url: '/dedup/decide',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'candidateId=c-alone&neighbourSet=workspace&neighbourId=r1&decision=duplicate',
    });
    expect(form.statusCode).toBe(415);
    const rows = await workspace.sql.all<{ candidate_id: string; neighbour_id: string; reviewer: string; decided_at: string }>(
      'SELECT candidate_id, neighbour_id, decision, reviewer, decided_at FROM dedup_decisions ORDER BY id',
    );
    expect(rows.map((r) => [r.candidate_id, r.neighbour_id, r.reviewer])).toEqual([
      ['c-copy-of-r0', 'r0', 'ada'],
      ['c-pair-a', 'c-pair-b', 'ada'],
    ]);
    expect(Number.isNaN(Date.parse(rows[0]?.decided_at as string))).toBe(false);
  });

  it('resolve: originals exclude their component, candidate pairs keep the earliest, undecided stay pending', async () => {
    const { counts } = await updateDedupStatus(dd(workspace));
    expect(await status()).toEqual({
      'c-copy-of-r0': 'duplicate',
      'c-pair-a': 'duplicate',
      'c-pair-b': 'clear', // created earlier than c-pair-a
      'c-alone': 'clear',
      'c-external': 'pending',
      'c-same-photo': 'clear',
      'c-same-photo-2': 'duplicate',
    });
    expect(counts).toEqual({ clear: 3, pending: 1, duplicate: 3 });
  });

  it('the latest decision wins; not-duplicate clears a candidate', async () => {
    await inject({
      method: 'POST',
      url: '/dedup/decide',
      payload: { candidateId: 'c-external', neighbourSet: 'cifar10-train', neighbourId: '0', decision: 'duplicate' },
    });
    await inject({
      method: 'POST',
      url: '/dedup/decide',
      payload: { candidateId: 'c-external', neighbourSet: 'cifar10-train', neighbourId: '0', decision: 'not_duplicate' },
    });
    await updateDedupStatus(dd(workspace));
    expect((await status())['c-external']).toBe('clear');
    expect(await reviewPairs(dd(workspace), { undecidedOnly: true })).toEqual([]);
  });
});
