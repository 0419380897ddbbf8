import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/index.ts';
import { exactKnn, fileVectors, jsDotKernel, memoryVectors, onnxByteKernel, onnxDotKernel, prepareByteShard, TopK, writeVectorFile, type Neighbour } from '../../src/dedup/index.ts';

function randomVectors(n: number, d: number, seed: number, integer = true): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = integer ? rng.int(256) : rng.next() * 2 - 1;
  return out;
}

/** Brute force in float64: the specification. */
function bruteForce(q: Float32Array, refs: Float32Array[], d: number, k: number, metric: 'l2' | 'cosine', self: number[] = []): Neighbour[][] {
  const out: Neighbour[][] = [];
  for (let i = 0; i < q.length / d; i++) {
    const all: Neighbour[] = [];
    refs.forEach((r, s) => {
      for (let j = 0; j < r.length / d; j++) {
        if (self.includes(s) && i === j) continue;
        let dist = 0, dot = 0, na = 0, nb = 0;
        for (let t = 0; t < d; t++) {
          const a = q[i * d + t] as number, b = r[j * d + t] as number;
          dist += (a - b) ** 2; dot += a * b; na += a * a; nb += b * b;
        }
        all.push({ set: s, index: j, distance: metric === 'l2' ? dist : 1 - dot / Math.sqrt(na * nb) });
      }
    });
    out.push(all.sort((a, b) => a.distance - b.distance || a.set - b.set || a.index - b.index).slice(0, k));
  }
  return out;
}

function expectSame(actual: Neighbour[][], expected: Neighbour[][]) {
  expect(actual.length).toBe(expected.length);
  for (const [i, list] of expected.entries()) {
    expect(actual[i]?.map((n) => [n.set, n.index])).toEqual(list.map((n) => [n.set, n.index]));
    for (const [j, n] of list.entries()) expect(actual[i]?.[j]?.distance).toBeCloseTo(n.distance, 6);
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('TopK', () => {
  it('keeps the k smallest scores, ties by lower index', () => {
    const top = new TopK(1, 3);
    [5, 1, 4, 1, 3, 9, 0].forEach((s, i) => top.push(0, s, i));
    expect(top.sorted(0)).toEqual([{ index: 6, score: 0 }, { index: 1, score: 1 }, { index: 3, score: 1 }]);
  });
  it('k = 0 keeps nothing', () => {
    const top = new TopK(2, 0);
    top.push(0, 1, 1);
    expect(top.sorted(0)).toEqual([]);
  });
});

describe('dot kernels', () => {
  it('the 8-bit kernel computes q·(r − 128) exactly', async () => {
    const d = 70, m = 3, n = 5;
    const q = Uint8Array.from({ length: m * d }, (_, i) => (i * 41) % 256);
    const r = Float32Array.from({ length: n * d }, (_, i) => (i * 13 + 5) % 256);
    const kernel = await onnxByteKernel(1);
    const dots = await kernel.dots(q, m, prepareByteShard(r, n, d), n, d);
    await kernel.close();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += (q[i * d + t] as number) * ((r[j * d + t] as number) - 128);
        expect(dots[i * n + j]).toBe(dot);
      }
    }
  });

  it('onnx (MLAS Gemm) and js agree with ‖r‖² − 2 q·r, including sub-array views', async () => {
    const d = 37, m = 5, n = 9;
    const q = randomVectors(m + 2, d, 1, false);
    const r = randomVectors(n, d, 2, false);
    const norms = new Float32Array(n);
    for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) norms[j] = (norms[j] as number) + (r[j * d + t] as number) ** 2;
    const view = q.subarray(2 * d);
    const onnx = await onnxDotKernel(1);
    const a = await onnx.scores(view, m, r, n, d, norms);
    const b = await jsDotKernel().scores(view, m, r, n, d, norms);
    await onnx.close();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += (view[i * d + t] as number) * (r[j * d + t] as number);
        expect(a[i * n + j]).toBeCloseTo((norms[j] as number) - 2 * dot, 4);
        expect(b[i * n + j]).toBeCloseTo((norms[j] as number) - 2 * dot, 4);
      }
    }
  });
});

describe('exactKnn', () => {
  const d = 48;
  const Q = randomVectors(70, d, 3);
  const R1 = randomVectors(130, d, 4);
  const R2 = randomVectors(45, d, 5);
  // Plant exact copies and a near copy.
  R1.set(Q.subarray(0, d), 17 * d);
  R2.set(Q.subarray(5 * d, 6 * d), 3 * d);

  it.each([
    { workers: 0, kernel: 'onnx' as const },
    { workers: 0, kernel: 'js' as const },
    { workers: 2, kernel: 'onnx' as const },
    { workers: 0, kernel: 'bytes' as const },
    { workers: 2, kernel: 'auto' as const },
  ])('matches brute force over two reference sets in small shards and blocks (%o)', async ({ workers, kernel }) => {
    const result = await exactKnn(memoryVectors(Q, d), [memoryVectors(R1, d), memoryVectors(R2, d)], { k: 7, workers, kernel, shardSize: 32, queryBlock: 16 });
    expectSame(result.neighbours, bruteForce(Q, [R1, R2], d, 7, 'l2'));
    expect(result.neighbours[0]?.[0]).toEqual({ set: 0, index: 17, distance: 0 });
    expect(result.neighbours[5]?.[0]).toEqual({ set: 1, index: 3, distance: 0 });
  });

  it('excludes self-matches when a set is searched against itself', async () => {
    const result = await exactKnn(memoryVectors(Q, d), [memoryVectors(Q, d), memoryVectors(R1, d)], { k: 5, workers: 0, excludeSelfIn: [0], shardSize: 25 });
    expectSame(result.neighbours, bruteForce(Q, [Q, R1], d, 5, 'l2', [0]));
    for (const [i, list] of result.neighbours.entries()) expect(list.some((n) => n.set === 0 && n.index === i)).toBe(false);
  });

  it('cosine distances match brute force', async () => {
    const q = randomVectors(20, d, 6, false);
    const r = randomVectors(60, d, 7, false);
    const result = await exactKnn(memoryVectors(q, d), [memoryVectors(r, d)], { k: 4, metric: 'cosine', workers: 0, shardSize: 16 });
    expectSame(result.neighbours, bruteForce(q, [r], d, 4, 'cosine'));
  });

  it('streams references from a float32 file on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retest-knn-'));
    dirs.push(dir);
    writeVectorFile(join(dir, 'r.f32'), R1);
    const result = await exactKnn(memoryVectors(Q, d), [fileVectors(join(dir, 'r.f32'), d)], { k: 3, workers: 2, shardSize: 40 });
    expectSame(result.neighbours, bruteForce(Q, [R1], d, 3, 'l2'));
  });

  it('k larger than the references returns every reference; k = 0 returns empty lists', async () => {
    const small = randomVectors(4, d, 8);
    const all = await exactKnn(memoryVectors(Q.subarray(0, 2 * d), d), [memoryVectors(small, d)], { k: 10, workers: 0 });
    expect(all.neighbours.map((l) => l.length)).toEqual([4, 4]);
    const none = await exactKnn(memoryVectors(Q.subarray(0, 2 * d), d), [memoryVectors(small, d)], { k: 0, workers: 0 });
    expect(none.neighbours).toEqual([[], []]);
  });

  it('the bytes kernel (exact 8-bit GEMM) is refused for values that are not integers 0…255', async () => {
    const q = randomVectors(3, d, 9, false);
    await expect(exactKnn(memoryVectors(q, d), [memoryVectors(R1, d)], { k: 1, workers: 0, kernel: 'bytes' })).rejects.toThrow(/integers 0…255/);
    // 'auto' falls back to float32 for them.
    const auto = await exactKnn(memoryVectors(q, d), [memoryVectors(R1, d)], { k: 2, workers: 0 });
    expectSame(auto.neighbours, bruteForce(q, [R1], d, 2, 'l2'));
  });

  it('rejects references of another length', async () => {
    await expect(exactKnn(memoryVectors(Q, d), [memoryVectors(randomVectors(3, 5, 1), 5)], { k: 1, workers: 0 })).rejects.toThrow(/different descriptor lengths/);
  });
});
