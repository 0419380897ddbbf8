import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imageInfo } from '../../src/formats/image-io.ts';
import { buildApp, enableMturk, inviteLabellers } from '../../src/server/index.ts';
import { buildFixture, type Fixture } from './fixture.ts';
import { Client, hidden, imageTokens, imageUrls } from './client.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';

let fx: Fixture;
let app: FastifyInstance;
let clock: Date;

async function labeller(name: string): Promise<Client> {
  const [inv] = await inviteLabellers(workspaceStores(fx.workspace), [name]);
  const c = new Client(app);
  const res = await c.get(`/l/${inv!.token}`);
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe('/label');
  return c;
}

async function admin(): Promise<Client> {
  const c = new Client(app);
  const res = await c.get('/admin/login?token=admin-secret-token');
  expect(res.statusCode).toBe(303);
  return c;
}

/** Opens the next task and submits it selecting the items `pick` chooses; returns the page and assignment. */
async function answer(c: Client, pick: (token: string, i: number) => boolean) {
  const page = await c.get('/label');
  expect(page.statusCode).toBe(200);
  const tokens = imageTokens(page.body);
  const assignment = hidden(page.body, 'assignment');
  const res = await c.post('/label/submit', { assignment, _csrf: hidden(page.body, '_csrf'), sel: tokens.filter(pick) });
  return { page, res, assignment, tokens };
}

beforeEach(async () => {
  fx = await buildFixture({ tasksPerClass: 2, assignmentsWanted: 2 });
  clock = new Date('2026-01-01T12:00:00Z');
  app = await buildApp({ workspace: fx.workspace, stores: workspaceStores(fx.workspace), adminToken: 'admin-secret-token', minAnswers: 1, now: () => clock });
});
afterEach(async () => {
  await app.close();
  await fx.close();
});

describe('server basics', () => {
  it('answers /health with ok', async () => {
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('serves the stylesheet and the page script from the app itself (no CDN)', async () => {
    const css = await app.inject('/assets/app.css');
    expect(css.statusCode).toBe(200);
    expect(css.body).toContain('grid-template-columns: repeat(3');
    expect(css.body).toMatch(/@media \(max-width: 900px\) \{ \.grid \{ grid-template-columns: repeat\(2/);
    expect(css.body).toMatch(/@media \(max-width: 560px\) \{ \.grid \{ grid-template-columns: minmax\(0, 1fr\)/);
    const js = await app.inject('/assets/label.js');
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('ArrowDown');
  });
});

describe('labeller flow', () => {
  it('shows the task page of DESIGN §1.3 with 48 opaque images', async () => {
    const c = await labeller('alice');
    const page = await c.get('/label');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain(
      'Which of these images contain at least one object of type <strong class="lemma">dog</strong> or <strong class="lemma">domestic dog</strong> or <strong class="lemma">Canis familiaris</strong>?',
    );
    expect(page.body).toContain('a member of the genus Canis');
    expect(page.body).toContain('href="https://en.wikipedia.org/wiki/Dog"');
    expect(page.body).toContain('regardless of occlusion');
    expect(page.body).toContain('photographs only');
    const tokens = imageTokens(page.body);
    expect(tokens).toHaveLength(48);
    const assignment = hidden(page.body, 'assignment');
    expect(imageUrls(page.body)).toEqual(tokens.map((t) => `/img/${assignment}/${t}`));
    // No image id, item token or role appears anywhere in the page.
    for (const img of fx.images) expect(page.body).not.toContain(img.id);
    const itemTokens = await fx.workspace.sql.all<{ token: string }>('SELECT token FROM task_items');
    for (const t of itemTokens) expect(page.body).not.toContain(t.token);
    expect(page.body).not.toMatch(/positive|negative|candidate|control/i);
  });

  it('serves every image as the same-size JPEG with private cache headers, candidates and controls alike', async () => {
    const c = await labeller('alice');
    const page = await c.get('/label');
    const urls = imageUrls(page.body);
    const sizes = new Set<string>();
    const headerSets = new Set<string>();
    for (const url of urls) {
      const res = await c.get(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('private, max-age=3600');
      headerSets.add(
        JSON.stringify(
          Object.keys(res.headers)
            .filter((h) => !['content-length', 'date', 'x-ratelimit-remaining', 'x-ratelimit-reset'].includes(h))
            .sort(),
        ),
      );
      const info = await imageInfo(res.rawPayload);
      sizes.add(`${info.format} ${info.width}x${info.height}`);
    }
    // The fixture's candidates are 500×375 / 375×500 and its controls 64×64: all come out 320×320.
    expect([...sizes]).toEqual(['jpeg 320x320']);
    expect(headerSets.size).toBe(1);
  });

  it('gives two labellers of one task different image URLs and orders', async () => {
    const a = await labeller('alice');
    const b = await labeller('bob');
    const pa = imageTokens((await a.get('/label')).body);
    const pb = imageTokens((await b.get('/label')).body);
    expect(pa).toHaveLength(48);
    expect(pb).toHaveLength(48);
    expect(pa.filter((t) => pb.includes(t))).toEqual([]);
  });

  it('stores a submission, is idempotent on repeat, and moves to the next task', async () => {
    const c = await labeller('alice');
    const first = await answer(c, (_t, i) => i % 3 === 0);
    expect(first.res.statusCode).toBe(303);
    expect(first.res.headers.location).toBe('/label?notice=done');
    const count = () =>
      fx.workspace.sql.get<{ n: number; s: number }>('SELECT COUNT(*) AS n, SUM(selected) AS s FROM answers WHERE assignment_id = ?', [first.assignment]);
    expect(await count()).toEqual({ n: 48, s: 16 });
    // The same form posted again (double click, retry after a lost response): nothing changes.
    const again = await c.post('/label/submit', { assignment: first.assignment, _csrf: hidden(first.page.body, '_csrf'), sel: first.tokens.slice(0, 2) });
    expect(again.statusCode).toBe(303);
    expect(await count()).toEqual({ n: 48, s: 16 });
    const next = await c.get('/label?notice=done');
    expect(next.body).toContain('Thank you, your answer was saved');
    expect(hidden(next.body, 'assignment')).not.toBe(first.assignment);
  });

  it('records exactly the selected images (tokens map back to the right image)', async () => {
    const c = await labeller('alice');
    const page = await c.get('/label');
    const tokens = imageTokens(page.body);
    const assignment = hidden(page.body, 'assignment');
    // Select exactly the images whose thumbnail bytes are those of the three positive controls.
    const positives = new Set(
      (
        await fx.workspace.sql.all<{ image_id: string }>(
          "SELECT ti.image_id FROM task_items ti JOIN assignments a ON a.task_id = ti.task_id WHERE a.id = ? AND ti.role = 'positive'",
          [assignment],
        )
      ).map((r) => r.image_id),
    );
    expect(positives.size).toBe(3);
    // The images as shown while the task is open (image links end with the assignment).
    const shown = new Map<string, Buffer>();
    for (const token of tokens.slice(5, 9)) shown.set(token, (await c.get(`/img/${assignment}/${token}`)).rawPayload);
    await c.post('/label/submit', { assignment, _csrf: hidden(page.body, '_csrf'), sel: tokens.slice(5, 9) });
    const selected = (
      await fx.workspace.sql.all<{ image_id: string }>('SELECT image_id FROM answers WHERE assignment_id = ? AND selected = 1', [assignment])
    ).map((r) => r.image_id);
    expect(selected).toHaveLength(4);
    // Each selected image is served under the token that was selected.
    for (const token of tokens.slice(5, 9)) {
      const served = shown.get(token)!;
      const matches = [];
      for (const id of selected) {
        const admin = await app.inject({ url: `/admin/image/${id}`, headers: { authorization: 'Bearer admin-secret-token' } });
        if (Buffer.compare(admin.rawPayload, served) === 0) matches.push(id);
      }
      expect(matches).toHaveLength(1);
    }
  });

  it('gives each task exactly N answers from distinct workers, then no more', async () => {
    // 4 tasks with N = 2: two labellers answer all four, a third gets nothing.
    const a = await labeller('alice');
    const b = await labeller('bob');
    for (let i = 0; i < 4; i++) {
      expect((await answer(a, () => true)).res.statusCode).toBe(303);
      expect((await answer(b, () => false)).res.statusCode).toBe(303);
    }
    expect((await a.get('/label')).body).toContain('No tasks left');
    const c = await labeller('carol');
    expect((await c.get('/label')).body).toContain('No tasks left');
    const perTask = await fx.workspace.sql.all<{ n: number; w: number }>(
      "SELECT task_id, COUNT(*) AS n, COUNT(DISTINCT worker_hash) AS w FROM assignments WHERE status = 'submitted' GROUP BY task_id",
    );
    expect(perTask).toHaveLength(4);
    for (const t of perTask) expect(t).toEqual({ task_id: expect.any(String), n: 2, w: 2 });
  });

  it('returns an open assignment to the pool after 600 s and refuses its late submission', async () => {
    await app.close();
    await fx.close();
    fx = await buildFixture({ tasksPerClass: 1, assignmentsWanted: 1 });
    app = await buildApp({ workspace: fx.workspace, stores: workspaceStores(fx.workspace), adminToken: 'admin-secret-token', now: () => clock });
    const a = await labeller('alice');
    const b = await labeller('bob');
    const pa = await a.get('/label');
    const first = hidden(pa.body, 'assignment');
    // Both tasks are held now (alice holds one; bob gets the other), a third labeller gets nothing.
    const pb = await b.get('/label');
    expect(hidden(pb.body, 'assignment')).not.toBe(first);
    const c = await labeller('carol');
    expect((await c.get('/label')).body).toContain('No tasks left');
    clock = new Date(clock.getTime() + 599_000);
    expect((await c.get('/label')).body).toContain('No tasks left');
    clock = new Date(clock.getTime() + 2_000);
    const pc = await c.get('/label');
    expect(pc.statusCode).toBe(200);
    expect(imageTokens(pc.body)).toHaveLength(48);
    const late = await a.post('/label/submit', { assignment: first, _csrf: hidden(pa.body, '_csrf'), sel: [] });
    expect(late.statusCode).toBe(303);
    expect(late.headers.location).toBe('/label?notice=expired');
    expect((await fx.workspace.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM answers WHERE assignment_id = ?', [first]))!.n).toBe(0);
  });

  it('refuses a submission for another labeller’s assignment', async () => {
    const a = await labeller('alice');
    const b = await labeller('bob');
    const pa = await a.get('/label');
    const pb = await b.get('/label');
    const res = await b.post('/label/submit', { assignment: hidden(pa.body, 'assignment'), _csrf: hidden(pb.body, '_csrf'), sel: [] });
    expect(res.statusCode).toBe(403); // CSRF token is bound to bob's own assignment
    const forged = await b.post('/label/submit', { assignment: hidden(pa.body, 'assignment'), _csrf: hidden(pa.body, '_csrf'), sel: [] });
    expect(forged.statusCode).toBe(403);
    expect((await fx.workspace.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM answers'))!.n).toBe(0);
  });

  it('refuses tokens that are not in the task', async () => {
    const c = await labeller('alice');
    const page = await c.get('/label');
    const res = await c.post('/label/submit', {
      assignment: hidden(page.body, 'assignment'),
      _csrf: hidden(page.body, '_csrf'),
      sel: ['AAAAAAAAAAAAAAAAAAAAAA'],
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('dashboard', () => {
  it('shows progress and selection-frequency histograms that follow the answers, and rejection removes them', async () => {
    const adm = await admin();
    const before = (await adm.get('/admin/api/summary')).json() as {
      classes: { done: number; needed: number; candidateHistogram: number[]; referenceHistogram: number[] }[];
    };
    expect(before.classes.map((c) => [c.done, c.needed])).toEqual([
      [0, 4],
      [0, 4],
    ]);
    const a = await labeller('alice');
    const b = await labeller('bob');
    // alice selects everything on her first task (class 0), bob nothing on his first (class 0).
    await answer(a, () => true);
    await answer(b, () => false);
    const mid = (await adm.get('/admin/api/summary')).json() as typeof before;
    expect(mid.classes[0]!.done).toBe(2);
    // 42 candidates each answered twice, selected once: frequency 0.5, bin [.4,.6).
    expect(mid.classes[0]!.candidateHistogram).toEqual([0, 0, 42, 0, 0]);
    expect(mid.classes[0]!.referenceHistogram).toEqual([0, 0, 3, 0, 0]);
    const dash = await adm.get('/admin');
    expect(dash.statusCode).toBe(200);
    expect((await adm.get('/admin/')).headers.location).toBe('/admin');
    expect(dash.body).toContain('data-candidates="0,0,42,0,0"');
    expect(dash.body).toContain('<svg class="hist"');
    expect(dash.body).toContain('alice');
    expect(dash.body).toMatch(/data-done="2" data-needed="4"/);
    // Reject alice: her answers leave the frequencies at once.
    const aliceHash = (await fx.workspace.sql.get<{ worker_hash: string }>("SELECT worker_hash FROM server_labellers WHERE name = 'alice'"))!.worker_hash;
    const res = await adm.post('/admin/workers/status', { _csrf: hidden(dash.body, '_csrf'), worker: aliceHash, status: 'rejected' });
    expect(res.statusCode).toBe(303);
    const after = (await adm.get('/admin/api/summary')).json() as typeof before & {
      workers: { workerHash: string; status: string; tasks: number; controlAccuracy: number | null }[];
    };
    expect(after.classes[0]!.candidateHistogram).toEqual([42, 0, 0, 0, 0]);
    expect(after.classes[0]!.done).toBe(1);
    const alice = after.workers.find((w) => w.workerHash === aliceHash)!;
    expect(alice.status).toBe('rejected');
    // alice selected all 3 positives and all 3 negatives: 3 of 6 controls right.
    expect(alice.controlAccuracy).toBeCloseTo(0.5);
    // Computed in the worker thread (off the event loop).
    expect(app.retest.context.dashboard.lastMode).toBe('worker');
    // Approve again: back.
    await adm.post('/admin/workers/status', { _csrf: hidden(dash.body, '_csrf'), worker: aliceHash, status: 'approved' });
    expect(((await adm.get('/admin/api/summary')).json() as typeof before).classes[0]!.candidateHistogram).toEqual([0, 0, 42, 0, 0]);
  });

  it('shows a worker table with tasks, control accuracy and median time', async () => {
    const a = await labeller('alice');
    await a.get('/label');
    clock = new Date(clock.getTime() + 30_000);
    const page = await a.get('/label');
    const positiveSelectedNothing = await a.post('/label/submit', { assignment: hidden(page.body, 'assignment'), _csrf: hidden(page.body, '_csrf'), sel: [] });
    expect(positiveSelectedNothing.statusCode).toBe(303);
    const adm = await admin();
    const dash = await adm.get('/admin');
    // Selected nothing: positives wrong (0/3), negatives right (3/3) → 50.0%; 30 s from claim to submit.
    expect(dash.body).toMatch(/<td class="num">1<\/td>\s*<td class="num">50\.0%<\/td>\s*<td class="num">30 s<\/td>/);
  });

  it('blacklists an image with a reason and shows the per-class review page', async () => {
    const adm = await admin();
    const dash = await adm.get('/admin');
    const candidate = fx.images.find((i) => i.role === 'candidate' && i.classIdx === 0)!.id;
    const res = await adm.post('/admin/blacklist', { _csrf: hidden(dash.body, '_csrf'), image: candidate, reason: 'a drawing, not a photo' });
    expect(res.statusCode).toBe(303);
    expect(await fx.workspace.sql.get('SELECT reason, by FROM blacklist WHERE image_id = ?', [candidate])).toEqual({
      reason: 'a drawing, not a photo',
      by: 'dashboard',
    });
    const review = await adm.get('/admin/class/0');
    expect(review.statusCode).toBe(200);
    expect(review.body).toContain('Reference (original test set)');
    const refs = fx.images
      .filter((i) => i.role === 'reference' && i.classIdx === 0)
      .map((i) => i.id)
      .sort()
      .slice(0, 6);
    for (const id of refs) expect(review.body).toContain(`/admin/image/${id}`);
    expect((await adm.get(`/admin/image/${refs[0]}`)).headers['content-type']).toBe('image/jpeg');
  });
});

describe('MTurk ExternalQuestion mode', () => {
  const q = (o: Record<string, string>) => `/mturk?${new URLSearchParams(o).toString()}`;
  // Off by default (test/server/mturk-mode.test.ts): these tests turn it on for the fixture's batch.
  beforeEach(async () => {
    await enableMturk(workspaceStores(fx.workspace), { batch: 'fixture', hitIds: ['HIT1'] });
  });

  it('shows the task read-only in preview', async () => {
    const res = await app.inject(q({ assignmentId: 'ASSIGNMENT_ID_NOT_AVAILABLE', hitId: 'HIT1' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Preview: accept the HIT');
    expect(imageTokens(res.body)).toHaveLength(48);
    expect(res.body.match(/type="checkbox"[^>]* disabled/g)).toHaveLength(48);
    expect(res.body).not.toContain('type="submit"');
    const img = imageUrls(res.body)[0]!;
    expect((await app.inject(img)).statusCode).toBe(200);
    // The page may be framed by MTurk only.
    expect(res.headers['content-security-policy']).toContain('frame-ancestors https://www.mturk.com https://workersandbox.mturk.com');
    expect(await fx.workspace.sql.get('SELECT COUNT(*) AS n FROM assignments')).toEqual({ n: 0 });
  });

  it('claims a task for an accepted HIT, stores the answer and posts back to turkSubmitTo/mturk/externalSubmit', async () => {
    const params = { assignmentId: 'ASGN123', hitId: 'HIT1', workerId: 'A1WORKERXYZ', turkSubmitTo: 'https://workersandbox.mturk.com' };
    const page = await app.inject(q(params));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('action="/mturk/submit"');
    const tokens = imageTokens(page.body);
    expect(tokens).toHaveLength(48);
    // Reload: same assignment.
    const again = await app.inject(q(params));
    expect(hidden(again.body, 'assignment')).toBe(hidden(page.body, 'assignment'));
    const body = new URLSearchParams({ assignment: hidden(page.body, 'assignment'), mturkAssignmentId: 'ASGN123', _csrf: hidden(page.body, '_csrf') });
    for (const t of tokens.slice(0, 3)) body.append('sel', t);
    const res = await app.inject({
      method: 'POST',
      url: '/mturk/submit',
      payload: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('action="https://workersandbox.mturk.com/mturk/externalSubmit"');
    expect(res.body).toContain('name="assignmentId" value="ASGN123"');
    const stored = await fx.workspace.sql.all(
      'SELECT a.source, COUNT(*) AS n, SUM(selected) AS s FROM assignments a JOIN answers an ON an.assignment_id = a.id GROUP BY a.id',
    );
    expect(stored).toEqual([{ source: 'mturk', n: 48, s: 3 }]);
    // The raw worker id is nowhere in the database.
    const dump =
      JSON.stringify(await fx.workspace.sql.all('SELECT * FROM server_mturk')) + JSON.stringify(await fx.workspace.sql.all('SELECT * FROM assignments'));
    expect(dump).not.toContain('A1WORKERXYZ');
  });

  it('refuses a turkSubmitTo that is not MTurk', async () => {
    const res = await app.inject(q({ assignmentId: 'ASGN1', hitId: 'HIT1', workerId: 'W1', turkSubmitTo: 'https://evil.example' }));
    expect(res.statusCode).toBe(400);
  });
});

describe('admin extras', () => {
  it('mounts the near-duplicate review under /admin/dedup behind the admin token, its inline blocks allowed by hash', async () => {
    const adm = await admin();
    const dash = await adm.get('/admin');
    expect(dash.body).toContain('href="/admin/dedup"');
    const page = await adm.get('/admin/dedup/');
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect((await adm.get('/admin/dedup/pairs.json')).statusCode).toBe(200);
    const l = await labeller('alice');
    expect((await l.get('/admin/dedup/')).statusCode).toBe(403);
    expect((await app.inject('/admin/dedup/pairs.json')).statusCode).toBe(401);
  });

  it('shows the latest revision’s sampled images on the class review page', async () => {
    const db = fx.workspace.sql;
    const sampled = fx.images
      .filter((i) => i.role === 'candidate' && i.classIdx === 1)
      .slice(0, 3)
      .map((i) => i.id);
    await db.run(
      "INSERT INTO sample_revisions (id, function, parameters, seed, parent_id, valid, short_classes, size, report, created_at) VALUES (1, 'top-images', '{}', 7, NULL, 1, '[]', 3, '{}', '2026-01-01T00:00:00Z')",
    );
    for (const [position, id] of sampled.entries())
      await db.run('INSERT INTO sample_images (revision_id, position, image_id, class_idx, frequency, answers, carried_over) VALUES (1, ?, ?, 1, 0.9, 10, 0)', [
        position,
        id,
      ]);
    const adm = await admin();
    const page = await adm.get('/admin/class/1');
    expect(page.body).toContain('revision 1 (top-images, seed 7)');
    const shown = [...page.body.matchAll(/<div class="thumbs sampled">([\s\S]*?)<\/div>/g)].map((m) => m[1]!).join('');
    for (const id of sampled) expect(shown).toContain(`data-image="${id}"`);
    expect(shown.match(/<figure/g)).toHaveLength(3);
    // Blacklisting from the review page returns to it.
    const res = await adm.post('/admin/blacklist', { _csrf: hidden(page.body, '_csrf'), image: sampled[0]!, reason: 'blurry', back: 'class' });
    expect(res.headers.location).toBe('/admin/class/1?notice=blacklisted');
    expect((await adm.get('/admin/class/1')).body).toContain('blacklisted:</strong> blurry');
  });
});
