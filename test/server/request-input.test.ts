/**
 * Malformed request bodies and query strings, route by route: each is refused by its schema
 * (src/server/request-input.ts) through the server's one error mapping — 400, the JSON error shape
 * with every problem in `issues` (or the HTML message page for a form post) — and nothing is stored.
 * Wrong types, missing fields and unknown body fields are refused; unknown query parameters are
 * ignored (links made by MTurk carry their own).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceStores } from '../../src/app/workspace-stores.ts';
import { buildApp, enableMturk, inviteLabellers } from '../../src/server/index.ts';
import { Client, hidden, imageTokens } from './client.ts';
import { buildFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
let app: FastifyInstance;
let alice: Client;
let adm: Client;

beforeAll(async () => {
  fx = await buildFixture({ tasksPerClass: 2, assignmentsWanted: 2 });
  app = await buildApp({ workspace: fx.workspace, stores: workspaceStores(fx.workspace), adminToken: 'admin-secret-token', minAnswers: 1 });
  await enableMturk(workspaceStores(fx.workspace), { batch: 'fixture', hitIds: ['HIT1'] });
  const [inv] = await inviteLabellers(workspaceStores(fx.workspace), ['alice']);
  alice = new Client(app);
  await alice.get(`/l/${inv!.token}`);
  adm = new Client(app);
  await adm.get('/admin/login?token=admin-secret-token');
});
afterAll(async () => {
  await app.close();
  await fx.close();
});

const answers = async () => (await fx.workspace.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM answers'))!.n;
const cookie = (c: Client) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** Posts JSON as `who`, asking for JSON. */
function postJson(who: Client, url: string, body: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json', cookie: cookie(who) },
  });
}

/** GETs as `who`, asking for JSON. */
function getJson(who: Client | null, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: { accept: 'application/json', ...(who ? { cookie: cookie(who) } : {}) } });
}

/** The refusal's status, message and problems (path: message). */
function refusal(res: LightMyRequestResponse) {
  const body = res.json() as {
    error: string;
    status: number;
    message: string;
    issues?: { path: string; message: string; expected?: string; received?: string }[];
  };
  return { status: res.statusCode, error: body.error, message: body.message, issues: (body.issues ?? []).map((i) => `${i.path}: ${i.message}`) };
}

const SANDBOX = 'https://workersandbox.mturk.com';
const IDS = 'assignmentId, hitId and workerId must be MTurk ids (letters, digits, _ and -).';

describe('labeller routes', () => {
  it('POST /label/submit: a sel that is not a list, a missing or repeated assignment, unknown fields → 400 with every problem; nothing stored', async () => {
    const page = await alice.get('/label');
    const assignment = hidden(page.body, 'assignment');
    const _csrf = hidden(page.body, '_csrf');
    expect(refusal(await postJson(alice, '/label/submit', { assignment, _csrf, sel: 5 }))).toEqual({
      status: 400,
      error: 'usage',
      message: 'sel must be a list of image tokens.',
      issues: ['sel: expected string or array'],
    });
    expect(refusal(await postJson(alice, '/label/submit', { assignment, _csrf, sel: ['a', 7] })).issues).toEqual([
      'sel[1]: Invalid input: expected string, received number',
    ]);
    expect(refusal(await postJson(alice, '/label/submit', { _csrf, sel: [] }))).toEqual({
      status: 400,
      error: 'usage',
      message: 'The form must name one task (assignment): reload the page.',
      issues: ['assignment: Invalid input: expected string, received undefined'],
    });
    expect(refusal(await postJson(alice, '/label/submit', { assignment, _csrf, sel: [], admin: true, x: 1 }))).toEqual({
      status: 400,
      error: 'usage',
      message: '2 problems in the submission: admin: unknown field',
      issues: ['admin: unknown field', 'x: unknown field'],
    });
    // A form post gets the message page.
    const form = await alice.post('/label/submit', { assignment: [assignment, assignment], _csrf, sel: imageTokens(page.body).slice(0, 1) });
    expect(form.statusCode).toBe(400);
    expect(form.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(form.body).toContain('<p>The form must name one task (assignment): reload the page.</p>');
    expect(await answers()).toBe(0);
  });

  it('GET /label: a repeated notice → 400; an unknown parameter is ignored', async () => {
    expect(refusal(await getJson(alice, '/label?notice=done&notice=expired'))).toEqual({
      status: 400,
      error: 'usage',
      message: "a problem in the task page's query: notice: Invalid input: expected string, received array",
      issues: ['notice: Invalid input: expected string, received array'],
    });
    const ok = await alice.get('/label?notice=done&utm_source=mail');
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Thank you, your answer was saved');
  });

  it('checks who asks before what they sent: an anonymous malformed submission is 401', async () => {
    expect((await postJson(new Client(app), '/label/submit', { sel: 5 })).statusCode).toBe(401);
  });
});

describe('MTurk routes', () => {
  const page = (o: Record<string, string>) => `/mturk?${new URLSearchParams(o).toString()}`;

  it('GET /mturk: a missing or malformed workerId, a repeated hitId → 400 naming the parameter', async () => {
    expect(refusal(await getJson(null, page({ assignmentId: 'A1', hitId: 'HIT1', turkSubmitTo: SANDBOX })))).toEqual({
      status: 400,
      error: 'usage',
      message: IDS,
      issues: ['workerId: Invalid input: expected string, received undefined'],
    });
    expect(refusal(await getJson(null, page({ assignmentId: 'A1', hitId: 'HIT1', workerId: 'bad id', turkSubmitTo: SANDBOX }))).issues).toEqual([
      'workerId: Invalid string: must match pattern /^[A-Za-z0-9_-]{1,128}$/',
    ]);
    expect(refusal(await getJson(null, '/mturk?hitId=HIT1&hitId=HIT2'))).toEqual({
      status: 400,
      error: 'usage',
      message: "a problem in the MTurk page's query: hitId: Invalid input: expected string, received array",
      issues: ['hitId: Invalid input: expected string, received array'],
    });
    expect(await fx.workspace.sql.get('SELECT COUNT(*) AS n FROM server_mturk')).toEqual({ n: 0 });
  });

  it("GET /mturk: MTurk's other parameters are ignored (the preview still shows)", async () => {
    const res = await app.inject(page({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE', hitId: 'HIT1', extra: 'x' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Preview: accept the HIT');
  });

  it('POST /mturk/submit: a missing MTurk assignment, a bad sel, unknown fields → 400', async () => {
    expect(refusal(await postJson(alice, '/mturk/submit', { assignment: 'a1', sel: [] }))).toEqual({
      status: 400,
      error: 'usage',
      message: 'The form must name one assignment and its MTurk assignment: reload the HIT.',
      issues: ['mturkAssignmentId: Invalid input: expected string, received undefined'],
    });
    expect(refusal(await postJson(alice, '/mturk/submit', { assignment: 'a1', mturkAssignmentId: 'M1', sel: { a: 1 } })).message).toBe(
      'sel must be a list of image tokens.',
    );
    expect(refusal(await postJson(alice, '/mturk/submit', { assignment: 'a1', mturkAssignmentId: 'M1', workerId: 'W1' })).issues).toEqual([
      'workerId: unknown field',
    ]);
    expect(await answers()).toBe(0);
  });
});

describe('admin routes', () => {
  it('POST /admin/workers/status: a status that is not approved/rejected, a missing worker, unknown fields → 400', async () => {
    expect(refusal(await postJson(adm, '/admin/workers/status', { worker: 'a'.repeat(64), status: 'maybe' }))).toEqual({
      status: 400,
      error: 'usage',
      message: 'Give a worker hash and a status (approved or rejected).',
      issues: ['status: Invalid option: expected one of "approved"|"rejected"'],
    });
    expect(refusal(await postJson(adm, '/admin/workers/status', { status: 'approved' })).issues).toEqual([
      'worker: Invalid input: expected string, received undefined',
    ]);
    expect(refusal(await postJson(adm, '/admin/workers/status', { worker: 'a'.repeat(64), status: 'approved', note: 'x' })).issues).toEqual([
      'note: unknown field',
    ]);
  });

  it('POST /admin/blacklist: an empty (blank) or too long reason, a bad back, as a form → the message page', async () => {
    expect(refusal(await postJson(adm, '/admin/blacklist', { image: 'x', reason: '   ', back: 'elsewhere' }))).toEqual({
      status: 400,
      error: 'usage',
      message: 'Give an image id and a reason (at most 500 characters).',
      issues: ['reason: Too small: expected string to have >=1 characters', 'back: Invalid input: expected "class"'],
    });
    const dash = await adm.get('/admin');
    const form = await adm.post('/admin/blacklist', { _csrf: hidden(dash.body, '_csrf'), image: fx.images[0]!.id, reason: 'r'.repeat(501) });
    expect(form.statusCode).toBe(400);
    expect(form.body).toContain('<p>Give an image id and a reason (at most 500 characters).</p>');
    expect(await fx.workspace.sql.get('SELECT COUNT(*) AS n FROM blacklist')).toEqual({ n: 0 });
  });

  it('GET /admin/login and /admin: repeated parameters → 400', async () => {
    expect(refusal(await getJson(null, '/admin/login?token=a&token=b'))).toEqual({
      status: 400,
      error: 'usage',
      message: 'a problem in the sign-in link: token: Invalid input: expected string, received array',
      issues: ['token: Invalid input: expected string, received array'],
    });
    expect(refusal(await getJson(adm, '/admin?notice=approved&notice=rejected')).issues).toEqual(['notice: Invalid input: expected string, received array']);
  });
});

describe('near-duplicate review routes', () => {
  it('POST /admin/dedup/decide: a missing id and an unknown decision → 400 listing both; unknown fields → 400', async () => {
    expect(refusal(await postJson(adm, '/admin/dedup/decide', { decision: 'maybe', neighbourSet: 'workspace', neighbourId: 'n' }))).toEqual({
      status: 400,
      error: 'usage',
      message: '2 problems in the decision: candidateId: Invalid input: expected string, received undefined',
      issues: ['candidateId: Invalid input: expected string, received undefined', 'decision: Invalid option: expected one of "duplicate"|"not_duplicate"'],
    });
    const junk = { candidateId: 'c', neighbourSet: 'workspace', neighbourId: 'n', decision: 'duplicate', reviewer: 'mallory' };
    expect(refusal(await postJson(adm, '/admin/dedup/decide', junk)).issues).toEqual(['reviewer: unknown field']);
  });

  it('GET /admin/dedup/: an offset or limit that is not a whole number in range → 400; GET image with a repeated path → 400', async () => {
    expect(refusal(await getJson(adm, '/admin/dedup/?offset=-1&limit=501'))).toEqual({
      status: 400,
      error: 'usage',
      message: "2 problems in the review page's query: offset: expected a whole number",
      issues: ['offset: expected a whole number', 'limit: Too big: expected number to be <=500'],
    });
    expect(refusal(await getJson(adm, '/admin/dedup/?limit=ten')).issues).toEqual(['limit: expected a whole number']);
    expect((await adm.get('/admin/dedup/?offset=0&limit=20')).statusCode).toBe(200);
    expect(refusal(await getJson(adm, '/admin/dedup/image?path=a&path=b')).issues).toEqual(['path: Invalid input: expected string, received array']);
  });
});
