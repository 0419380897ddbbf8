import { describe, expect, it } from 'vitest';
import { resolveDuplicates } from '../../src/dedup/index.ts';

const img = (id: string, role: 'candidate' | 'reference' = 'candidate', createdAt = '2026-01-01T00:00:00Z') => ({ id, role, createdAt });
const w = (id: string) => `workspace:${id}`;

describe('resolveDuplicates', () => {
  it('a lone candidate without pending pairs is clear', () => {
    expect(resolveDuplicates({ images: [img('a')], edges: [], pending: new Set() })).toEqual([{ imageId: 'a', status: 'clear', reason: 'no duplicate found', component: null }]);
  });

  it('a lone candidate with an undecided pair is pending', () => {
    expect(resolveDuplicates({ images: [img('a')], edges: [], pending: new Set(['a']) })[0]?.status).toBe('pending');
  });

  it('a component touching a workspace original is excluded whole, even through a chain of candidates', () => {
    const out = resolveDuplicates({
      images: [img('c1'), img('c2'), img('c3'), img('r1', 'reference'), img('c4')],
      edges: [{ a: w('c1'), b: w('c2') }, { a: w('c2'), b: w('c3') }, { a: w('c3'), b: w('r1') }],
      pending: new Set(),
    });
    expect(Object.fromEntries(out.map((r) => [r.imageId, r.status]))).toEqual({ c1: 'duplicate', c2: 'duplicate', c3: 'duplicate', c4: 'clear' });
    expect(out.map((r) => r.imageId)).not.toContain('r1');
  });

  it('an edge to an external original (set:index) excludes the component', () => {
    const out = resolveDuplicates({ images: [img('c1'), img('c2')], edges: [{ a: w('c1'), b: 'cifar10-train:123' }, { a: w('c1'), b: w('c2') }], pending: new Set() });
    expect(out.every((r) => r.status === 'duplicate')).toBe(true);
    expect(out[0]?.reason).toMatch(/cifar10-train:123/);
  });

  it('a component of candidates only keeps exactly one: the earliest, ties by lowest id', () => {
    const out = resolveDuplicates({
      images: [img('b', 'candidate', '2026-01-02'), img('a', 'candidate', '2026-01-03'), img('c', 'candidate', '2026-01-02')],
      edges: [{ a: w('a'), b: w('b') }, { a: w('b'), b: w('c') }],
      pending: new Set(),
    });
    expect(Object.fromEntries(out.map((r) => [r.imageId, r.status]))).toEqual({ b: 'clear', a: 'duplicate', c: 'duplicate' });
    expect(out.filter((r) => r.status === 'clear')).toHaveLength(1);
    expect(new Set(out.map((r) => r.component))).toEqual(new Set(['workspace:a']));
  });

  it('the keeper stays pending while any member has undecided pairs; excluded members stay duplicates', () => {
    const out = resolveDuplicates({ images: [img('a'), img('b')], edges: [{ a: w('a'), b: w('b') }], pending: new Set(['b']) });
    expect(Object.fromEntries(out.map((r) => [r.imageId, r.status]))).toEqual({ a: 'pending', b: 'duplicate' });
  });

  it('duplicates of an original stay duplicates even with pending pairs', () => {
    const out = resolveDuplicates({ images: [img('a'), img('r', 'reference')], edges: [{ a: w('a'), b: w('r') }], pending: new Set(['a']) });
    expect(out).toHaveLength(1);
    expect(out[0]?.status).toBe('duplicate');
  });

  it('is independent of edge order and ignores self-loops', () => {
    const images = [img('a'), img('b'), img('c'), img('d')];
    const edges = [{ a: w('d'), b: w('c') }, { a: w('a'), b: w('b') }, { a: w('a'), b: w('a') }];
    const one = resolveDuplicates({ images, edges, pending: new Set() });
    const two = resolveDuplicates({ images, edges: [...edges].reverse(), pending: new Set() });
    expect(one).toEqual(two);
    expect(one.filter((r) => r.status === 'clear').map((r) => r.imageId)).toEqual(['a', 'c']);
  });
});
