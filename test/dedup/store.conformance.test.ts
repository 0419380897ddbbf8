/**
 * The near-duplicate stage's store (`DedupStore`, src/dedup/types.ts), the same on SQLite and on
 * PostgreSQL: neighbours replaced per metric and candidate, the close ones under their threshold,
 * DSSIM's short lists, searches, append-only decisions with the latest in force, keepers, status.
 */
import { expect, it } from 'vitest';
import { createDedupStore, dedupMigrations, type NeighbourRow } from '../../src/dedup/index.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const row = (candidateId: string, rank: number, neighbourId: string, distance: number, extra: Partial<NeighbourRow> = {}): NeighbourRow => ({
  candidateId,
  rank,
  neighbourSet: 'workspace',
  neighbourId,
  neighbourRole: 'candidate',
  neighbourPath: `blobs/square/${neighbourId}.png`,
  distance,
  ...extra,
});

onBothBackends('DedupStore', dedupMigrations, (fresh) => {
  it("replaces a metric's neighbours per candidate and lists the close ones by candidate then rank", async () => {
    const store = createDedupStore(await fresh());
    await store.replaceNeighbours('pixels', 10, [row('b', 0, 'a', 5), row('b', 1, 'c', 20), row('a', 0, 'b', 5)], 't1');
    await store.replaceNeighbours(
      'pixels-std',
      1.5,
      [row('a', 0, '7', 1.25, { neighbourSet: 'cifar10-train', neighbourRole: 'reference', neighbourPath: null })],
      't1',
    );
    expect(await store.closeNeighbours(30)).toEqual([
      {
        candidateId: 'a',
        metric: 'pixels',
        rank: 0,
        neighbourSet: 'workspace',
        neighbourId: 'b',
        neighbourRole: 'candidate',
        neighbourPath: 'blobs/square/b.png',
        distance: 5,
        threshold: 10,
      },
      {
        candidateId: 'a',
        metric: 'pixels-std',
        rank: 0,
        neighbourSet: 'cifar10-train',
        neighbourId: '7',
        neighbourRole: 'reference',
        neighbourPath: null,
        distance: 1.25,
        threshold: 1.5,
      },
      {
        candidateId: 'b',
        metric: 'pixels',
        rank: 0,
        neighbourSet: 'workspace',
        neighbourId: 'a',
        neighbourRole: 'candidate',
        neighbourPath: 'blobs/square/a.png',
        distance: 5,
        threshold: 10,
      },
    ]);
    expect(await store.closeNeighbours(0)).toEqual([]);
    // A new search of 'b' with pixels replaces b's pixels rows only.
    await store.replaceNeighbours('pixels', 10, [row('b', 0, 'c', 9)], 't2');
    expect((await store.closeNeighbours(30)).map((n) => `${n.candidateId}>${n.neighbourId}:${n.metric}`)).toEqual([
      'a>b:pixels',
      'a>7:pixels-std',
      'b>c:pixels',
    ]);
    // Without a threshold nothing is close.
    await store.replaceNeighbours('features:x', null, [row('c', 0, 'a', 0)], 't2');
    expect((await store.closeNeighbours(30)).some((n) => n.metric === 'features:x')).toBe(false);
    expect(await store.shortLists(30)).toEqual([
      { candidateId: 'a', neighbourSet: 'cifar10-train', neighbourId: '7', neighbourRole: 'reference', neighbourPath: null },
      { candidateId: 'a', neighbourSet: 'workspace', neighbourId: 'b', neighbourRole: 'candidate', neighbourPath: 'blobs/square/b.png' },
      { candidateId: 'b', neighbourSet: 'workspace', neighbourId: 'c', neighbourRole: 'candidate', neighbourPath: 'blobs/square/c.png' },
      { candidateId: 'c', neighbourSet: 'workspace', neighbourId: 'a', neighbourRole: 'candidate', neighbourPath: 'blobs/square/a.png' },
    ]);
    expect([await store.isNeighbourPath('blobs/square/c.png'), await store.isNeighbourPath('blobs/square/zz.png')]).toEqual([true, false]);
  });

  it('records searches once per candidate and metric', async () => {
    const store = createDedupStore(await fresh());
    await store.recordSearched('pixels', ['a', 'b', 'a'], 't1');
    await store.recordSearched('pixels', ['a'], 't2');
    await store.recordSearched('dssim', ['b'], 't2');
    const sorted = (await store.searches()).map((s) => `${s.candidateId}:${s.metric}`).sort();
    expect(sorted).toEqual(['a:pixels', 'b:dssim', 'b:pixels']);
  });

  it('keeps every decision and puts the latest per pair in force', async () => {
    const store = createDedupStore(await fresh());
    await store.addDecisions([
      { candidateId: 'a', neighbourSet: 'workspace', neighbourId: 'b', decision: 'duplicate', reviewer: 'ann', decidedAt: 't1' },
      { candidateId: 'a', neighbourSet: 'cifar10-train', neighbourId: '7', decision: 'not_duplicate', reviewer: 'ann', decidedAt: 't1' },
    ]);
    await store.addDecisions([{ candidateId: 'a', neighbourSet: 'workspace', neighbourId: 'b', decision: 'not_duplicate', reviewer: 'bob', decidedAt: 't2' }]);
    const inForce = (await store.decisionsInForce()).sort((x, y) => x.neighbourId.localeCompare(y.neighbourId));
    expect(inForce).toEqual([
      { candidateId: 'a', neighbourSet: 'cifar10-train', neighbourId: '7', decision: 'not_duplicate', reviewer: 'ann', decidedAt: 't1' },
      { candidateId: 'a', neighbourSet: 'workspace', neighbourId: 'b', decision: 'not_duplicate', reviewer: 'bob', decidedAt: 't2' },
    ]);
    await expect(
      store.addDecisions([{ candidateId: 'a', neighbourSet: 'workspace', neighbourId: 'c', decision: 'maybe' as 'duplicate', reviewer: 'x', decidedAt: 't3' }]),
    ).rejects.toThrow();
    expect(await store.decisionsInForce()).toHaveLength(2);
  });

  it('adds, re-reasons and removes keepers; writes and replaces statuses', async () => {
    const store = createDedupStore(await fresh());
    expect(
      await store.addKeepers([
        { imageId: 'p2', reason: 'sharper', by: 'ann', at: 't1' },
        { imageId: 'p1', reason: 'x', by: 'ann', at: 't1' },
      ]),
    ).toBe(2);
    await store.addKeepers([{ imageId: 'p1', reason: 'centred', by: 'bob', at: 't2' }]);
    expect(await store.keepers()).toEqual([
      { imageId: 'p1', reason: 'centred', by: 'bob', at: 't2' },
      { imageId: 'p2', reason: 'sharper', by: 'ann', at: 't1' },
    ]);
    expect(await store.removeKeepers(['p2', 'nope'])).toBe(1);
    await store.writeStatus(
      [
        { imageId: 'a', status: 'pending', reason: 'not searched', component: null },
        { imageId: 'b', status: 'clear', reason: 'alone', component: null },
      ],
      't1',
    );
    await store.writeStatus([{ imageId: 'a', status: 'duplicate', reason: 'touches an original', component: 'workspace:a' }], 't2');
    expect(Object.fromEntries(await store.statuses())).toEqual({ a: 'duplicate', b: 'clear' });
  });
});
