import { describe, expect, it } from 'vitest';
import { resolveDuplicates, type ResolveInput } from '../../src/dedup/index.ts';

const img = (id: string, role: 'candidate' | 'reference' = 'candidate', classIdx = 0, exactDuplicateOf: string | null = null) => ({
  id,
  role,
  classIdx,
  exactDuplicateOf,
});
const w = (id: string) => `workspace:${id}`;
const statuses = (out: { imageId: string; status: string }[]) => Object.fromEntries(out.map((r) => [r.imageId, r.status]));
const kept = (out: { imageId: string; status: string }[]) => out.filter((r) => r.status === 'clear').map((r) => r.imageId);
const chain = (...ids: string[]) => ids.slice(1).map((id, i) => ({ a: w(ids[i] as string), b: w(id) }));

describe('resolveDuplicates: components', () => {
  it('a lone candidate without pending pairs is clear', () => {
    expect(resolveDuplicates({ images: [img('a')], edges: [], pending: new Set() })).toEqual([
      { imageId: 'a', status: 'clear', reason: 'no duplicate found', component: null },
    ]);
  });

  it('a lone candidate with an undecided pair (or an unsearched metric) is pending, with the reason', () => {
    const out = resolveDuplicates({ images: [img('a')], edges: [], pending: new Set(['a']), pendingReasons: new Map([['a', 'not searched with dssim']]) });
    expect(out[0]).toMatchObject({ status: 'pending', reason: 'not searched with dssim' });
  });

  it('a component touching a workspace original is excluded whole, even through a chain of candidates', () => {
    const out = resolveDuplicates({
      images: [img('c1'), img('c2'), img('c3'), img('r1', 'reference'), img('c4')],
      edges: chain('c1', 'c2', 'c3', 'r1'),
      pending: new Set(),
    });
    expect(statuses(out)).toEqual({ c1: 'duplicate', c2: 'duplicate', c3: 'duplicate', c4: 'clear' });
    expect(out.map((r) => r.imageId)).not.toContain('r1');
  });

  it('an edge to an external original (set:index) excludes the component', () => {
    const out = resolveDuplicates({
      images: [img('c1'), img('c2')],
      edges: [
        { a: w('c1'), b: 'cifar10-train:123' },
        { a: w('c1'), b: w('c2') },
      ],
      pending: new Set(),
    });
    expect(out.every((r) => r.status === 'duplicate')).toBe(true);
    expect(out[0]?.reason).toMatch(/cifar10-train:123/);
  });

  it('the keeper stays pending while any member has undecided pairs; excluded members stay duplicates', () => {
    const out = resolveDuplicates({
      images: [img('a'), img('b')],
      edges: [{ a: w('a'), b: w('b') }],
      pending: new Set(['a']),
      frequencies: new Map([['b', 0.9]]),
    });
    expect(statuses(out)).toEqual({ a: 'duplicate', b: 'pending' });
  });

  it('duplicates of an original stay duplicates even with pending pairs', () => {
    const out = resolveDuplicates({ images: [img('a'), img('r', 'reference')], edges: [{ a: w('a'), b: w('r') }], pending: new Set(['a']) });
    expect(out).toHaveLength(1);
    expect(out[0]?.status).toBe('duplicate');
  });

  it('is independent of edge order and ignores self-loops', () => {
    const images = [img('a'), img('b'), img('c'), img('d')];
    const edges = [
      { a: w('d'), b: w('c') },
      { a: w('a'), b: w('b') },
      { a: w('a'), b: w('a') },
    ];
    const one = resolveDuplicates({ images, edges, pending: new Set() });
    const two = resolveDuplicates({ images, edges: [...edges].reverse(), pending: new Set() });
    expect(one).toEqual(two);
    // Unlabelled: every class scores 0, so the highest id is kept (the authors' max over (score, id)).
    expect(kept(one)).toEqual(['b', 'd']);
  });
});

describe("resolveDuplicates: the authors' keeper of a candidates-only component", () => {
  it('the issue example: {c1 (class A, 0.3, ingested first), c2 (A, 0.9)} keeps c2', () => {
    const out = resolveDuplicates({
      images: [img('c1'), img('c2')],
      edges: chain('c1', 'c2'),
      pending: new Set(),
      frequencies: new Map([
        ['c1', 0.3],
        ['c2', 0.9],
      ]),
    });
    expect(statuses(out)).toEqual({ c1: 'duplicate', c2: 'clear' });
    expect(out[1]?.reason).toMatch(/kept: class 0 \(scoring ≥ 0\.7, 1 good candidates overall\), highest frequency 0\.9/);
    expect(new Set(out.map((r) => r.component))).toEqual(new Set(['workspace:c1']));
  });

  it('a manual override wins over every score; two overrides in one component leave it pending', () => {
    const base: ResolveInput = {
      images: [img('c1'), img('c2'), img('c3')],
      edges: chain('c1', 'c2', 'c3'),
      pending: new Set(),
      frequencies: new Map([
        ['c1', 0.3],
        ['c2', 0.9],
        ['c3', 1],
      ]),
    };
    const one = resolveDuplicates({ ...base, overrides: new Set(['c1']) });
    expect(statuses(one)).toEqual({ c1: 'clear', c2: 'duplicate', c3: 'duplicate' });
    expect(one[0]?.reason).toMatch(/manual override/);
    const two = resolveDuplicates({ ...base, overrides: new Set(['c1', 'c2']) });
    expect(statuses(two)).toEqual({ c1: 'pending', c2: 'pending', c3: 'pending' });
    expect(two[0]?.reason).toMatch(/2 overrides in one component/);
  });

  it('among classes scoring ≥ 0.7, the one with the fewest good candidates overall is kept', () => {
    // Class 0 has 3 good candidates in the pool, class 1 only 1: the component's class-1 member is kept
    // although the class-0 member has the higher frequency.
    const images = [img('a0', 'candidate', 0), img('b1', 'candidate', 1), img('g0', 'candidate', 0), img('h0', 'candidate', 0)];
    const frequencies = new Map([
      ['a0', 1],
      ['b1', 0.8],
      ['g0', 0.9],
      ['h0', 0.7],
    ]);
    const out = resolveDuplicates({ images, edges: chain('a0', 'b1'), pending: new Set(), frequencies });
    expect(statuses(out)).toMatchObject({ a0: 'duplicate', b1: 'clear' });
  });

  it('classes below 0.7 are considered only when none reaches it; then ≥ 0.6; then the best score', () => {
    const images = [img('a', 'candidate', 0), img('b', 'candidate', 1), img('c', 'candidate', 2)];
    const edges = chain('a', 'b', 'c');
    // a: 0.75 (the only class ≥ 0.7), although class 1 has fewer good candidates (0).
    expect(
      kept(
        resolveDuplicates({
          images,
          edges,
          pending: new Set(),
          frequencies: new Map([
            ['a', 0.75],
            ['b', 0.65],
            ['c', 0.2],
          ]),
        }),
      ),
    ).toEqual(['a']);
    // None ≥ 0.7: classes 0 and 1 score ≥ 0.6, both with 0 good candidates → the lower class id (0).
    expect(
      kept(
        resolveDuplicates({
          images,
          edges,
          pending: new Set(),
          frequencies: new Map([
            ['a', 0.6],
            ['b', 0.65],
            ['c', 0.2],
          ]),
        }),
      ),
    ).toEqual(['a']);
    // None ≥ 0.6: the best class (c, 0.5).
    expect(
      kept(
        resolveDuplicates({
          images,
          edges,
          pending: new Set(),
          frequencies: new Map([
            ['a', 0.1],
            ['b', 0.3],
            ['c', 0.5],
          ]),
        }),
      ),
    ).toEqual(['c']);
  });

  it('class ties compare class ids as the authors compared wnids: best → highest id, fewest good → lowest id', () => {
    const images = [img('a', 'candidate', 0), img('b', 'candidate', 1)];
    const classIds = new Map([
      [0, 'n02'],
      [1, 'n01'],
    ]);
    // Both score 0.5 (below 0.6): the best by (score, wnid) is the highest wnid, n02 = class 0.
    expect(
      kept(
        resolveDuplicates({
          images,
          edges: chain('a', 'b'),
          pending: new Set(),
          frequencies: new Map([
            ['a', 0.5],
            ['b', 0.5],
          ]),
          classIds,
        }),
      ),
    ).toEqual(['a']);
    // Both ≥ 0.7 with 1 good candidate each: the fewest by (count, wnid) is the lowest wnid, n01 = class 1.
    expect(
      kept(
        resolveDuplicates({
          images,
          edges: chain('a', 'b'),
          pending: new Set(),
          frequencies: new Map([
            ['a', 0.9],
            ['b', 0.9],
          ]),
          classIds,
        }),
      ),
    ).toEqual(['b']);
  });

  it('within the chosen class: highest frequency, ties to the highest id; blacklisted members score 0', () => {
    const images = [img('m1'), img('m2'), img('m3')];
    const edges = chain('m1', 'm2', 'm3');
    expect(
      kept(
        resolveDuplicates({
          images,
          edges,
          pending: new Set(),
          frequencies: new Map([
            ['m1', 0.8],
            ['m2', 0.8],
            ['m3', 0.4],
          ]),
        }),
      ),
    ).toEqual(['m2']);
    expect(
      kept(
        resolveDuplicates({
          images,
          edges,
          pending: new Set(),
          frequencies: new Map([
            ['m1', 0.8],
            ['m2', 0.9],
            ['m3', 0.4],
          ]),
          blacklist: new Set(['m2']),
        }),
      ),
    ).toEqual(['m1']);
  });

  it('blacklisted candidates do not make a class score, nor count as good', () => {
    const images = [img('a', 'candidate', 0), img('b', 'candidate', 1), img('x', 'candidate', 1)];
    // Class 1's only high member is blacklisted: class 0 (0.7) is the only class ≥ 0.7.
    const out = resolveDuplicates({
      images: images.slice(0, 2),
      edges: chain('a', 'b'),
      pending: new Set(),
      frequencies: new Map([
        ['a', 0.7],
        ['b', 0.95],
      ]),
      blacklist: new Set(['b']),
    });
    expect(kept(out)).toEqual(['a']);
    // Pool: y (class 0, 0.9) and x (class 1, 0.9). Unblacklisted, both classes have 2 good candidates
    // and the lower class wins the tie (a); with x blacklisted, class 1 has 1 and its member b is kept.
    const pool = [img('a', 'candidate', 0), img('b', 'candidate', 1), img('x', 'candidate', 1), img('y', 'candidate', 0)];
    const frequencies = new Map([
      ['a', 0.9],
      ['b', 0.8],
      ['x', 0.9],
      ['y', 0.9],
    ]);
    expect(kept(resolveDuplicates({ images: pool, edges: chain('a', 'b'), pending: new Set(), frequencies })).filter((id) => id === 'a' || id === 'b')).toEqual(
      ['a'],
    );
    expect(
      kept(resolveDuplicates({ images: pool, edges: chain('a', 'b'), pending: new Set(), frequencies, blacklist: new Set(['x']) })).filter(
        (id) => id === 'a' || id === 'b',
      ),
    ).toEqual(['b']);
  });

  it('content copies (exact_duplicate_of) are never the keeper', () => {
    const out = resolveDuplicates({
      images: [img('p'), img('q', 'candidate', 1, 'p')],
      edges: chain('p', 'q'),
      pending: new Set(),
      frequencies: new Map([['q', 1]]),
    });
    expect(statuses(out)).toEqual({ p: 'clear', q: 'duplicate' });
    expect(out[1]?.reason).toBe('exact copy of p');
  });
});
