/**
 * The hot loop of exact search: scores S = ‖r‖² − 2 Q·Rᵀ for a block of queries against a shard of
 * references (adding ‖q‖² later gives the squared distance; it does not change a query's ranking).
 *
 * Two kernels behind one interface:
 * - 'onnx': a one-node ONNX graph `Gemm(Q, R, C; transB=1, alpha=−2, beta=1)` built here with
 *   onnx-proto and run by onnxruntime on the CPU, i.e. MLAS's SGEMM (AVX2/AVX-512, packed panels).
 * - 'js': plain loops with four accumulators, for tests and as the measured baseline.
 */
import { createSession, type OnnxSession } from '../onnx/index.ts';
import { loadOnnxProto } from './onnx-proto.ts';

export interface DotKernel {
  /** Which implementation. */
  readonly kind: 'onnx' | 'js';
  /**
   * Scores of `m` queries (row-major m×d) against `n` references (row-major n×d) whose squared
   * norms are `refNorms` (length n): out[i·n + j] = refNorms[j] − 2 q_i·r_j. Returns m×n floats.
   */
  scores(queries: Float32Array, m: number, refs: Float32Array, n: number, d: number, refNorms: Float32Array): Promise<Float32Array>;
  /** Frees the session. */
  close(): Promise<void>;
}

/** The ModelProto bytes of the Gemm graph (inputs Q [m,d], R [n,d], C [1,n]; output S [m,n]). */
export function gemmGraphBytes(): Uint8Array {
  const onnx = loadOnnxProto();
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const value = (name: string, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((x) => (typeof x === 'string' ? { dimParam: x } : { dimValue: x })) } } },
    });
  const { INT, FLOAT: FLOAT_ATTR } = onnx.AttributeProto.AttributeType;
  const graph = onnx.GraphProto.create({
    name: 'retest_dedup_scores',
    node: [
      onnx.NodeProto.create({
        opType: 'Gemm',
        input: ['Q', 'R', 'C'],
        output: ['S'],
        attribute: [
          onnx.AttributeProto.create({ name: 'transB', type: INT, i: 1 }),
          onnx.AttributeProto.create({ name: 'alpha', type: FLOAT_ATTR, f: -2 }),
          onnx.AttributeProto.create({ name: 'beta', type: FLOAT_ATTR, f: 1 }),
        ],
      }),
    ],
    input: [value('Q', ['m', 'd']), value('R', ['n', 'd']), value('C', [1, 'n'])],
    output: [value('S', ['m', 'n'])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'retest', opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/** onnxruntime's MLAS SGEMM; `threads` intra-op threads (1 when each worker thread owns one). */
export async function onnxDotKernel(threads = 1): Promise<DotKernel> {
  let session: OnnxSession | null = await createSession(gemmGraphBytes(), { threads });
  return {
    kind: 'onnx',
    async scores(queries, m, refs, n, d, refNorms) {
      if (!session) throw new Error('dot kernel used after close()');
      const out = await session.run({
        Q: { data: queries.length === m * d ? queries : queries.subarray(0, m * d), dims: [m, d] },
        R: { data: refs.length === n * d ? refs : refs.subarray(0, n * d), dims: [n, d] },
        C: { data: refNorms.length === n ? refNorms : refNorms.subarray(0, n), dims: [1, n] },
      });
      return (out.S as { data: Float32Array }).data;
    },
    async close() {
      await session?.release();
      session = null;
    },
  };
}

/** Plain JavaScript loops (four accumulators, references blocked by 4). */
export function jsDotKernel(): DotKernel {
  return {
    kind: 'js',
    async scores(queries, m, refs, n, d, refNorms) {
      const out = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        const qo = i * d;
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const r0 = j * d,
            r1 = r0 + d,
            r2 = r1 + d,
            r3 = r2 + d;
          let s0 = 0,
            s1 = 0,
            s2 = 0,
            s3 = 0;
          for (let t = 0; t < d; t++) {
            const q = queries[qo + t]!;
            s0 += q * refs[r0 + t]!;
            s1 += q * refs[r1 + t]!;
            s2 += q * refs[r2 + t]!;
            s3 += q * refs[r3 + t]!;
          }
          out[i * n + j] = refNorms[j]! - 2 * s0;
          out[i * n + j + 1] = refNorms[j + 1]! - 2 * s1;
          out[i * n + j + 2] = refNorms[j + 2]! - 2 * s2;
          out[i * n + j + 3] = refNorms[j + 3]! - 2 * s3;
        }
        for (; j < n; j++) {
          const ro = j * d;
          let s = 0;
          for (let t = 0; t < d; t++) s += queries[qo + t]! * refs[ro + t]!;
          out[i * n + j] = refNorms[j]! - 2 * s;
        }
      }
      return out;
    },
    async close() {},
  };
}

/** The kernel named by `kind`. */
export function createDotKernel(kind: 'onnx' | 'js', threads = 1): Promise<DotKernel> {
  return kind === 'onnx' ? onnxDotKernel(threads) : Promise.resolve(jsDotKernel());
}

/**
 * The 8-bit formulations for vectors whose values are integers 0…255 (raw pixels at their own size),
 * both onnxruntime's `MatMulInteger` (MLAS integer GEMM, int32 accumulators):
 * - 'u8s8': A uint8 [m,d] × B int8 [d,n] with B = (r − 128)ᵀ, so q·r = q·(r − 128) + 128·Σq. The
 *   fast path (AVX-512 VNNI / AVX-VNNI: about 3× the float32 rate), but on x86-64 CPUs with AVX2 and
 *   no VNNI, MLAS adds pairs of u8×s8 products with 16-bit saturation (`vpmaddubsw`), so it is wrong
 *   whenever two adjacent products sum past ±32,767 — most raw-pixel searches.
 * - 'u8u8': A uint8 × B uint8 with B = rᵀ: products are widened to 16 bits before the pair sums
 *   (`vpmaddwd` on AVX2), exact on every CPU tried, about half the u8s8 rate.
 * Which one runs is decided at run time by `chooseByteKernel` (src/dedup/kernel-check.ts), which
 * checks each on a worst-case block against plain integer arithmetic.
 */
export type ByteKernelKind = 'u8s8' | 'u8u8';

/** The operand a formulation's B holds: r − 128 as int8 ('u8s8') or r itself as uint8 ('u8u8'). */
export type ByteShard = Int8Array | Uint8Array;

export interface ByteDotKernel {
  /** Which formulation. */
  readonly kind: ByteKernelKind;
  /** What is subtracted from every reference value before the product: 128 ('u8s8') or 0 ('u8u8'). */
  readonly offset: 0 | 128;
  /** The shard as this kernel's B (d×n), from n×d float values 0…255. */
  prepareShard(refs: Float32Array, n: number, d: number): ByteShard;
  /** Dot products q_i·(r_j − offset) for `m` uint8 queries (m×d) and a prepared shard. */
  dots(queries: Uint8Array, m: number, shard: ByteShard, n: number, d: number): Promise<Int32Array>;
  close(): Promise<void>;
}

/**
 * Largest vector length whose dot products cannot overflow the int32 accumulators: 255·128·d for
 * u8s8 (65,793 values), 255·255·d for u8u8 (33,025); raw 256² pixels (196,608 values) are beyond both.
 */
export function maxExactByteDimension(kind: ByteKernelKind): number {
  return Math.floor((2 ** 31 - 1) / (kind === 'u8s8' ? 255 * 128 : 255 * 255));
}

/** The shard as B = (r − offset)ᵀ, d×n, from n×d float values 0…255 (int8 for offset 128, uint8 for 0). */
export function prepareByteShard(refs: Float32Array, n: number, d: number, kind: ByteKernelKind = 'u8s8'): ByteShard {
  const out = kind === 'u8s8' ? new Int8Array(d * n) : new Uint8Array(d * n);
  const offset = kind === 'u8s8' ? 128 : 0;
  // Tiled transpose: 64×64 tiles keep both sides in cache.
  for (let j0 = 0; j0 < n; j0 += 64) {
    const j1 = Math.min(n, j0 + 64);
    for (let t0 = 0; t0 < d; t0 += 64) {
      const t1 = Math.min(d, t0 + 64);
      for (let j = j0; j < j1; j++) {
        const base = j * d;
        for (let t = t0; t < t1; t++) out[t * n + j] = refs[base + t]! - offset;
      }
    }
  }
  return out;
}

/** The ModelProto bytes of `MatMulInteger(A uint8 [m,d], B int8|uint8 [d,n]) → Y int32 [m,n]`. */
export function byteGemmGraphBytes(kind: ByteKernelKind = 'u8s8'): Uint8Array {
  const onnx = loadOnnxProto();
  const T = onnx.TensorProto.DataType;
  const value = (name: string, elemType: number, dims: string[]) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((x) => ({ dimParam: x })) } } } });
  const graph = onnx.GraphProto.create({
    name: 'retest_dedup_byte_dots',
    node: [onnx.NodeProto.create({ opType: 'MatMulInteger', input: ['A', 'B'], output: ['Y'] })],
    input: [value('A', T.UINT8, ['m', 'd']), value('B', kind === 'u8s8' ? T.INT8 : T.UINT8, ['d', 'n'])],
    output: [value('Y', T.INT32, ['m', 'n'])],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'retest', opsetImport: [{ domain: '', version: 13 }], graph })).finish();
}

/**
 * onnxruntime's integer GEMM (MatMulInteger) in formulation `kind`, through the one onnxruntime
 * adapter. Exact only where `chooseByteKernel` says so: use that, not this, to pick `kind`.
 */
export async function onnxByteKernel(threads = 1, kind: ByteKernelKind = 'u8s8'): Promise<ByteDotKernel> {
  let session: OnnxSession | null = await createSession(byteGemmGraphBytes(kind), { threads });
  return {
    kind,
    offset: kind === 'u8s8' ? 128 : 0,
    prepareShard: (refs, n, d) => prepareByteShard(refs, n, d, kind),
    async dots(queries, m, shard, n, d) {
      if (!session) throw new Error('byte kernel used after close()');
      const out = await session.runTyped({
        A: { data: queries.length === m * d ? queries : queries.subarray(0, m * d), dims: [m, d] },
        B: { data: shard, dims: [d, n] },
      });
      return out.Y!.data as Int32Array;
    },
    async close() {
      await session?.release();
      session = null;
    },
  };
}
