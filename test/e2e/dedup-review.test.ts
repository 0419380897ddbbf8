/**
 * The review page in a real browser (Debian's chromium via playwright-core): keyboard decisions
 * are stored with the reviewer's name and time.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchWorkspace } from '../../src/dedup/index.ts';
import { buildApp } from '../../src/server/index.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { makeWorkspace, noiseImage, nudged } from '../dedup/workspace-fixture.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';
import type { Workspace as DedupWorkspace } from '../../src/workspace/index.ts';

const dd = (w: DedupWorkspace) => workspaceStores(w).dedup;

const CHROMIUM = process.env.RETEST_CHROMIUM ?? '/usr/bin/chromium';
const suite = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`[skip] dedup review page browser test: no chromium at ${CHROMIUM} (set RETEST_CHROMIUM)`);

suite('dedup review page (browser)', () => {
  let workspace: Workspace;
  let browser: Browser;
  let url: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    const r0 = noiseImage(11);
    const r1 = noiseImage(12);
    workspace = await makeWorkspace([
      { id: 'orig-0', role: 'reference', pixels: r0 },
      { id: 'orig-1', role: 'reference', pixels: r1 },
      { id: 'cand-a', role: 'candidate', pixels: nudged(r0, 4) },
      { id: 'cand-b', role: 'candidate', pixels: nudged(r1, -4) },
      { id: 'cand-c', role: 'candidate', pixels: noiseImage(13) },
    ]);
    await searchWorkspace(workspace, { stores: dd(workspace), descriptors: ['pixels'], references: [], k: 3, workers: 0 });
    // The review page of the one server, reached through the admin login as `retest dedup review` prints it.
    app = await buildApp({ workspace, stores: workspaceStores(workspace), adminToken: 'grace-admin-token', dedupReviewer: 'grace' });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    url = `${address}/admin/login?token=grace-admin-token&next=/admin/dedup/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (workspace) await closeWorkspace(workspace);
  });

  const decisions = () =>
    workspace.sql.all<{ candidate_id: string; neighbour_id: string; decision: string; reviewer: string }>(
      'SELECT candidate_id, neighbour_id, decision, reviewer FROM dedup_decisions ORDER BY id',
    );

  it('shows both pairs side by side with their distances, d / n / arrows decide and move', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.locator('section.pair').count()).toBe(2);
    expect(await page.locator('section.pair').first().locator('img').count()).toBe(2);
    expect(await page.locator('section.pair').first().textContent()).toContain('pixels');
    // Images load (the routes serve the squares).
    const loaded = await page
      .locator('section.pair img')
      .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 32));
    expect(loaded).toBe(true);

    await page.keyboard.press('d');
    await page.waitForFunction(() => document.querySelectorAll('section.pair.duplicate').length === 1);
    await page.keyboard.press('n');
    await page.waitForFunction(() => document.querySelectorAll('section.pair.not_duplicate').length === 1);
    expect(await decisions()).toEqual([
      { candidate_id: 'cand-a', neighbour_id: 'orig-0', decision: 'duplicate', reviewer: 'grace' },
      { candidate_id: 'cand-b', neighbour_id: 'orig-1', decision: 'not_duplicate', reviewer: 'grace' },
    ]);

    // Back to the first pair and change its decision.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('n');
    await page.waitForFunction(() => document.querySelectorAll('section.pair.not_duplicate').length === 2);
    expect((await decisions()).at(-1)).toEqual({ candidate_id: 'cand-a', neighbour_id: 'orig-0', decision: 'not_duplicate', reviewer: 'grace' });

    // A reload shows the stored state.
    await page.reload();
    expect(await page.locator('section.pair.not_duplicate').count()).toBe(2);
    await page.close();
  });
});
