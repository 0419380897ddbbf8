/// <reference lib="dom" />
/**
 * A submission refused by a busy server (503 + Retry-After from the fair queue) is sent again by
 * the task page itself, in a real browser: the labeller's answer is stored once, and the page goes
 * on to the next task as after any submission.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceStores } from '../../src/app/workspace-stores.ts';
import { buildApp, inviteLabellers } from '../../src/server/index.ts';
import { buildFixture, type Fixture } from '../server/fixture.ts';
import { HAS_CHROMIUM, launchChromium } from './server-browser.ts';

if (!HAS_CHROMIUM) console.warn('[skip] label retry browser test: no chromium (set RETEST_CHROMIUM)');

let fx: Fixture;
let app: FastifyInstance;
let base: string;
let browser: Browser;

describe.skipIf(!HAS_CHROMIUM)('the task page under a busy server', () => {
  beforeAll(async () => {
    fx = await buildFixture({ tasksPerClass: 1, assignmentsWanted: 2, candidates: 6, controls: 1 });
    // One request at a time; a submission is refused after 150 ms of waiting.
    app = await buildApp({
      workspace: fx.workspace,
      stores: workspaceStores(fx.workspace),
      adminToken: 'retry-admin-token',
      queue: { concurrency: 1, pageDeadlineMs: 150, submitDeadlineMs: 150 },
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fx?.close();
  });

  it('sends a refused submission again after Retry-After, stores it once, and moves on to the next task', async () => {
    const [alice] = await inviteLabellers(workspaceStores(fx.workspace), ['alice']);
    const page = await (await browser.newContext()).newPage();
    const statuses: number[] = [];
    page.on('response', (res) => {
      if (res.url().endsWith('/label/submit')) statuses.push(res.status());
    });
    await page.goto(`${base}/l/${alice!.token}`);
    await expect.poll(() => page.url()).toBe(`${base}/label`);
    const assignment = await page.locator('input[name="assignment"]').getAttribute('value');
    await page.locator('input[name="sel"]').nth(1).check();

    // Another request holds the only slot: the submission waits 150 ms and is refused.
    const held = await app.retest.context.queue.enter('submit', Number.POSITIVE_INFINITY);
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => page.locator('#submit-status').textContent(), { timeout: 5000 }).toMatch(/sending your answer again in 2 s/);
    expect(statuses).toEqual([503]);
    expect(await page.getByRole('button', { name: 'Submit' }).isDisabled()).toBe(true); // no second click meanwhile
    expect(page.url()).toBe(`${base}/label`); // still on the task: the selection is kept
    held!();

    // The page sends it again by itself and goes on as after any submission.
    await expect.poll(() => page.url(), { timeout: 10_000 }).toBe(`${base}/label?notice=done`);
    expect(statuses).toEqual([503, 200]);
    const stored = await fx.workspace.sql.all<{ id: string; status: string; selected: number }>(
      `SELECT a.id, a.status, SUM(an.selected) AS selected FROM assignments a JOIN answers an ON an.assignment_id = a.id
       WHERE a.status IN ('submitted', 'approved') GROUP BY a.id, a.status`,
    );
    expect(stored).toEqual([{ id: assignment, status: 'submitted', selected: 1 }]);
    expect(app.retest.context.queue.shed).toBe(1);
  });
});
