/// <reference lib="dom" />
/**
 * The labelling app in a real browser (Debian chromium via playwright-core): a labeller completes a
 * task with the keyboard and another with the mouse, the dashboard shows the frequencies change,
 * an admin rejects a worker and the frequencies drop back, a labeller token is refused on admin
 * routes. Screenshots (task page at desktop, tablet and phone widths; dashboard) go to artifacts/.
 */
import type { FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableMturk, buildApp, inviteLabellers } from '../../src/server/index.ts';
import { REPO_ROOT } from '../helpers/shared.ts';
import { buildFixture, type Fixture } from '../server/fixture.ts';
import { HAS_CHROMIUM, launchChromium } from './server-browser.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';

const ARTIFACTS = join(REPO_ROOT, 'artifacts');
const ADMIN = 'e2e-admin-token';

let fx: Fixture;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let turk: Server;
let turkOrigin: string;
const turkPosts: { url: string; method: string; body: URLSearchParams }[] = [];

const histogram = async (page: Page, classIdx: number) =>
  (await page.locator(`tr[data-class="${classIdx}"] svg.hist`).getAttribute('data-candidates'))!.split(',').map(Number);

/** Candidate selections of one worker's submitted assignments, by image id. */
async function selectionsOf(name: string): Promise<Map<string, number>> {
  const rows = await fx.workspace.sql.all<{ image_id: string; selected: number }>(
    `SELECT an.image_id, an.selected FROM answers an JOIN assignments a ON a.id = an.assignment_id
    JOIN server_labellers l ON l.worker_hash = a.worker_hash JOIN task_items ti ON ti.task_id = a.task_id AND ti.image_id = an.image_id
    WHERE l.name = ? AND ti.role = 'candidate'`,
    [name],
  );
  return new Map(rows.map((r) => [r.image_id, r.selected]));
}

function binsOf(freqs: number[]): number[] {
  const bins = [0, 0, 0, 0, 0];
  for (const f of freqs) bins[Math.min(4, Math.floor(f * 5 + 1e-9))]! += 1;
  return bins;
}

describe.skipIf(!HAS_CHROMIUM)('labelling app in chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fx = await buildFixture({ tasksPerClass: 2, assignmentsWanted: 2 });
    // A stand-in for MTurk's externalSubmit endpoint, on 127.0.0.1.
    turk = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        turkPosts.push({ url: req.url ?? '', method: req.method ?? '', body: new URLSearchParams(body) });
        res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>MTurk got it</h1>');
      });
    });
    await new Promise<void>((r) => turk.listen(0, '127.0.0.1', r));
    turkOrigin = `http://127.0.0.1:${(turk.address() as AddressInfo).port}`;
    app = await buildApp({
      workspace: fx.workspace,
      stores: workspaceStores(fx.workspace),
      adminToken: ADMIN,
      minAnswers: 1,
      mturkSubmitOrigins: [turkOrigin],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await new Promise((r) => turk?.close(r));
    await fx?.close();
  });

  it('runs the whole loop: keyboard labeller, mouse labeller, dashboard, rejection, token scope', async () => {
    const [alice, bob] = await inviteLabellers(workspaceStores(fx.workspace), ['alice', 'bob']);

    // The dashboard before any answer.
    const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const dash = await adminCtx.newPage();
    await dash.goto(`${base}/admin/login?token=${ADMIN}`);
    await expect.poll(() => dash.url()).toBe(`${base}/admin`);
    expect(await histogram(dash, 0)).toEqual([0, 0, 0, 0, 0]);

    // alice, desktop, keyboard only.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const a = await desk.newPage();
    await a.goto(`${base}/l/${alice!.token}`);
    await expect.poll(() => a.url()).toBe(`${base}/label`);
    await a.waitForLoadState('load');
    expect(await a.locator('h1').innerText()).toBe('Which of these images contain at least one object of type dog or domestic dog or Canis familiaris?');
    expect(await a.locator('.grid .cell').count()).toBe(48);
    expect(await a.locator('.grid').evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length)).toBe(3);
    await a.screenshot({ path: join(ARTIFACTS, 'server-task-desktop.png'), fullPage: false });
    const tokens = await a.locator('input[name="sel"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    // The first checkbox has focus on load; its cell shows a focus ring.
    expect(await a.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(tokens[0]);
    const ring = await a
      .locator('.cell')
      .first()
      .evaluate((c) => getComputedStyle(c).outlineStyle + ' ' + getComputedStyle(c).outlineWidth);
    expect(ring).toBe('solid 4px');
    await a.keyboard.press('Space'); // select 0
    await a.keyboard.press('ArrowRight');
    await a.keyboard.press('ArrowRight');
    await a.keyboard.press('Space'); // select 2
    await a.keyboard.press('ArrowDown'); // 2 + 3 columns = 5
    await a.keyboard.press('Space'); // select 5
    await a.keyboard.press('ArrowLeft');
    await a.keyboard.press('ArrowUp'); // 4 - 3 = 1
    expect(await a.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(tokens[1]);
    expect(await a.locator('#selected-count').innerText()).toBe('3');
    const checked = await a.locator('input[name="sel"]:checked').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(checked).toEqual([tokens[0], tokens[2], tokens[5]]);
    await Promise.all([a.waitForURL(`${base}/label?notice=done`), a.keyboard.press('Enter')]);
    expect(await a.locator('.banner').innerText()).toContain('your answer was saved');
    const aliceFirst = await fx.workspace.sql.all<{ s: number; n: number }>(
      "SELECT a.id, SUM(an.selected) AS s, COUNT(*) AS n FROM assignments a JOIN answers an ON an.assignment_id = a.id JOIN server_labellers l ON l.worker_hash = a.worker_hash WHERE l.name = 'alice' GROUP BY a.id",
    );
    expect(aliceFirst.map((r) => [r.n, r.s])).toEqual([[48, 3]]);

    // The dashboard shows alice's answers.
    await dash.reload();
    const afterAlice = await histogram(dash, 0);
    const aliceSel = await selectionsOf('alice');
    expect(afterAlice).toEqual(binsOf([...aliceSel.values()]));
    expect(afterAlice.reduce((x, y) => x + y, 0)).toBe(42);

    // bob, phone, mouse (touch-sized viewport, clicks on the images).
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
    const b = await phone.newPage();
    await b.goto(`${base}/l/${bob!.token}`);
    await expect.poll(() => b.url()).toBe(`${base}/label`);
    await b.waitForLoadState('load');
    expect(await b.locator('.grid').evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length)).toBe(1);
    await b.screenshot({ path: join(ARTIFACTS, 'server-task-phone.png'), fullPage: false });
    const imgs = b.locator('.cell img');
    for (const i of [1, 3, 4, 7]) await imgs.nth(i).click();
    await imgs.nth(7).click(); // and unselect one again
    expect(await b.locator('input[name="sel"]:checked').count()).toBe(3);
    expect(await b.locator('.cell.selected').count()).toBe(3);
    await Promise.all([b.waitForURL(`${base}/label?notice=done`), b.locator('button[type="submit"]').click()]);
    const bobRows = await fx.workspace.sql.all(
      "SELECT SUM(an.selected) AS s, COUNT(*) AS n FROM assignments a JOIN answers an ON an.assignment_id = a.id JOIN server_labellers l ON l.worker_hash = a.worker_hash WHERE l.name = 'bob' GROUP BY a.id",
    );
    expect(bobRows).toEqual([{ s: 3, n: 48 }]);

    // A tablet width gets two columns.
    const tablet = await browser.newContext({ viewport: { width: 800, height: 1000 } });
    const t = await tablet.newPage();
    await t.goto(`${base}/l/${bob!.token}`);
    await t.waitForLoadState('load');
    expect(await t.locator('.grid').evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length)).toBe(2);
    await t.screenshot({ path: join(ARTIFACTS, 'server-task-tablet.png'), fullPage: false });

    // Both answered the first task of class 0: the histogram moves to the two-answer frequencies.
    await dash.reload();
    const bobSel = await selectionsOf('bob');
    const both = [...aliceSel.keys()].map((id) => ((aliceSel.get(id) ?? 0) + (bobSel.get(id) ?? 0)) / 2);
    const afterBoth = await histogram(dash, 0);
    expect(afterBoth).toEqual(binsOf(both));
    expect(afterBoth).not.toEqual(afterAlice);
    expect(await dash.locator('tr[data-class="0"] .progress').innerText()).toBe('2 / 4');
    await dash.screenshot({ path: join(ARTIFACTS, 'server-dashboard.png'), fullPage: true });

    // Reject alice from the worker table: her answers leave the frequencies at once.
    const aliceRow = dash.locator('tr[data-worker]', { hasText: 'alice' });
    await Promise.all([dash.waitForURL(/notice=rejected/), aliceRow.locator('button[data-action="reject"]').click()]);
    expect(await dash.locator('tr[data-worker]', { hasText: 'alice' }).locator('.status-rejected').innerText()).toBe('rejected');
    const afterReject = await histogram(dash, 0);
    expect(afterReject).toEqual(binsOf([...bobSel.values()]));
    expect(await dash.locator('tr[data-class="0"] .progress').innerText()).toBe('1 / 4');

    // A labeller's token does not open admin pages.
    const refused = await a.goto(`${base}/admin`);
    expect(refused!.status()).toBe(403);
    expect(await a.locator('h1').innerText()).toBe('Not allowed');
    const api = await a.goto(`${base}/admin/api/summary`);
    expect(api!.status()).toBe(403);
    // A rejected labeller gets no more work.
    const more = await a.goto(`${base}/label`);
    expect(more!.status()).toBe(403);

    await Promise.all([adminCtx.close(), desk.close(), phone.close(), tablet.close()]);
  });

  it('shows the per-class review page next to reference images', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await ctx.newPage();
    await page.goto(`${base}/admin/login?token=${ADMIN}`);
    await page.goto(`${base}/admin/class/0`);
    expect(await page.locator('.thumbs.reference figure').count()).toBe(6);
    await page.locator('.thumbs.reference img').last().scrollIntoViewIfNeeded();
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('.thumbs.reference img')).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
    );
    const sizes = await page.locator('.thumbs.reference img').evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
    expect(sizes.every((w) => w === 320)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'server-review.png'), fullPage: true });
    // The mounted near-duplicate review runs its inline script and style under our CSP (allowed by hash).
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const res = await page.goto(`${base}/admin/dedup/`);
    expect(res!.status()).toBe(200);
    await page.waitForLoadState('load');
    expect(violations).toEqual([]);
    await ctx.close();
  });

  it('runs an MTurk ExternalQuestion HIT: preview read-only, then select, submit and post back to turkSubmitTo', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await enableMturk(workspaceStores(fx.workspace), { batch: 'fixture', hitIds: ['HITX'] }); // MTurk mode is off until the builder turns it on
    await page.goto(`${base}/mturk?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&hitId=HITX`);
    expect(await page.locator('.banner').first().innerText()).toContain('Preview');
    expect(await page.locator('input[name="sel"]:enabled').count()).toBe(0);
    await page.locator('.cell img').first().click({ force: true });
    expect(await page.locator('input[name="sel"]:checked').count()).toBe(0);
    const q = new URLSearchParams({ assignmentId: 'TURKASSIGN1', hitId: 'HITX', workerId: 'AWORKER42', turkSubmitTo: turkOrigin });
    await page.goto(`${base}/mturk?${q}`);
    const imgs = page.locator('.cell img');
    await imgs.nth(0).click();
    await imgs.nth(4).click();
    await Promise.all([page.waitForURL(`${turkOrigin}/mturk/externalSubmit`), page.locator('button[type="submit"]').click()]);
    expect(await page.locator('h1').innerText()).toBe('MTurk got it');
    const posts = turkPosts.filter((p) => p.method === 'POST');
    expect(posts.map((p) => p.url)).toEqual(['/mturk/externalSubmit']);
    expect(posts[0]!.body.get('assignmentId')).toBe('TURKASSIGN1');
    expect(posts[0]!.body.get('selected')).toBe('2');
    const stored = await fx.workspace.sql.get(
      "SELECT SUM(an.selected) AS s, COUNT(*) AS n FROM server_mturk m JOIN answers an ON an.assignment_id = m.assignment_id WHERE m.mturk_assignment_id = 'TURKASSIGN1'",
    );
    expect(stored).toEqual({ s: 2, n: 48 });
    await ctx.close();
  });
});
