import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npyToNumbers, readCifarBin, readNpy } from '../../src/formats/index.ts';
import { createTasks, importVoteCounts } from '../../src/label/index.ts';
import { createRevision } from '../../src/sample/index.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';
import { addFixtureImages } from '../helpers/workspace-images.ts';
import { workspaceWithImages, on, labelOf } from './fixtures.ts';

describe('importVoteCounts', () => {
  it('reproduces votes[i][c] / Σ votes[i] exactly, whatever the number of appearances', async () => {
    const ws = await workspaceWithImages({ candidates: { 0: 50 }, references: { 0: 25, 8: 25 } });
    await createTasks(...on(ws), { seed: 2 });
    const votes = (id: string) => {
      const k = Number(id.slice(3));
      return id.startsWith('r8') ? [3, 0, 0, 0, 0, 0, 0, 0, 47, 0] : [50 - (k % 7), 0, 0, 0, 0, 0, 0, 0, k % 7, 0];
    };
    const r = await importVoteCounts(labelOf(ws), { votes, seed: 1 });
    expect(r.conflicts).toEqual([]);
    const f = await labelOf(ws).frequencies({ minAnswers: 1, includeNegatives: true });
    for (const row of f) {
      const v = votes(row.imageId);
      expect(row.answers).toBe(50);
      expect(row.selected).toBe(v[row.classIdx]);
    }
    // every candidate has its frequency; a negative control (ship image asked as airplane) gets 3/50
    expect(f.filter((x) => x.role === 'candidate')).toHaveLength(50);
    expect(f.find((x) => x.role === 'negative')).toMatchObject({ classIdx: 0, selected: 3, answers: 50 });
  });
});

describeWithData('importVoteCounts on real CIFAR-10H votes', () => {
  it('gives each of 400 exact CIFAR-10 test images its CIFAR-10H frequency, and TopImages beats the threshold draw', async () => {
    const cifar = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    const counts = npyToNumbers(readNpy(join(SHARED_DATA, 'cifar10h', 'cifar10h-counts.npy')));
    const ws = await createWorkspace(join(mkdtempSync(join(tmpdir(), 'retest-c10h-')), 'ws'), { classes: 'cifar10' });
    await addFixtureImages(
      ws,
      Array.from({ length: 400 }, (_, i) => ({
        id: `i${i}`,
        role: i % 2 ? ('candidate' as const) : ('reference' as const),
        classIdx: cifar.labels[i]!,
        source: 'cifar10-test',
        sourceId: String(i),
        sha256: String(i),
        createdAt: 'now',
      })),
    );
    await createTasks(...on(ws), { seed: 1, shape: { referenceImages: 15 } });
    await importVoteCounts(labelOf(ws), {
      votes: (id) => {
        const i = Number(id.slice(1));
        return counts.subarray(i * 10, i * 10 + 10);
      },
      seed: 1,
      prefix: 'cifar10h',
    });
    const f = await labelOf(ws).frequencies({ minAnswers: 10 });
    const candidates = f.filter((x) => x.role === 'candidate');
    expect(candidates).toHaveLength(200);
    for (const row of candidates) {
      const i = Number(row.imageId.slice(1));
      const v = counts.subarray(i * 10, i * 10 + 10);
      expect(row.frequency).toBe(v[cifar.labels[i]!]! / v.reduce((a, b) => a + b, 0));
    }
    const mean = candidates.reduce((a, x) => a + x.frequency, 0) / candidates.length;
    expect(mean).toBeGreaterThan(0.9); // CIFAR-10H: most test images are unambiguous
    const control = (await labelOf(ws).controlAccuracy()).assignments.filter((a) => a.accuracy !== null);
    expect(control.reduce((a, x) => a + x.accuracy!, 0) / control.length).toBeGreaterThan(0.9);
    const st = workspaceStores(ws);
    const top = (
      await createRevision({ sample: st.sample, sources: st.sampling }, { strategy: { function: 'top-images' }, perClass: 5, seed: 1, requireDedup: false })
    ).revision.images;
    const thr = (
      await createRevision(
        { sample: st.sample, sources: st.sampling },
        { strategy: { function: 'threshold', params: { tau: 0 } }, perClass: 5, seed: 1, requireDedup: false },
      )
    ).revision.images;
    const avg = (xs: { frequency: number }[]) => xs.reduce((a, x) => a + x.frequency, 0) / xs.length;
    expect(avg(top)).toBeGreaterThanOrEqual(avg(thr));
  });
});
