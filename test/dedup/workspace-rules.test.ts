/**
 * The authors' near-duplicate rules in a workspace: CIFAR-10.1's Euclidean auto-removal, "never
 * searched ⇒ not eligible", DSSIM searched against the class-restricted reference set, manual
 * keepers, and the fc7 threshold's input condition.
 */
import { describe, expect, it } from 'vitest';
import {
  addKeepers,
  arraySource,
  listKeepers,
  removeKeepers,
  reviewThreshold,
  searchWorkspace,
  updateDedupStatus,
  type DescriptorInput,
} from '../../src/dedup/index.ts';
import { sha256Hex } from '../../src/core/index.ts';
import { eligibility, readEligibilityInput } from '../../src/sample/index.ts';
import { workspaceStores } from '../../src/app/workspace-stores.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import { makeWorkspace, noiseImage, nudged } from './workspace-fixture.ts';
import type { Workspace as DedupWorkspace } from '../../src/workspace/index.ts';

const dd = (w: DedupWorkspace) => workspaceStores(w).dedup;

const status = async (w: DedupWorkspace) =>
  Object.fromEntries(
    (await w.sql.all<{ image_id: string; status: string; reason: string }>('SELECT image_id, status, reason FROM dedup_status')).map((r) => [
      r.image_id,
      r.status,
    ]),
  );

/** `pixels` plus uniform integer noise in [−amplitude, amplitude] (clamped to 0…255). */
function noisy(pixels: Uint8Array, amplitude: number, seed: number): Uint8Array {
  let x = seed;
  return pixels.map((v) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.max(0, Math.min(255, v + ((x >>> 16) % (2 * amplitude + 1)) - amplitude));
  });
}

const euclidean = (a: Uint8Array, b: Uint8Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));

describe("CIFAR-10.1's automatic removal: Euclidean L2 ≤ 1000 on 0–255 pixels", () => {
  it('removes an image against itself + uniform ±8 noise (Euclidean ≈ 273), not an unrelated one', async () => {
    const r0 = noiseImage(11);
    const copy = noisy(r0, 8, 5);
    const distance = euclidean(copy, r0);
    expect(distance).toBeGreaterThan(240);
    expect(distance).toBeLessThan(290);
    const workspace = await makeWorkspace([
      { id: 'ref', role: 'reference', pixels: r0 },
      { id: 'noisy-copy', role: 'candidate', pixels: copy },
      { id: 'other', role: 'candidate', pixels: noiseImage(12) },
    ]);
    try {
      const summary = await searchWorkspace(workspace, {
        stores: dd(workspace),
        descriptors: ['pixels'],
        references: [],
        autoDuplicateBelow: 1000,
        workers: 0,
      });
      expect(summary.autoDuplicates).toBe(1);
      const decision = await workspace.sql.all('SELECT candidate_id, neighbour_id, decision, reviewer FROM dedup_decisions');
      expect(decision).toEqual([{ candidate_id: 'noisy-copy', neighbour_id: 'ref', decision: 'duplicate', reviewer: 'auto:euclidean-l2<=1000' }]);
      // The stored distance is squared (≈ 7.5e4): comparing it with 1000 would have kept the copy.
      const stored = (await workspace.sql.get<{ distance: number }>("SELECT distance FROM dedup_neighbours WHERE candidate_id = 'noisy-copy' AND rank = 0"))!;
      expect(stored.distance).toBe(Math.round(distance ** 2));
      expect(await status(workspace)).toMatchObject({ 'noisy-copy': 'duplicate', other: 'clear' });
    } finally {
      await closeWorkspace(workspace);
    }
  });
});

describe('never searched ⇒ not eligible', () => {
  it('before any search every candidate is pending; a candidate ingested after the search lacks the metric', async () => {
    const workspace = await makeWorkspace([
      { id: 'ref', role: 'reference', pixels: noiseImage(21) },
      { id: 'a', role: 'candidate', pixels: noiseImage(22) },
      { id: 'b', role: 'candidate', pixels: noiseImage(23) },
    ]);
    try {
      await updateDedupStatus(dd(workspace));
      expect(await status(workspace)).toEqual({ a: 'pending', b: 'pending' });
      expect((await workspace.sql.get<{ reason: string }>("SELECT reason FROM dedup_status WHERE image_id = 'a'"))!.reason).toMatch(
        /not searched for near-duplicates yet/,
      );
      await searchWorkspace(workspace, { stores: dd(workspace), descriptors: ['pixels', 'pixels-std'], references: [], workers: 0 });
      expect(await status(workspace)).toEqual({ a: 'clear', b: 'clear' });
      // A late candidate: a 'pixels' search alone does not make it eligible, because 'pixels-std' also ran here.
      const png = sha256Hex(noiseImage(24));
      await workspace.sql.run(
        "INSERT INTO images (id, role, class_idx, source, source_id, sha256, original_path, display_path, square_path, width, height, created_at) VALUES ('late', 'candidate', 0, 'arrays', 'late', ?, 'blobs/square/a.png', 'blobs/square/a.png', 'blobs/square/a.png', 32, 32, '2026-01-02')",
        [png],
      );
      await updateDedupStatus(dd(workspace));
      expect((await status(workspace)).late).toBe('pending');
      expect((await workspace.sql.get<{ reason: string }>("SELECT reason FROM dedup_status WHERE image_id = 'late'"))!.reason).toMatch(
        /not searched with pixels, pixels-std/,
      );
      const st = workspaceStores(workspace);
      expect(eligibility(await readEligibilityInput(st.sampling, st.sample)).excluded.find((x) => x.imageId === 'late')).toMatchObject({
        reason: 'unreviewed',
      });
    } finally {
      await closeWorkspace(workspace);
    }
  });
});

describe('DSSIM searches the class-restricted reference set (top-k), not a short list', () => {
  it('train images of the class and its 5 most similar classes, every val/test original, the candidate pool', async () => {
    // CIFAR-10 classes: cat (3) is related to cat, dog, deer, frog, horse, bird; not to airplane (0).
    const q = noiseImage(31);
    const workspace = await makeWorkspace([
      { id: 'val-orig', role: 'reference', pixels: nudged(q, 9), classIdx: 9 },
      { id: 'cat-cand', role: 'candidate', pixels: q, classIdx: 3 },
      { id: 'other-cand', role: 'candidate', pixels: nudged(q, 6), classIdx: 0 },
      { id: 'blacklisted', role: 'candidate', pixels: nudged(q, 1), classIdx: 5 },
    ]);
    try {
      await workspace.sql.run("INSERT INTO blacklist (image_id, reason, by, at) VALUES ('blacklisted', 'drawing', 'test', 'now')");
      const trainPixels = new Uint8Array(4 * 3072);
      trainPixels.set(q, 0); // an exact copy, but labelled airplane: outside the cat's DSSIM references
      trainPixels.set(nudged(q, 3), 3072); // dog: inside
      trainPixels.set(noiseImage(32), 2 * 3072); // cat: inside
      trainPixels.set(noiseImage(33), 3 * 3072); // truck: outside
      const train = arraySource('cifar10-train', 'train', { count: 4, width: 32, height: 32, pixels: trainPixels }, null, [0, 5, 3, 9]);
      const test = arraySource('cifar10-test', 'test', { count: 1, width: 32, height: 32, pixels: nudged(q, 12) }, null, [8]);
      const summary = await searchWorkspace(workspace, {
        stores: dd(workspace),
        descriptors: ['pixels', 'dssim'],
        references: [test],
        trainReferences: [train],
        k: 100,
        workers: 0,
      });
      expect(summary.metrics.map((m) => m.metric)).toEqual(['pixels', 'dssim']);
      const neighbours = async (candidate: string, metric: string) =>
        (
          await workspace.sql.all<{ s: string; id: string }>(
            'SELECT neighbour_set AS s, neighbour_id AS id FROM dedup_neighbours WHERE candidate_id = ? AND metric = ? ORDER BY rank',
            [candidate, metric],
          )
        ).map((r) => `${r.s}:${r.id}`);
      // The vector metric searches everything: the airplane-labelled exact copy comes first.
      expect((await neighbours('cat-cand', 'pixels'))[0]).toBe('cifar10-train:0');
      // DSSIM: candidates (not blacklisted), the workspace original, the test set, train images of related classes only.
      expect((await neighbours('cat-cand', 'dssim')).sort()).toEqual(
        ['cifar10-test:0', 'cifar10-train:1', 'cifar10-train:2', 'workspace:other-cand', 'workspace:val-orig'].sort(),
      );
      expect((await neighbours('cat-cand', 'dssim'))[0]).toBe('cifar10-train:1');
      // The airplane candidate's related classes are airplane, ship, bird, automobile, truck: train 0 (airplane) and 3 (truck).
      expect((await neighbours('other-cand', 'dssim')).filter((n) => n.startsWith('cifar10-train'))).toEqual(['cifar10-train:0', 'cifar10-train:3']);
      // The named cheaper mode re-scores the pixel metric's short list, which is not class-restricted.
      const short = await searchWorkspace(workspace, {
        stores: dd(workspace),
        descriptors: ['pixels', 'dssim'],
        references: [test],
        trainReferences: [train],
        k: 100,
        workers: 0,
        dssim: 'short-list',
      });
      expect(short.metrics[1]?.thresholdNote).toMatch(/not the authors' search/);
      expect(await neighbours('cat-cand', 'dssim')).toContain('cifar10-train:0');
      const dssimOnly = await searchWorkspace(workspace, {
        stores: dd(workspace),
        descriptors: ['dssim'],
        references: [test],
        trainReferences: [train],
        k: 2,
        workers: 0,
      });
      expect(dssimOnly.metrics).toMatchObject([{ metric: 'dssim', threshold: 0.2205 }]);
      expect(await neighbours('cat-cand', 'dssim')).toHaveLength(2);
      await expect(
        searchWorkspace(workspace, {
          stores: dd(workspace),
          descriptors: ['dssim'],
          references: [],
          trainReferences: [arraySource('unlabelled', 'u', { count: 1, width: 32, height: 32, pixels: q })],
          workers: 0,
        }),
      ).rejects.toThrow(/training reference set needs labels/);
    } finally {
      await closeWorkspace(workspace);
    }
  });
});

describe('manual keepers (the authors’ resolution override)', () => {
  it('keep one member of a candidates-only component; refuse unknown ids and originals', async () => {
    const shared = noiseImage(41);
    const workspace = await makeWorkspace([
      { id: 'orig', role: 'reference', pixels: noiseImage(40) },
      { id: 'p1', role: 'candidate', pixels: shared },
      { id: 'p2', role: 'candidate', pixels: nudged(shared, 1) },
    ]);
    try {
      await searchWorkspace(workspace, { stores: dd(workspace), descriptors: ['pixels'], references: [], autoDuplicateBelow: 1000, workers: 0 });
      // Unlabelled: the highest id is kept.
      expect(await status(workspace)).toEqual({ p1: 'duplicate', p2: 'clear' });
      expect(await addKeepers(dd(workspace), ['p1'], { reason: 'sharper', by: 'ada', now: '2026-03-01T00:00:00Z' })).toBe(1);
      await updateDedupStatus(dd(workspace));
      expect(await status(workspace)).toEqual({ p1: 'clear', p2: 'duplicate' });
      expect(await listKeepers(dd(workspace))).toEqual([{ imageId: 'p1', reason: 'sharper', by: 'ada', at: '2026-03-01T00:00:00Z' }]);
      await expect(addKeepers(dd(workspace), ['nope'], { reason: 'x' })).rejects.toThrow(/no such image/);
      await expect(addKeepers(dd(workspace), ['orig'], { reason: 'x' })).rejects.toThrow(/only candidates/);
      expect(await removeKeepers(dd(workspace), ['p1', 'p2'])).toBe(1);
      await updateDedupStatus(dd(workspace));
      expect(await status(workspace)).toEqual({ p1: 'duplicate', p2: 'clear' });
    } finally {
      await closeWorkspace(workspace);
    }
  });
});

describe("the fc7 threshold 1.32e4 holds only for the paper's input", () => {
  const raw: DescriptorInput = { width: 224, height: 224, scale: 1, mean: null, std: null, normalisedInsideGraph: false };
  it('applies to a 224² model fed raw 0–255 values without mean/std', () => {
    expect(reviewThreshold('features:vgg16.onnx#fc7', 256, raw)).toEqual({ value: 1.32e4, note: null });
    expect(reviewThreshold('features:vgg16.onnx#fc7', 256, { ...raw, mean: [0, 0, 0], std: [1, 1, 1] }).value).toBe(1.32e4);
  });
  it('does not transfer to normalised inputs, other sizes or unknown inputs, and says why', () => {
    const torchvision = reviewThreshold('features:vgg16.onnx#fc7', 256, { ...raw, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(torchvision.value).toBeNull();
    expect(torchvision.note).toMatch(
      /values are scaled by 1\/255, mean \[0\.485, 0\.456, 0\.406\] is subtracted, std \[0\.229, 0\.224, 0\.225\] divides, so it does not transfer: give --threshold/,
    );
    expect(reviewThreshold('features:vgg16.onnx#fc7', 256, { ...raw, width: 32, height: 32 }).note).toMatch(/the input is 32×32/);
    expect(reviewThreshold('features:vgg16.onnx#fc7', 256, { ...raw, normalisedInsideGraph: true }).note).toMatch(/normalises its input itself/);
    expect(reviewThreshold('features:vgg16.onnx#fc7', 256).value).toBeNull();
    expect(reviewThreshold('features:resnet.onnx#pool', 32, raw)).toEqual({ value: null, note: 'no published threshold for these features: give --threshold' });
  });
});
