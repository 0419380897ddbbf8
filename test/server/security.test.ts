import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClassDef } from '../../src/classes/index.ts';
import { sha256Hex } from '../../src/core/index.ts';
import { redactUrl } from '../../src/core/redact.ts';
import { buildApp, escapeHtml, html, inviteLabellers } from '../../src/server/index.ts';
import { buildFixture, type Fixture } from './fixture.ts';
import { Client, hidden, imageTokens, imageUrls } from './client.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';

const EVIL = '<script>alert("xss")</script>';
const EVIL_CLASSES: ClassDef[] = [
  {
    index: 0,
    id: 'evil"><img src=x onerror=alert(1)>',
    names: [EVIL, 'cat & "mouse"'],
    definition: '<img src=x onerror="alert(2)"> a gloss',
    urls: ['javascript:alert(3)', 'https://en.wikipedia.org/wiki/X"onmouseover="alert(4)'],
    hypernyms: [],
    similar: [],
  },
  { index: 1, id: 'plain', names: ['plain'], definition: 'plain', urls: [], hypernyms: [], similar: [] },
];

let fx: Fixture;
let app: FastifyInstance;

async function labeller(name: string): Promise<{ client: Client; token: string }> {
  const [inv] = await inviteLabellers(workspaceStores(fx.workspace), [name]);
  const client = new Client(app);
  await client.get(`/l/${inv!.token}`);
  return { client, token: inv!.token };
}

beforeEach(async () => {
  fx = await buildFixture({ classes: EVIL_CLASSES, tasksPerClass: 1, assignmentsWanted: 2, candidates: 6, controls: 1 });
  app = await buildApp({ workspace: fx.workspace, stores: workspaceStores(fx.workspace), adminToken: 'admin-secret-token', minAnswers: 1 });
});
afterEach(async () => {
  await app.close();
  await fx.close();
});

describe('escaping', () => {
  it('escapes every interpolation of the html template', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
    expect(html`<p title="${'"><b>'}">${EVIL}</p>`.value).toBe('<p title="&quot;&gt;&lt;b&gt;">&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;</p>');
    expect(html`<ul>${['<i>', html`<b>ok</b>`]}</ul>`.value).toBe('<ul>&lt;i&gt;<b>ok</b></ul>');
  });

  it('escapes a class name, gloss and URLs containing markup on the task page', async () => {
    const { client } = await labeller('alice');
    const page = await client.get('/label');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(EVIL);
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
    expect(page.body).toContain('cat &amp; &quot;mouse&quot;');
    // javascript: URLs are dropped; an http URL with a quote stays inside its attribute.
    expect(page.body).not.toContain('javascript:');
    expect(page.body).not.toMatch(/"\s*onmouseover=/);
    // The only scripts are our own file.
    expect([...page.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script src="/assets/label.js" defer>']);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('escapes the class name on the dashboard and the review page', async () => {
    const admin = new Client(app, { authorization: 'Bearer admin-secret-token' });
    for (const url of ['/admin', '/admin/class/0']) {
      const res = await admin.get(url);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(EVIL);
      expect(res.body).not.toContain('<img src=x');
      expect(res.body).toContain('&lt;script&gt;');
    }
  });
});

describe('path traversal', () => {
  const attempts = [
    '/img/..%2F..%2F..%2Fetc%2Fpasswd/AAAAAAAAAAAAAAAAAAAAAA',
    '/img/../../etc/passwd',
    '/img/%2e%2e/%2e%2e%2fworkspace.db',
    '/img/x/..%2F..%2Fworkspace.db',
    '/assets/..%2Fapp.ts',
    '/assets/../../package.json',
    '/assets/%2e%2e%2fserve.ts',
    '/admin/image/..%2F..%2Fworkspace.db',
    '/admin/image/..%2Fretest.json',
  ];
  it('never serves a file outside the images it was given, for labellers or admins', async () => {
    const { client } = await labeller('alice');
    client.headers.authorization = 'Bearer admin-secret-token';
    for (const url of attempts) {
      const res = await client.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toMatch(/root:|SQLite format|"classSource"|import /);
    }
  });

  it('refuses an image token of another assignment and of a lapsed or unknown scope', async () => {
    const a = await labeller('alice');
    const b = await labeller('bob');
    const pa = await a.client.get('/label');
    const pb = await b.client.get('/label');
    const tokenA = imageTokens(pa.body)[0]!;
    const scopeB = hidden(pb.body, 'assignment');
    expect((await b.client.get(`/img/${scopeB}/${tokenA}`)).statusCode).toBe(404);
    expect((await b.client.get(`/img/p.${'x'.repeat(10)}.${'A'.repeat(22)}/${tokenA}`)).statusCode).toBe(404);
    expect((await b.client.get(imageUrls(pb.body)[0]!)).statusCode).toBe(200);
  });
});

describe('token scope', () => {
  it('refuses labeller tokens on admin routes (cookie or Bearer) and anonymous requests', async () => {
    const { client, token } = await labeller('alice');
    for (const url of ['/admin', '/admin/api/summary', '/admin/class/0', `/admin/image/${fx.images[0]!.id}`]) {
      expect((await client.get(url)).statusCode, url).toBe(403);
      expect((await app.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode, url).toBe(403);
      expect((await app.inject({ url })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: { authorization: 'Bearer wrong-token' } })).statusCode, url).toBe(401);
    }
    const post = await client.post('/admin/workers/status', { worker: 'a'.repeat(64), status: 'rejected', _csrf: 'x' });
    expect(post.statusCode).toBe(403);
    expect(await fx.workspace.sql.get('SELECT COUNT(*) AS n FROM label_workers')).toEqual({ n: 0 });
    expect((await app.inject('/admin/login?token=wrong')).statusCode).toBe(401);
  });

  it('does not let the admin token act as a labeller', async () => {
    const admin = new Client(app, { authorization: 'Bearer admin-secret-token' });
    expect((await admin.get('/label')).statusCode).toBe(403);
  });

  it('refuses unknown and revoked invite links', async () => {
    expect((await app.inject('/l/not-a-real-token-at-all-000000')).statusCode).toBe(401);
    const first = (await inviteLabellers(workspaceStores(fx.workspace), ['alice']))[0]!;
    const second = (await inviteLabellers(workspaceStores(fx.workspace), ['alice']))[0]!;
    expect((await app.inject(`/l/${first.token}`)).statusCode).toBe(401);
    expect((await app.inject(`/l/${second.token}`)).statusCode).toBe(303);
    expect(second.workerHash).toBe(first.workerHash);
  });

  it('stores worker ids only as salted hashes and invite tokens only as hashes', async () => {
    const { token } = await labeller('alice');
    const row = (await fx.workspace.sql.get<{ token_sha256: string; worker_hash: string }>("SELECT * FROM server_labellers WHERE name = 'alice'"))!;
    expect(row.token_sha256).toBe(sha256Hex(token));
    expect(JSON.stringify(await fx.workspace.sql.all('SELECT * FROM server_labellers'))).not.toContain(token);
    expect(row.worker_hash).not.toBe(sha256Hex('alice'));
    expect(row.worker_hash).not.toBe(sha256Hex('invite:alice'));
    expect(row.worker_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows no labeller another labeller’s answers', async () => {
    const a = await labeller('alice');
    const b = await labeller('bob');
    const pa = await a.client.get('/label');
    await a.client.post('/label/submit', { assignment: hidden(pa.body, 'assignment'), _csrf: hidden(pa.body, '_csrf'), sel: imageTokens(pa.body) });
    const pb = await b.client.get('/label');
    expect(pb.statusCode).toBe(200);
    expect(pb.body).not.toMatch(/checked/);
    expect(pb.body).not.toContain(hidden(pa.body, 'assignment'));
    // bob's JSON view carries nothing of alice's either.
    const json = await b.client.get('/label', { accept: 'application/json' });
    expect(Object.keys(json.json()).sort()).toEqual(['assignment', 'classIdx', 'csrf', 'expiresAt', 'images', 'names']);
  });

  it('keeps tokens out of request logs', () => {
    expect(redactUrl('/l/abcDEF123_-xyz')).toBe('/l/[token]');
    expect(redactUrl('/admin/login?token=secret&x=1')).toBe('/admin/login?token=[token]&x=1');
    expect(redactUrl('/mturk?assignmentId=A&workerId=W123&hitId=H')).toBe('/mturk?assignmentId=A&workerId=[worker]&hitId=H');
  });
});

describe('CSRF', () => {
  it('refuses labeller submissions without or with a wrong CSRF token, and cross-site posts', async () => {
    const { client } = await labeller('alice');
    const page = await client.get('/label');
    const assignment = hidden(page.body, 'assignment');
    expect((await client.post('/label/submit', { assignment, sel: [] })).statusCode).toBe(403);
    expect((await client.post('/label/submit', { assignment, _csrf: 'A'.repeat(22), sel: [] })).statusCode).toBe(403);
    const cross = await client.post('/label/submit', { assignment, _csrf: hidden(page.body, '_csrf'), sel: [] }, { origin: 'https://evil.example' });
    expect(cross.statusCode).toBe(403);
    expect(await fx.workspace.sql.get('SELECT COUNT(*) AS n FROM answers')).toEqual({ n: 0 });
    const ok = await client.post(
      '/label/submit',
      { assignment, _csrf: hidden(page.body, '_csrf'), sel: [] },
      { origin: 'http://localhost:80', host: 'localhost:80' },
    );
    expect(ok.statusCode).toBe(303);
  });

  it('refuses admin form posts without the CSRF token, even with the admin cookie', async () => {
    const admin = new Client(app);
    await admin.get('/admin/login?token=admin-secret-token');
    expect(admin.cookies.get('retest_admin')).toBe('admin-secret-token');
    const image = fx.images[0]!.id;
    expect((await admin.post('/admin/blacklist', { image, reason: 'x' })).statusCode).toBe(403);
    expect((await admin.post('/admin/workers/status', { worker: 'a'.repeat(64), status: 'rejected', _csrf: 'nope' })).statusCode).toBe(403);
    expect(await fx.workspace.sql.get('SELECT COUNT(*) AS n FROM blacklist')).toEqual({ n: 0 });
    const dash = await admin.get('/admin');
    expect((await admin.post('/admin/blacklist', { image, reason: 'x', _csrf: hidden(dash.body, '_csrf') })).statusCode).toBe(303);
  });

  it('sets the session cookies HttpOnly with SameSite', async () => {
    const [inv] = await inviteLabellers(workspaceStores(fx.workspace), ['carol']);
    const l = await app.inject(`/l/${inv!.token}`);
    expect(String(l.headers['set-cookie'])).toMatch(/retest_labeller=.*HttpOnly.*SameSite=Lax/);
    const a = await app.inject('/admin/login?token=admin-secret-token');
    expect(String(a.headers['set-cookie'])).toMatch(/retest_admin=.*Path=\/admin.*HttpOnly.*SameSite=Strict/);
  });
});

describe('rate limits', () => {
  it('limits requests per token, not per address', async () => {
    await app.close();
    app = await buildApp({ workspace: fx.workspace, stores: workspaceStores(fx.workspace), adminToken: 'admin-secret-token', rateLimitPerMinute: 5 });
    const a = await labeller('alice');
    const b = await labeller('bob');
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await a.client.get('/label')).statusCode);
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.slice(5)).toEqual([429, 429]);
    expect((await b.client.get('/label')).statusCode).toBe(200);
  });
});
