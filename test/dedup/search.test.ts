import { describe, expect, it } from 'vitest';
import { approximateKnn, arraySource, exactKnn, memoryVectors, parseDescriptor, recallAtK, searchSources } from '../../src/dedup/index.ts';
import { noiseImage, nudged } from './workspace-fixture.ts';

function set(count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) out.set(noiseImage(seed + i), i * 3072);
  return out;
}

describe('searchSources', () => {
  const refs = set(60, 1000);
  const queries = new Uint8Array(4 * 3072);
  queries.set(refs.subarray(10 * 3072, 11 * 3072), 0);
  queries.set(nudged(refs.subarray(42 * 3072, 43 * 3072), 5), 3072);
  queries.set(set(2, 5000), 2 * 3072);
  const q = arraySource('q', 'q', { count: 4, width: 32, height: 32, pixels: queries });
  const r = arraySource('r', 'r', { count: 60, width: 32, height: 32, pixels: refs });

  it('gives the same neighbours whether descriptors stay in memory or spill to a float32 file', async () => {
    const d = parseDescriptor('pixels-std');
    const inMemory = await searchSources(q, [r], d, { k: 3, workers: 0 });
    const onDisk = await searchSources(q, [r], d, { k: 3, workers: 1, memoryLimitBytes: 1, batch: 7 });
    expect(onDisk.neighbours).toEqual(inMemory.neighbours);
    expect(inMemory.neighbours[0]?.[0]).toEqual({ set: 0, index: 10, distance: 0 });
    expect(inMemory.neighbours[1]?.[0]?.index).toBe(42);
    expect(inMemory.descriptor).toBe('pixels-std');
  });

  it("a reference set with the query set's key is described once and searched without self-matches", async () => {
    const result = await searchSources(r, [r], parseDescriptor('pixels'), { k: 2, workers: 0 });
    result.neighbours.forEach((list, i) => expect(list.map((n) => n.index)).not.toContain(i));
  });
});

describe('approximateKnn (HNSW + exact re-rank)', () => {
  it('finds the exact top-k on a small set, with recall reported against exact search', async () => {
    const d = 16;
    const n = 500;
    const refs = new Float32Array(n * d).map((_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const queries = refs.slice(0, 50 * d).map((v, i) => v + 0.001 * Math.cos(i));
    const exact = await exactKnn(memoryVectors(queries, d), [memoryVectors(refs, d)], { k: 5, workers: 0 });
    const approx = await approximateKnn({
      queries,
      references: refs,
      dimension: d,
      k: 5,
      shortList: 50,
      exact: { queries: memoryVectors(queries, d), references: memoryVectors(refs, d), metric: 'l2' },
      threads: 1,
    });
    expect(approx.neighbours.map((l) => l[0]?.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(recallAtK(approx.neighbours, exact.neighbours, 5)).toBeGreaterThanOrEqual(0.98);
    expect(approx.buildSeconds).toBeGreaterThan(0);
  });

  it('excludes self when asked', async () => {
    const d = 8;
    const v = new Float32Array(40 * d).map((_, i) => (i * 7919) % 97);
    const approx = await approximateKnn({ queries: v, references: v, dimension: d, k: 3, excludeSelf: true, threads: 1 });
    approx.neighbours.forEach((list, i) => expect(list.map((n) => n.index)).not.toContain(i));
  });
});
