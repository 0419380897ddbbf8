import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, sha256Hex } from '../../src/core/index.ts';
import { readCifar101 } from '../../src/formats/index.ts';
import { resolveDataset } from '../../src/datasets/index.ts';
import { ingest, type Candidate, type CandidateSource } from '../../src/collect/index.ts';
import { createTasks, exportMturk } from '../../src/label/index.ts';
import { createRevision } from '../../src/sample/index.ts';
import { exportImageFolder, exportNpy, type Manifest } from '../../src/export/index.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { answerAll, on } from '../label/fixtures.ts';

/** A CIFAR-10 workspace with real ingested 32×32 images: 4 candidates and 3 references for classes 0 and 1 (random pixels, seeded). */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'retest-export-'));
  const ws = await createWorkspace(join(dir, 'ws'), { classes: 'cifar10' });
  await ws.sql.run(`UPDATE classes SET similar = '["automobile"]' WHERE idx = 0`);
  await ws.sql.run(`UPDATE classes SET similar = '["airplane"]' WHERE idx = 1`);
  const rng = createRng(5);
  const pixels = new Map<string, Uint8Array>();
  const source = (role: string, perClass: number): CandidateSource => ({
    name: 'arrays',
    expected: perClass * 2,
    async *candidates(): AsyncIterable<Candidate> {
      for (const c of [0, 1])
        for (let i = 0; i < perClass; i++) {
          const data = Uint8Array.from({ length: 3072 }, () => rng.int(256));
          const sourceId = `${role}-${c}-${i}`;
          pixels.set(sourceId, data);
          yield { source: 'test', sourceId, classIdx: c, pixels: { data, width: 32, height: 32 } };
        }
    },
  });
  await ingest(ws, source('ref', 3), { role: 'reference' });
  await ingest(ws, source('cand', 4));
  await createTasks(...on(ws), { seed: 1, shape: { referenceImages: 3 } });
  await answerAll(ws, (id, role) => (role === 'negative' ? 0 : 10 - (id.charCodeAt(0) % 3))); // frequencies 0.8–1.0
  return { dir, ws, pixels };
}

describe('export', () => {
  it('writes the CIFAR-10.1 layout that eval reads back, with a manifest', async () => {
    const { dir, ws, pixels } = await setup();
    const st = workspaceStores(ws);
    const rev = await createRevision(
      { sample: st.sample, sources: st.sampling },
      { strategy: { function: 'top-images' }, perClass: 2, seed: 1, requireDedup: false },
    );
    await expect(exportNpy(st, join(dir, 'out', 'x'), { workspaceDir: ws.dir })).rejects.toThrow(/not valid/); // classes 2–9 are short
    const m = await exportNpy(st, join(dir, 'out', 'new'), { workspaceDir: ws.dir, allowInvalid: true, now: '2026-03-01T00:00:00Z' });
    const back = readCifar101(join(dir, 'out', 'new'));
    expect(back.count).toBe(4);
    expect([...back.labels]).toEqual(rev.revision.images.map((i) => i.classIdx));
    const sourceIdOf = new Map((await ws.sql.all<{ id: string; source_id: string }>('SELECT id, source_id FROM images')).map((r) => [r.id, r.source_id]));
    rev.revision.images.forEach((im, k) => {
      expect(Buffer.from(back.pixels.subarray(k * 3072, (k + 1) * 3072)).equals(Buffer.from(pixels.get(sourceIdOf.get(im.imageId)!)!))).toBe(true);
    });
    const manifest = JSON.parse(readFileSync(join(dir, 'out', 'new_manifest.json'), 'utf8')) as Manifest;
    expect(manifest).toMatchObject({
      format: 'retest-export/1',
      layout: 'cifar10.1',
      count: 4,
      exportedAt: '2026-03-01T00:00:00.000Z',
      revision: { id: rev.revision.id, function: 'top-images', seed: 1 },
    });
    expect(manifest.files.map((f) => f.sha256)).toEqual([
      sha256Hex(readFileSync(join(dir, 'out', 'new_data.npy'))),
      sha256Hex(readFileSync(join(dir, 'out', 'new_labels.npy'))),
    ]);
    expect(manifest.images[0]).toMatchObject({
      imageId: rev.revision.images[0]!.imageId,
      selectionFrequency: rev.revision.images[0]!.frequency,
      answers: rev.revision.images[0]!.answers,
      source: { name: 'test' },
    });
    expect(m.count).toBe(4);
    const loaded = await resolveDataset(join(dir, 'out', 'new_data.npy'), { cacheDir: join(dir, 'cache') });
    expect(loaded.images.map((i) => i.label)).toEqual([...back.labels]);
    await expect(exportNpy(st, join(dir, 'out', 'new'), { workspaceDir: ws.dir, allowInvalid: true })).rejects.toThrow(/already exists/);
  });

  it('writes the ImageNetV2 layout (<class_index>/<image_id>.jpeg + manifest) that eval reads back', async () => {
    const { dir, ws } = await setup();
    const st = workspaceStores(ws);
    const rev = await createRevision(
      { sample: st.sample, sources: st.sampling },
      { strategy: { function: 'top-images' }, perClass: 2, seed: 1, requireDedup: false },
    );
    const out = join(dir, 'v2');
    const m = await exportImageFolder(st, out, { workspaceDir: ws.dir, allowInvalid: true });
    expect(readdirSync(out).sort()).toEqual(['0', '1', 'manifest.json']);
    for (const im of rev.revision.images) expect(existsSync(join(out, String(im.classIdx), `${im.imageId}.jpeg`))).toBe(true);
    for (const f of m.files) expect(sha256Hex(readFileSync(join(out, f.path)))).toBe(f.sha256);
    expect(m.images.map((i) => i.path)).toEqual(rev.revision.images.map((i) => `${i.classIdx}/${i.imageId}.jpeg`));
    const loaded = await resolveDataset(out, { cacheDir: join(dir, 'cache') });
    expect(loaded.images).toHaveLength(4);
    expect(new Set(loaded.images.map((i) => `${i.label}/${i.imageId}`))).toEqual(new Set(rev.revision.images.map((i) => `${i.classIdx}/${i.imageId}`)));
    await expect(exportImageFolder(st, out, { workspaceDir: ws.dir, allowInvalid: true })).rejects.toThrow(/not empty/);
  });

  // The manifest's whole shape, pinned: a change to a field (name, order, value) shows in the diff of
  // __snapshots__/cifar10.1-manifest.json. Times the test does not fix (the revision's creation) are masked.
  it('the CIFAR-10.1 manifest, snapshot', async () => {
    const { dir, ws } = await setup();
    const st = workspaceStores(ws);
    await createRevision({ sample: st.sample, sources: st.sampling }, { strategy: { function: 'top-images' }, perClass: 2, seed: 1, requireDedup: false });
    await exportNpy(st, join(dir, 'out', 'snap'), { workspaceDir: ws.dir, allowInvalid: true, now: '2026-03-01T00:00:00Z' });
    const manifest = JSON.parse(readFileSync(join(dir, 'out', 'snap_manifest.json'), 'utf8')) as Manifest;
    expect(manifest.revision.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const masked = { ...manifest, revision: { ...manifest.revision, createdAt: '<createdAt>' } };
    await expect(`${JSON.stringify(masked, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/cifar10.1-manifest.json');
  });

  it('copies the task images under their opaque tokens for an MTurk upload', async () => {
    const { dir, ws } = await setup();
    const out = join(dir, 'hits');
    const r = await exportMturk(...on(ws), out, { baseUrl: 'https://bucket.example.org/x', workspaceDir: ws.dir, onlyOpen: false }); // all tasks are answered already
    const tokens = (await ws.sql.all<{ token: string }>('SELECT token FROM task_items')).map((t) => `${t.token}.jpg`).sort();
    expect(r.images).toBe(tokens.length);
    expect(readdirSync(join(out, 'images')).sort()).toEqual(tokens);
  });
});
