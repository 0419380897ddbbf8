/**
 * Run-time self-check of the 8-bit kernels (DESIGN §1.5: exact search on every CPU). The integer
 * GEMM's exactness depends on the CPU: MLAS's u8×s8 path saturates 16-bit pair sums on AVX2
 * machines without VNNI. Before a search uses a formulation, it is run on a worst-case block
 * (values whose adjacent products overflow int16: 255 against ±128) and compared entry by entry
 * with plain integer arithmetic; the first formulation that matches is used, and when none does,
 * exact search falls back to float32 with a float64 re-rank. The answer is cached per process
 * (the CPU does not change), per factory.
 */
import { maxExactByteDimension, onnxByteKernel, type ByteDotKernel, type ByteKernelKind } from './dot-kernel.ts';

/** Creates the kernel of one formulation (the default: onnxruntime's; tests inject others). */
export type ByteKernelFactory = (threads: number, kind: ByteKernelKind) => Promise<ByteDotKernel>;

/** The formulations tried, fastest first. */
export const BYTE_KERNEL_ORDER: readonly ByteKernelKind[] = ['u8s8', 'u8u8'];

/** What the self-check decided. */
export interface ByteKernelChoice {
  /** The first formulation that computed the worst-case block exactly, or null when none did. */
  kind: ByteKernelKind | null;
  /** Formulations tried before it and why they were rejected, in order. */
  rejected: { kind: ByteKernelKind; reason: string }[];
}

/** One block of the check: `m` uint8 queries × `n` references (0…255) of length `d`. */
interface CheckBlock {
  m: number;
  n: number;
  d: number;
  queries: Uint8Array;
  refs: Float32Array;
}

/**
 * Worst-case blocks: rows and columns of 255 (r − 128 = 127), 0 (−128), alternating 255/0 and
 * pseudo-random values, in a 1-row block (the GEMV path some kernels take) and a 9 × 37 block, with
 * an odd length so that tails are exercised too.
 */
export function worstCaseBlocks(): CheckBlock[] {
  const d = 515;
  let state = 0x9e3779b9;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 16) & 255;
  };
  const pattern = (row: number, t: number): number => {
    switch (row % 6) {
      case 0:
        return 255;
      case 1:
        return 0;
      case 2:
        return t % 2 === 0 ? 255 : 0;
      case 3:
        return t % 4 < 2 ? 255 : 1;
      case 4:
        return 128;
      default:
        return random();
    }
  };
  const block = (m: number, n: number, rowShift: number): CheckBlock => {
    const queries = new Uint8Array(m * d);
    for (let i = 0; i < m; i++) for (let t = 0; t < d; t++) queries[i * d + t] = pattern(i, t);
    const refs = new Float32Array(n * d);
    for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) refs[j * d + t] = pattern(j + rowShift, t);
    return { m, n, d, queries, refs };
  };
  return [block(1, 13, 0), block(9, 37, 3)];
}

/** q·(r − offset) in plain arithmetic (exact: every partial sum is an integer below 2⁵³). */
function referenceDots(b: CheckBlock, offset: number): Float64Array {
  const out = new Float64Array(b.m * b.n);
  for (let i = 0; i < b.m; i++) {
    for (let j = 0; j < b.n; j++) {
      let s = 0;
      for (let t = 0; t < b.d; t++) s += b.queries[i * b.d + t]! * (b.refs[j * b.d + t]! - offset);
      out[i * b.n + j] = s;
    }
  }
  return out;
}

/** Null when `kernel` computes every worst-case block exactly, else what went wrong. */
export async function checkByteKernel(kernel: ByteDotKernel): Promise<string | null> {
  for (const b of worstCaseBlocks()) {
    const expected = referenceDots(b, kernel.offset);
    let got: Int32Array;
    try {
      got = await kernel.dots(b.queries, b.m, kernel.prepareShard(b.refs, b.n, b.d), b.n, b.d);
    } catch (error) {
      return `failed to run: ${(error as Error).message}`;
    }
    let wrong = 0;
    let first = -1;
    for (let e = 0; e < expected.length; e++) {
      if (got[e] !== expected[e]) {
        wrong++;
        if (first < 0) first = e;
      }
    }
    if (got.length !== expected.length) return `returned ${got.length} values for a ${b.m}×${b.n} block`;
    if (wrong > 0) {
      return `${wrong} of ${expected.length} dot products wrong on a worst-case ${b.m}×${b.n}×${b.d} block (e.g. ${got[first]} instead of ${expected[first]}: 16-bit saturation of pair sums, as MLAS's u8×s8 path does on AVX2 CPUs without VNNI)`;
    }
  }
  return null;
}

const defaultFactory: ByteKernelFactory = (threads, kind) => onnxByteKernel(threads, kind);
const cache = new Map<ByteKernelFactory, Promise<ByteKernelChoice>>();

/**
 * The fastest 8-bit formulation that is exact on this CPU (checked once per process and factory).
 * `factory` defaults to onnxruntime's kernels; a test passes one that returns a saturating kernel
 * to prove that the fallback is taken.
 */
export function chooseByteKernel(factory: ByteKernelFactory = defaultFactory): Promise<ByteKernelChoice> {
  let choice = cache.get(factory);
  if (!choice) {
    choice = probe(factory);
    cache.set(factory, choice);
    // A failure to probe (e.g. onnxruntime missing) is not remembered.
    choice.catch(() => cache.delete(factory));
  }
  return choice;
}

async function probe(factory: ByteKernelFactory): Promise<ByteKernelChoice> {
  const rejected: ByteKernelChoice['rejected'] = [];
  for (const kind of BYTE_KERNEL_ORDER) {
    const kernel = await factory(1, kind);
    let reason: string | null;
    try {
      reason = await checkByteKernel(kernel);
    } finally {
      await kernel.close();
    }
    if (reason === null) return { kind, rejected };
    rejected.push({ kind, reason });
  }
  return { kind: null, rejected };
}

/** Names of the kernels as reported (`--json`, benchmarks). */
export const KERNEL_NAMES = { u8s8: 'int8-u8s8', u8u8: 'int8-u8u8', onnx: 'float32', js: 'js' } as const;

/** Why a vector length rules the 8-bit path out, or null when it fits every formulation's accumulators. */
export function byteDimensionProblem(d: number, kind: ByteKernelKind): string | null {
  const max = maxExactByteDimension(kind);
  return d > max ? `${d} values per vector would overflow its int32 accumulators (at most ${max})` : null;
}
