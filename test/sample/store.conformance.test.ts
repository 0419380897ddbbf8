/**
 * The sampling stage's store (`SampleStore`, src/sample/types.ts), the same on SQLite and on
 * PostgreSQL: blacklist upserts and removals, revisions with their images in release order, the
 * latest revision (of a function), and ids that increase.
 */
import { expect, it } from 'vitest';
import { createSampleStore, sampleMigrations, type NewRevision } from '../../src/sample/index.ts';
import { onBothBackends } from '../helpers/workspace-backends.ts';

const revision = (fn: string, seed: number, images: [string, number][], extra: Partial<NewRevision> = {}): NewRevision => ({
  function: fn,
  parameters: { perClass: 2, tau: 0.7 },
  seed,
  parentId: null,
  valid: true,
  shortClasses: [],
  createdAt: '2026-02-01T00:00:00.000Z',
  report: { classes: [] },
  images: images.map(([imageId, classIdx], position) => ({
    position,
    imageId,
    classIdx,
    frequency: 0.5 + position / 10,
    answers: 10 + position,
    carriedOver: position === 0,
  })),
  ...extra,
});

onBothBackends('SampleStore', sampleMigrations, (fresh) => {
  it('adds, replaces and removes blacklist entries, listed by image id', async () => {
    const store = createSampleStore(await fresh());
    expect(await store.listBlacklist()).toEqual([]);
    expect(
      await store.blacklist([
        { imageId: 'b', reason: 'drawing', by: 'ann', at: '2026-01-01T00:00:00.000Z' },
        { imageId: 'a', reason: 'wrong class', by: 'bob', at: '2026-01-02T00:00:00.000Z' },
      ]),
    ).toBe(2);
    expect(await store.blacklist([{ imageId: 'b', reason: 'a cartoon', by: 'cli', at: '2026-01-03T00:00:00.000Z' }])).toBe(1);
    expect(await store.listBlacklist()).toEqual([
      { imageId: 'a', reason: 'wrong class', by: 'bob', at: '2026-01-02T00:00:00.000Z' },
      { imageId: 'b', reason: 'a cartoon', by: 'cli', at: '2026-01-03T00:00:00.000Z' },
    ]);
    expect(await store.unblacklist(['b', 'nope'])).toBe(1);
    expect((await store.listBlacklist()).map((e) => e.imageId)).toEqual(['a']);
    expect(await store.blacklist([])).toBe(0);
  });

  it('stores a revision with its images in release order and reads it back exactly', async () => {
    const store = createSampleStore(await fresh());
    expect(await store.getRevision('latest')).toBeUndefined();
    const first = await store.addRevision(
      revision(
        'threshold',
        3,
        [
          ['x', 1],
          ['y', 0],
          ['z', 1],
        ],
        { valid: false, shortClasses: [2, 5] },
      ),
    );
    expect(first).toEqual({
      id: 1,
      function: 'threshold',
      parameters: { perClass: 2, tau: 0.7 },
      seed: 3,
      parentId: null,
      valid: false,
      shortClasses: [2, 5],
      createdAt: '2026-02-01T00:00:00.000Z',
      images: [
        { position: 0, imageId: 'x', classIdx: 1, frequency: 0.5, answers: 10, carriedOver: true },
        { position: 1, imageId: 'y', classIdx: 0, frequency: 0.6, answers: 11, carriedOver: false },
        { position: 2, imageId: 'z', classIdx: 1, frequency: 0.7, answers: 12, carriedOver: false },
      ],
    });
    expect(await store.getRevision(1)).toEqual(first);
    expect(await store.getRevision(2)).toBeUndefined();
  });

  it('numbers revisions upwards, lists them newest first and finds the latest of a function', async () => {
    const store = createSampleStore(await fresh());
    const a = await store.addRevision(revision('threshold', 1, [['x', 0]]));
    const b = await store.addRevision(
      revision(
        'top-images',
        2,
        [
          ['y', 0],
          ['z', 0],
        ],
        { parentId: null },
      ),
    );
    const c = await store.addRevision(revision('threshold', 3, [['x', 0]], { parentId: a.id }));
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect((await store.listRevisions()).map((r) => [r.id, r.function, r.size, r.parentId])).toEqual([
      [3, 'threshold', 1, 1],
      [2, 'top-images', 2, null],
      [1, 'threshold', 1, null],
    ]);
    expect((await store.getRevision('latest'))!.id).toBe(3);
    expect((await store.getRevision('latest', { function: 'top-images' }))!.images.map((i) => i.imageId)).toEqual(['y', 'z']);
    expect(await store.getRevision('latest', { function: 'matched-frequency' })).toBeUndefined();
  });

  it('writes a revision with all its images or not at all', async () => {
    const store = createSampleStore(await fresh());
    // The same image twice breaks UNIQUE (revision_id, image_id): nothing of the revision is kept.
    await expect(
      store.addRevision(
        revision('threshold', 1, [
          ['x', 0],
          ['x', 0],
        ]),
      ),
    ).rejects.toThrow();
    expect(await store.listRevisions()).toEqual([]);
    expect((await store.addRevision(revision('threshold', 1, [['x', 0]]))).images).toHaveLength(1);
  });
});
