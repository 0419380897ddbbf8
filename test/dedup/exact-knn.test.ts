import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/index.ts';
import {
  checkByteKernel,
  chooseByteKernel,
  exactKnn,
  fileVectors,
  jsDotKernel,
  maxExactByteDimension,
  memoryVectors,
  onnxByteKernel,
  onnxDotKernel,
  prepareByteShard,
  TopK,
  writeVectorFile,
  type ByteDotKernel,
  type ByteKernelFactory,
  type ByteKernelKind,
  type Neighbour,
} from '../../src/dedup/index.ts';

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
        let dist = 0,
          dot = 0,
          na = 0,
          nb = 0;
        for (let t = 0; t < d; t++) {
          const a = q[i * d + t]!,
            b = r[j * d + t]!;
          dist += (a - b) ** 2;
          dot += a * b;
          na += a * a;
          nb += b * b;
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
    expect(top.sorted(0)).toEqual([
      { index: 6, score: 0 },
      { index: 1, score: 1 },
      { index: 3, score: 1 },
    ]);
  });
  it('k = 0 keeps nothing', () => {
    const top = new TopK(2, 0);
    top.push(0, 1, 1);
    expect(top.sorted(0)).toEqual([]);
  });
});

describe('dot kernels', () => {
  it('the 8-bit kernel chosen on this CPU computes q·(r − offset) exactly', async () => {
    const choice = await chooseByteKernel();
    expect(choice.kind).not.toBeNull();
    const d = 70,
      m = 3,
      n = 5;
    const q = Uint8Array.from({ length: m * d }, (_, i) => (i * 41) % 256);
    const r = Float32Array.from({ length: n * d }, (_, i) => (i * 13 + 5) % 256);
    const kernel = await onnxByteKernel(1, choice.kind as ByteKernelKind);
    const dots = await kernel.dots(q, m, kernel.prepareShard(r, n, d), n, d);
    await kernel.close();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += q[i * d + t]! * (r[j * d + t]! - kernel.offset);
        expect(dots[i * n + j]).toBe(dot);
      }
    }
  });

  it('u8×u8 is exact where it is used: q·r with 255 against 255', async () => {
    const kernel = await onnxByteKernel(1, 'u8u8');
    expect(await checkByteKernel(kernel)).toBeNull();
    const d = 33;
    const dots = await kernel.dots(new Uint8Array(d).fill(255), 1, prepareByteShard(new Float32Array(d).fill(255), 1, d, 'u8u8'), 1, d);
    await kernel.close();
    expect(dots[0]).toBe(255 * 255 * d);
  });

  it('vectors too long for int32 accumulators are named: 33,025 values (u8×u8), 65,793 (u8×s8)', () => {
    expect(maxExactByteDimension('u8u8')).toBe(33_025);
    expect(maxExactByteDimension('u8s8')).toBe(65_793);
  });

  it('onnx (MLAS Gemm) and js agree with ‖r‖² − 2 q·r, including sub-array views', async () => {
    const d = 37,
      m = 5,
      n = 9;
    const q = randomVectors(m + 2, d, 1, false);
    const r = randomVectors(n, d, 2, false);
    const norms = new Float32Array(n);
    for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) norms[j] = norms[j]! + r[j * d + t]! ** 2;
    const view = q.subarray(2 * d);
    const onnx = await onnxDotKernel(1);
    const a = await onnx.scores(view, m, r, n, d, norms);
    const b = await jsDotKernel().scores(view, m, r, n, d, norms);
    await onnx.close();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += view[i * d + t]! * r[j * d + t]!;
        expect(a[i * n + j]).toBeCloseTo(norms[j]! - 2 * dot, 4);
        expect(b[i * n + j]).toBeCloseTo(norms[j]! - 2 * dot, 4);
      }
    }
  });
});

/**
 * What MLAS's u8×s8 kernel does on AVX2 CPUs without VNNI (`vpmaddubsw`): adjacent products are
 * summed in pairs with signed 16-bit saturation before the int32 accumulation. A faithful
 * emulation, so that the fallback can be proven on a machine that has VNNI.
 */
function saturatingU8s8Kernel(): ByteDotKernel {
  return {
    kind: 'u8s8',
    offset: 128,
    prepareShard: (refs, n, d) => prepareByteShard(refs, n, d, 'u8s8'),
    async dots(queries, m, shard, n, d) {
      const out = new Int32Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let t = 0; t < d; t += 2) {
            let pair = queries[i * d + t]! * shard[t * n + j]!;
            if (t + 1 < d) pair += queries[i * d + t + 1]! * shard[(t + 1) * n + j]!;
            acc += Math.max(-32768, Math.min(32767, pair));
          }
          out[i * n + j] = acc;
        }
      }
      return out;
    },
    async close() {},
  };
}

/** onnxruntime's kernels, except that u8×s8 behaves as on an AVX2 CPU (and optionally u8×u8 is broken too). */
function avx2Factory(alsoBreakU8u8 = false): ByteKernelFactory {
  return async (threads, kind) => {
    if (kind === 'u8s8') return saturatingU8s8Kernel();
    if (!alsoBreakU8u8) return onnxByteKernel(threads, kind);
    const real = await onnxByteKernel(threads, kind);
    return { ...real, dots: async (...args) => (await real.dots(...args)).map((v) => v + 1) };
  };
}

describe('8-bit kernel self-check and fallback (an AVX2 CPU without VNNI, emulated)', () => {
  it('the saturating kernel reproduces the reported failure: −67121 instead of −63162 on the old test block', async () => {
    const d = 70,
      m = 3,
      n = 5;
    const q = Uint8Array.from({ length: m * d }, (_, i) => (i * 41) % 256);
    const r = Float32Array.from({ length: n * d }, (_, i) => (i * 13 + 5) % 256);
    const kernel = saturatingU8s8Kernel();
    const dots = await kernel.dots(q, m, kernel.prepareShard(r, n, d), n, d);
    let exact = 0;
    for (let t = 0; t < d; t++) exact += q[t]! * (r[t]! - 128);
    expect(exact).toBe(-63162);
    expect(dots[0]).toBe(-67121);
  });

  it('the worst-case block exposes it', async () => {
    expect(await checkByteKernel(saturatingU8s8Kernel())).toMatch(/dot products wrong on a worst-case .*16-bit saturation/);
  });

  it('chooseByteKernel falls back to u8×u8, and to nothing when that fails too', async () => {
    const choice = await chooseByteKernel(avx2Factory());
    expect(choice.kind).toBe('u8u8');
    expect(choice.rejected.map((r) => r.kind)).toEqual(['u8s8']);
    const none = await chooseByteKernel(avx2Factory(true));
    expect(none.kind).toBeNull();
    expect(none.rejected.map((r) => r.kind)).toEqual(['u8s8', 'u8u8']);
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

  it('reports the kernel: 8-bit by default for bytes, float32 on request and for other values', async () => {
    const auto = await exactKnn(memoryVectors(Q, d), [memoryVectors(R1, d)], { k: 2, workers: 0 });
    expect(auto.kernel.name).toMatch(/^int8-u8(s8|u8)$/);
    const float = await exactKnn(memoryVectors(Q, d), [memoryVectors(R1, d)], { k: 2, workers: 0, kernel: 'onnx' });
    expect(float.kernel).toEqual({ name: 'float32', skipped: [] });
  });

  it.each([0, 2])('on a CPU whose u8×s8 path saturates, falls back to u8×u8 and stays exact (workers %i)', async (workers) => {
    // Raw-pixel-like values that saturate 16-bit pair sums: bright queries against bright and dark references.
    const bright = Float32Array.from(Q, (v, i) => (i % 7 === 0 ? v : 255 - (v % 8)));
    const refs = Float32Array.from(R1, (v, i) => (i % 5 === 0 ? v : i % 2 ? 255 : 0));
    refs.set(bright.subarray(0, d), 17 * d);
    // Unchecked, the saturating kernel would get these products wrong.
    const sat = saturatingU8s8Kernel();
    const wrong = await sat.dots(Uint8Array.from(bright.subarray(0, 4 * d)), 4, sat.prepareShard(refs, 130, d), 130, d);
    let exact = 0;
    for (let t = 0; t < d; t++) exact += bright[t]! * (refs[17 * d + t]! - 128);
    expect(wrong[17]).not.toBe(exact);
    const result = await exactKnn(memoryVectors(bright, d), [memoryVectors(refs, d)], {
      k: 5,
      workers,
      shardSize: 32,
      queryBlock: 16,
      byteKernelFactory: avx2Factory(),
    });
    expect(result.kernel.name).toBe('int8-u8u8');
    expect(result.kernel.skipped).toEqual([{ name: 'int8-u8s8', reason: expect.stringMatching(/failed the self-check: .*saturation/) }]);
    expectSame(result.neighbours, bruteForce(bright, [refs], d, 5, 'l2'));
    expect(result.neighbours[0]?.[0]).toEqual({ set: 0, index: 17, distance: 0 });
  });

  it('when no 8-bit formulation is exact, falls back to float32 with the exact re-rank', async () => {
    const result = await exactKnn(memoryVectors(Q, d), [memoryVectors(R1, d), memoryVectors(R2, d)], {
      k: 7,
      workers: 0,
      shardSize: 32,
      byteKernelFactory: avx2Factory(true),
    });
    expect(result.kernel.name).toBe('float32');
    expect(result.kernel.skipped.map((s) => s.name)).toEqual(['int8-u8s8', 'int8-u8u8']);
    expectSame(result.neighbours, bruteForce(Q, [R1, R2], d, 7, 'l2'));
  });

  it('vectors longer than 65,793 bytes take float32 (int32 accumulators would overflow) and say so', async () => {
    const long = 70_000;
    const q = new Float32Array(2 * long).fill(255);
    const r = new Float32Array(3 * long).fill(255);
    r.fill(0, long, 2 * long);
    const result = await exactKnn(memoryVectors(q, long), [memoryVectors(r, long)], { k: 2, workers: 0 });
    expect(result.kernel.name).toBe('float32');
    expect(result.kernel.skipped.at(-1)?.reason).toMatch(/overflow its int32 accumulators/);
    expect(result.neighbours[0]?.map((n) => [n.index, n.distance])).toEqual([
      [0, 0],
      [2, 0],
    ]);
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
    await expect(exactKnn(memoryVectors(Q, d), [memoryVectors(randomVectors(3, 5, 1), 5)], { k: 1, workers: 0 })).rejects.toThrow(
      /different descriptor lengths/,
    );
  });
});
