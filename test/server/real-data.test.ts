/**
 * The server on real images: CIFAR-10 test images (32×32, pixel-exact) as candidates and controls
 * of the class "cat", answered by labellers who select exactly the images whose official label is
 * cat. Every image comes out as the same 320×320 JPEG, and the dashboard's histograms are the real
 * labels' frequencies.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha1Hex } from '../../src/core/index.ts';
import { encodePng, imageInfo, readCifarBin } from '../../src/formats/index.ts';
import type { ItemRole } from '../../src/label/index.ts';
import { buildApp, inviteLabellers } from '../../src/server/index.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { addFixtureImages, type FixtureImage } from '../helpers/workspace-images.ts';
import { Client, hidden, imageTokens, imageUrls } from './client.ts';

const CAT = 3;
const DOG = 5;

describeWithData('labelling server on real CIFAR-10 images', () => {
  let ws: Workspace;
  const label = new Map<string, number>();
  let candidates: string[] = [];

  beforeAll(async () => {
    const cifar = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    ws = await createWorkspace(join(mkdtempSync(join(tmpdir(), 'retest-server-real-')), 'ws'), { classes: 'cifar10' });
    mkdirSync(join(ws.dir, 'blobs', 'display'), { recursive: true });
    const rows: FixtureImage[] = [];
    const add = async (index: number, role: 'candidate' | 'reference', classIdx: number) => {
      const pixels = cifar.pixels.subarray(index * 3072, (index + 1) * 3072);
      const id = sha1Hex(`cifar10-test:${index}:${role}`);
      const rel = `blobs/display/${id}.png`;
      writeFileSync(join(ws.dir, rel), await encodePng({ data: pixels, width: 32, height: 32 }));
      rows.push({
        id,
        role,
        classIdx,
        source: 'cifar10-test',
        sourceId: String(index),
        sha256: id,
        originalPath: rel,
        displayPath: rel,
        squarePath: rel,
        width: 32,
        height: 32,
        createdAt: new Date().toISOString(),
      });
      label.set(id, cifar.labels[index]!);
      return id;
    };
    // Candidates for "cat": the first 42 test images, whatever their class.
    candidates = [];
    for (let i = 0; i < 42; i++) candidates.push(await add(i, 'candidate', CAT));
    // Controls: the next 3 cats (positives) and 3 dogs (negatives: the most similar class).
    const cats: number[] = [];
    const dogs: number[] = [];
    for (let i = 42; i < 1000 && (cats.length < 3 || dogs.length < 3); i++) {
      if (cifar.labels[i] === CAT && cats.length < 3) cats.push(i);
      if (cifar.labels[i] === DOG && dogs.length < 3) dogs.push(i);
    }
    const positives = await Promise.all(cats.map((i) => add(i, 'reference', CAT)));
    const negatives = await Promise.all(dogs.map((i) => add(i, 'reference', DOG)));
    await addFixtureImages(ws, rows);
    const items: [string, ItemRole][] = [
      ...candidates.map((id): [string, ItemRole] => [id, 'candidate']),
      ...positives.map((id): [string, ItemRole] => [id, 'positive']),
      ...negatives.map((id): [string, ItemRole] => [id, 'negative']),
    ];
    await workspaceStores(ws).label.addTasks([
      {
        id: 't-cat',
        seq: 0,
        classIdx: CAT,
        kind: 'main',
        assignmentsWanted: 3,
        batch: 'real',
        createdAt: new Date().toISOString(),
        items: items.map(([imageId, role]) => ({ imageId, role, token: randomBytes(16).toString('base64url') })),
      },
    ]);
  });
  afterAll(() => closeWorkspace(ws));

  it('serves real 32×32 images as 320×320 JPEGs and turns true-label answers into the expected histograms', async () => {
    const app = await buildApp({ workspace: ws, stores: workspaceStores(ws), adminToken: 'real-admin', minAnswers: 3 });
    try {
      const names = ['ann', 'ben', 'cy'];
      for (const inv of await inviteLabellers(workspaceStores(ws), names)) {
        const c = new Client(app);
        await c.get(`/l/${inv.token}`);
        const page = await c.get('/label');
        expect(page.body).toContain('<strong class="lemma">cat</strong>');
        const assignment = hidden(page.body, 'assignment');
        const tokens = imageTokens(page.body);
        // Find which token shows which image by comparing served bytes with the admin's copy of each image.
        const adminBytes = new Map<string, Buffer>();
        for (const id of label.keys())
          adminBytes.set(id, (await app.inject({ url: `/admin/image/${id}`, headers: { authorization: 'Bearer real-admin' } })).rawPayload);
        const selected: string[] = [];
        for (const [i, url] of imageUrls(page.body).entries()) {
          const bytes = (await c.get(url)).rawPayload;
          const info = await imageInfo(bytes);
          expect(`${info.format} ${info.width}x${info.height}`).toBe('jpeg 320x320');
          const id = [...adminBytes].find(([, b]) => Buffer.compare(b, bytes) === 0)?.[0];
          expect(id).toBeDefined();
          if (label.get(id!) === CAT) selected.push(tokens[i]!);
        }
        const res = await c.post('/label/submit', { assignment, _csrf: hidden(page.body, '_csrf'), sel: selected });
        expect(res.statusCode).toBe(303);
      }
      const summary = (await app.inject({ url: '/admin/api/summary', headers: { authorization: 'Bearer real-admin' } })).json() as {
        classes: { classIdx: number; done: number; candidateHistogram: number[]; referenceHistogram: number[] }[];
        workers: { controlAccuracy: number; tasks: number }[];
      };
      const cat = summary.classes.find((c) => c.classIdx === CAT)!;
      const realCats = candidates.filter((id) => label.get(id) === CAT).length;
      expect(realCats).toBeGreaterThan(0);
      expect(cat.done).toBe(3);
      expect(cat.candidateHistogram).toEqual([42 - realCats, 0, 0, 0, realCats]);
      expect(cat.referenceHistogram).toEqual([0, 0, 0, 0, 3]);
      expect(summary.workers.map((w) => [w.tasks, w.controlAccuracy])).toEqual([
        [1, 1],
        [1, 1],
        [1, 1],
      ]);
    } finally {
      await app.close();
    }
  });
});
