/**
 * No anonymous crowd answers: MTurk mode is off unless the builder turns it on for a batch; when
 * on, only the HITs published for it are served (tasks of that batch only), requests are limited
 * per client address too, and no task image reaches a preview without a valid HIT. Plus the
 * neighbouring hardening: a JSON `sel` that is not a list is refused, image links end with the
 * assignment (submitted, lapsed, revoked), unknown labeller names and bad addresses are errors.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemRole } from '../../src/label/index.ts';
import { buildApp, disableMturk, enableMturk, inviteLabellers, mturkStatus, revokeLabellers } from '../../src/server/index.ts';
import { rejection } from '../helpers/errors.ts';
import { REPO_ROOT } from '../helpers/shared.ts';
import { Client, hidden, imageTokens, imageUrls } from './client.ts';
import { buildFixture, type Fixture } from './fixture.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';

const BIN = join(REPO_ROOT, 'bin', 'retest.js');
let fx: Fixture;
let app: FastifyInstance;
let clock: Date;

const q = (o: Record<string, string>) => `/mturk?${new URLSearchParams(o).toString()}`;
const SANDBOX = 'https://workersandbox.mturk.com';
const accepted = (assignmentId: string, workerId: string, hitId = 'HIT1') => q({ assignmentId, hitId, workerId, turkSubmitTo: SANDBOX });
const count = async (sql: string) => (await fx.workspace.sql.get<{ n: number }>(sql))!.n;

async function start(options: { rateLimitPerMinute?: number } = {}) {
  app = await buildApp({
    workspace: fx.workspace,
    stores: workspaceStores(fx.workspace),
    adminToken: 'admin-secret-token',
    minAnswers: 1,
    now: () => clock,
    ...options,
  });
}

beforeEach(async () => {
  fx = await buildFixture({ tasksPerClass: 2, assignmentsWanted: 2 });
  clock = new Date('2026-01-01T12:00:00Z');
});
afterEach(async () => {
  await app?.close();
  await fx.close();
});

describe('MTurk mode is off unless turned on for a batch', () => {
  it('answers nothing with it off: no task, no assignment, no answer, no images', async () => {
    await start();
    const page = await app.inject(accepted('ASGN1', 'ANYONE'));
    expect(page.statusCode).toBe(404);
    expect(page.body).toMatch(/MTurk mode is off/);
    expect(imageTokens(page.body)).toEqual([]);
    const preview = await app.inject(q({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE', hitId: 'HIT1' }));
    expect(preview.statusCode).toBe(404);
    expect(imageUrls(preview.body)).toEqual([]);
    const submit = await app.inject({
      method: 'POST',
      url: '/mturk/submit',
      payload: 'assignment=x&mturkAssignmentId=ASGN1&_csrf=y&sel=z',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(submit.statusCode).toBe(403);
    expect(await count('SELECT COUNT(*) AS n FROM assignments')).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM answers')).toBe(0);
  });

  it('when on, serves only published HITs: an invented HIT gets nothing, neither a task nor a preview', async () => {
    await enableMturk(workspaceStores(fx.workspace), { batch: 'fixture', hitIds: ['HIT1', 'HIT2'] });
    await start();
    for (const url of [
      accepted('ASGN1', 'W1', 'FORGED'),
      q({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE', hitId: 'FORGED' }),
      q({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE' }),
    ]) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(403);
      expect(imageUrls(res.body), url).toEqual([]);
    }
    expect(await count('SELECT COUNT(*) AS n FROM assignments')).toBe(0);
    const preview = await app.inject(q({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE', hitId: 'HIT2' }));
    expect(preview.statusCode).toBe(200);
    expect(imageTokens(preview.body)).toHaveLength(48);
    const img = imageUrls(preview.body)[0]!;
    expect((await app.inject(img)).statusCode).toBe(200);
    // Turned off again: the preview's image links stop working too.
    await disableMturk(workspaceStores(fx.workspace), { batch: 'fixture' });
    expect((await app.inject(img)).statusCode).toBe(404);
    expect((await app.inject(q({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE', hitId: 'HIT2' }))).statusCode).toBe(404);
  });

  it('gives MTurk workers tasks of the published batch only, and keeps an assignment on its HIT', async () => {
    // A second batch the builder did not publish.
    const db = fx.workspace.sql;
    const firstItems = await db.all<{ image_id: string; role: ItemRole }>('SELECT image_id, role FROM task_items WHERE task_id = ? ORDER BY position', [
      fx.tasks[0]!,
    ]);
    await workspaceStores(fx.workspace).label.addTasks([
      {
        id: randomBytes(8).toString('hex'),
        seq: -1,
        classIdx: 0,
        kind: 'main',
        assignmentsWanted: 5,
        batch: 'unpublished',
        createdAt: new Date().toISOString(),
        items: firstItems.map((item) => ({ imageId: item.image_id, role: item.role, token: randomBytes(16).toString('base64url') })),
      },
    ]);
    await enableMturk(workspaceStores(fx.workspace), { batch: 'fixture', hitIds: ['HIT1', 'HIT2'] });
    await start();
    for (let w = 0; w < 4; w++) expect((await app.inject(accepted(`ASGN${w}`, `WORKER${w}`))).statusCode).toBe(200);
    const batches = await db.all('SELECT DISTINCT t.batch FROM assignments a JOIN tasks t ON t.id = a.task_id');
    expect(batches).toEqual([{ batch: 'fixture' }]);
    // The same MTurk assignment under another HIT is refused.
    expect((await app.inject(accepted('ASGN0', 'WORKER0', 'HIT2'))).statusCode).toBe(403);
    expect((await app.inject(accepted('ASGN0', 'WORKER0', 'HIT1'))).statusCode).toBe(200);
  });

  it('limits requests per client address, whatever workerId they claim', async () => {
    await enableMturk(workspaceStores(fx.workspace), { batch: 'fixture', hitIds: ['HIT1'] });
    await start({ rateLimitPerMinute: 5 });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await app.inject(accepted(`ASGN${i}`, `INVENTED${i}`))).statusCode);
    expect(codes.slice(0, 5).every((c) => c !== 429)).toBe(true);
    expect(codes.slice(5)).toEqual([429, 429, 429]);
    // Another address still gets through.
    expect((await app.inject({ url: accepted('ASGN9', 'W9'), remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
  });

  it('is switched from the command line: enable with a HIT file, status, disable', async () => {
    await fx.close();
    const hits = join(fx.dir, 'hits.csv');
    writeFileSync(hits, 'HITId,HITTypeId\nHITA,T\nHITB,T\n');
    const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--workspace', fx.workspace.dir], { encoding: 'utf8' });
    const on = cli(['mturk', 'enable', '--hits', hits, '--json']);
    expect(on.status).toBe(0);
    expect(JSON.parse(on.stdout)).toEqual({ batch: 'fixture', added: 2, hits: 2 });
    const status = JSON.parse(cli(['mturk', 'status', '--json']).stdout) as { batches: { batch: string; enabled: boolean; hits: number }[] };
    expect(status.batches).toMatchObject([{ batch: 'fixture', enabled: true, hits: 2 }]);
    expect(cli(['mturk', 'enable', '--batch', 'nope', '--hit', 'HITC']).status).toBe(2);
    expect(cli(['mturk', 'disable']).status).toBe(0);
    expect(JSON.parse(cli(['mturk', 'status', '--json']).stdout).batches[0].enabled).toBe(false);
    fx = { ...fx, close: async () => {} };
  });
});

describe('hardening of the labeller routes', () => {
  async function labeller(name: string): Promise<Client> {
    const [inv] = await inviteLabellers(workspaceStores(fx.workspace), [name]);
    const c = new Client(app);
    await c.get(`/l/${inv!.token}`);
    return c;
  }

  it('refuses a JSON submission whose sel is not a list of tokens (nothing stored)', async () => {
    await start();
    const c = await labeller('alice');
    const page = await c.get('/label');
    const assignment = hidden(page.body, 'assignment');
    const csrf = hidden(page.body, '_csrf');
    for (const sel of [5, { a: 1 }, [1, 2], null, [imageTokens(page.body)[0], 7]]) {
      const res = await app.inject({
        method: 'POST',
        url: '/label/submit',
        payload: JSON.stringify({ assignment, _csrf: csrf, sel }),
        headers: { 'content-type': 'application/json', accept: 'application/json', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      expect(res.statusCode, JSON.stringify(sel)).toBe(400);
      expect(res.json().message).toBe('sel must be a list of image tokens.');
    }
    expect(await count('SELECT COUNT(*) AS n FROM answers')).toBe(0);
    // A real list still works.
    const ok = await app.inject({
      method: 'POST',
      url: '/label/submit',
      payload: JSON.stringify({ assignment, _csrf: csrf, sel: imageTokens(page.body).slice(0, 2) }),
      headers: { 'content-type': 'application/json', accept: 'application/json', cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(ok.json()).toMatchObject({ ok: true, selected: 2 });
  });

  it('ends image links with the assignment: revoked, lapsed or submitted', async () => {
    await start();
    const a = await labeller('alice');
    const pa = await a.get('/label');
    const urlA = imageUrls(pa.body)[0]!;
    expect((await app.inject(urlA)).statusCode).toBe(200);
    expect(await revokeLabellers(workspaceStores(fx.workspace), ['alice'])).toBe(1);
    expect((await app.inject(urlA)).statusCode).toBe(404);
    // The revoked labeller's claim went back to the pool.
    expect(await count("SELECT COUNT(*) AS n FROM assignments WHERE status = 'open'")).toBe(0);

    const b = await labeller('bob');
    const pb = await b.get('/label');
    const urlB = imageUrls(pb.body)[0]!;
    clock = new Date(clock.getTime() + 601_000); // past the 600-s claim
    expect((await app.inject(urlB)).statusCode).toBe(404);

    const c = await labeller('carol');
    const pc = await c.get('/label');
    const urlC = imageUrls(pc.body)[0]!;
    expect((await app.inject(urlC)).statusCode).toBe(200);
    await c.post('/label/submit', { assignment: hidden(pc.body, 'assignment'), _csrf: hidden(pc.body, '_csrf'), sel: [] });
    expect((await app.inject(urlC)).statusCode).toBe(404);
  });

  it('refuses to revoke a name that was never invited (nothing revoked)', async () => {
    await inviteLabellers(workspaceStores(fx.workspace), ['alice']);
    const error = await rejection(revokeLabellers(workspaceStores(fx.workspace), ['alice', 'mallory']));
    expect([error.kind, error.received]).toEqual(['usage', 'mallory']);
    expect(error.expected).toContain('alice');
    expect((await mturkStatus(workspaceStores(fx.workspace)))[0]!.batch).toBe('fixture');
    expect(
      (await fx.workspace.sql.get<{ revoked_at: string | null }>('SELECT revoked_at FROM server_labellers WHERE name = ?', ['alice']))!.revoked_at,
    ).toBeNull();
  });
});

describe('bad values on the command line', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

  it.each([
    [['serve', '--host', '999.1.1.1', '--port', '0'], /--host is not an address/],
    [['serve', '--public-url', 'notaurl', '--port', '0'], /--public-url must be an http\(s\) URL/],
    [['serve', '--mturk-origin', 'notaurl', '--port', '0'], /--mturk-origin must be an https origin/],
    [['labellers', 'invite', 'dave', '--url', 'notaurl'], /--url must be an http\(s\) URL/],
    [['labellers', 'revoke', 'nobody-invited'], /no labeller named "nobody-invited" was invited/],
    [['tasks', 'create', '--classes', '99'], /class 99 is not in the workspace/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    await fx.close();
    const r = cli([...args, '--workspace', fx.workspace.dir]);
    expect(r.stderr).not.toMatch(/bug/);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
