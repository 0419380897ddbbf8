/**
 * `npm run bench:dedup [-- --size small|full] [--skip-numpy] [--skip-hnsw] [--with-float] [--python PATH]`
 *
 * Exact top-10 near-duplicate search on raw CIFAR pixels (3,072 values per image):
 *   A. 10,000 test images × 4,000 training images
 *   B. 10,000 test images × 50,000 references (the 4,000 tiled)
 * with retest's exact k-NN (onnxruntime's exact 8-bit integer GEMM for 0–255 pixel values, or its
 * float32 SGEMM with a float64 re-rank, in worker threads, top-k per query) next to numpy + OpenBLAS computing the same distance matrix (‖q‖² + ‖r‖² − 2QRᵀ, float32,
 * in 2,000-query blocks) and top-k (argpartition + sort) in the same run. Then the HNSW index
 * (usearch) over 8²-downsampled standardized pixels with an exact re-rank of 100 candidates:
 * build/query time and recall@10 against exact search on the full standardized pixels.
 * `--size small` runs 1,000 queries (for development on a shared machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  approximateKnn,
  arraySource,
  describeSource,
  exactKnn,
  jsDotKernel,
  memoryVectors,
  onnxByteKernel,
  onnxDotKernel,
  parseDescriptor,
  prepareByteShard,
  type Neighbour,
} from '../src/dedup/index.ts';
import { readCifarBin } from '../src/formats/index.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const size = value('--size', 'full');
const shared = resolve(process.env.RETEST_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'));
const testFile = join(shared, 'data', 'cifar10', 'test_batch_jpeg10000.bin');
const trainFile = join(shared, 'data', 'cifar10', 'data_batch_1_first4000.bin');
const python = value('--python', existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const K = 10;
const D = 3072;

function log(line: string) {
  process.stdout.write(`${line}\n`);
}

/** Raw pixels (HWC, 0–255) as float32. */
function floats(pixels: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(count * D * 4));
  for (let i = 0; i < count * D; i++) out[i] = pixels[i] as number;
  return out;
}

function tiled(base: Float32Array, baseCount: number, count: number): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(count * D * 4));
  for (let i = 0; i < count; i++) out.set(base.subarray((i % baseCount) * D, ((i % baseCount) + 1) * D), i * D);
  return out;
}

const NUMPY = String.raw`
import sys, time, json, numpy as np
test_file, train_file, nq, nr, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
def load(path, n):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:, 1:]
    # HWC order, as retest describes images (distances do not depend on the order anyway).
    return raw.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).reshape(-1, 3072)[:n].astype(np.float32)
Q = load(test_file, nq)
base = load(train_file, 4000)
R = np.tile(base, (nr // len(base) + 1, 1))[:nr].copy()
t0 = time.perf_counter()
qn = np.einsum('ij,ij->i', Q, Q)
rn = np.einsum('ij,ij->i', R, R)
idx = np.empty((nq, k), dtype=np.int64); dist = np.empty((nq, k), dtype=np.float32)
B = 2000
for s in range(0, nq, B):
    S = Q[s:s+B] @ R.T
    S *= -2; S += rn[None, :]; S += qn[s:s+B, None]
    part = np.argpartition(S, k, axis=1)[:, :k]
    pd = np.take_along_axis(S, part, axis=1)
    order = np.argsort(pd, axis=1, kind='stable')
    idx[s:s+B] = np.take_along_axis(part, order, axis=1); dist[s:s+B] = np.take_along_axis(pd, order, axis=1)
secs = time.perf_counter() - t0
try:
    cfg = np.__config__.blas_opt_info.get('libraries', [])
except Exception:
    cfg = []
np.save(out + '_dist.npy', dist)
np.save(out + '_idx.npy', idx.astype(np.int32))
print(json.dumps({'seconds': secs, 'numpy': np.__version__, 'blas': cfg}))
`;

interface NumpyRun {
  seconds: number;
  numpy: string;
  dist: Float32Array;
  idx: Int32Array;
}

/** The data of a float32/int32 NPY 1.0 file. */
function npyData(path: string): ArrayBuffer {
  const bytes = readFileSync(path);
  const headerLen = bytes.readUInt16LE(8);
  return bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function runNumpy(nq: number, nr: number, dir: string): NumpyRun | null {
  if (flag('--skip-numpy')) return null;
  const script = join(dir, 'bench_numpy.py');
  writeFileSync(script, NUMPY);
  const out = join(dir, `np_${nq}_${nr}`);
  const res = spawnSync(python, [script, testFile, trainFile, String(nq), String(nr), String(K), out], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (res.status !== 0) {
    log(`numpy baseline failed (${python}): ${res.stderr.trim().split('\n').slice(-1)[0]}`);
    return null;
  }
  const parsed = JSON.parse(res.stdout.trim().split('\n').pop() as string) as { seconds: number; numpy: string };
  return { seconds: parsed.seconds, numpy: parsed.numpy, dist: new Float32Array(npyData(`${out}_dist.npy`)), idx: new Int32Array(npyData(`${out}_idx.npy`)) };
}

/**
 * How often both found the same top-k (as training-image ids: index mod 4,000, so that the tiled
 * copies, which tie, compare equal), and the largest relative difference of the k-th distance
 * (numpy's is float32 throughout; retest re-ranks in float64).
 */
function agreement(ours: Neighbour[][], np: NumpyRun | null): string {
  if (!np) return 'n/a';
  let worst = 0;
  let same = 0;
  for (const [q, list] of ours.entries()) {
    const a = list.map((n) => n.index % 4000).sort((x, y) => x - y).join(',');
    const b = Array.from(np.idx.subarray(q * K, (q + 1) * K), (i) => i % 4000).sort((x, y) => x - y).join(',');
    if (a === b) same++;
    const kth = list[K - 1]?.distance ?? NaN;
    worst = Math.max(worst, Math.abs(kth - (np.dist[q * K + K - 1] as number)) / Math.max(1, kth));
  }
  return `identical top-${K} for ${((100 * same) / ours.length).toFixed(1)} % of queries; k-th distance max rel. diff ${worst.toExponential(1)}`;
}

async function exactCase(label: string, queries: Float32Array, nq: number, refs: Float32Array, nr: number, dir: string, withFloat: boolean) {
  const ops = 2 * nq * nr * D;
  const np = runNumpy(nq, nr, dir);
  const ours = await exactKnn(memoryVectors(queries, D), [memoryVectors(refs, D)], { k: K });
  const float = withFloat ? await exactKnn(memoryVectors(queries, D), [memoryVectors(refs, D)], { k: K, kernel: 'onnx' }) : null;
  const cell = (s: number) => `${s.toFixed(2)} s (${(ops / s / 1e9).toFixed(0)} G/s)`;
  log(`| ${label} | ${cell(ours.seconds)} | ${float ? cell(float.seconds) : 'not run'} | ${np ? cell(np.seconds) : 'n/a'} | ${np ? `${(np.seconds / ours.seconds).toFixed(2)}×` : 'n/a'} |`);
  log(`    agreement with numpy: ${agreement(ours.neighbours, np)}`);
  return { ours, np };
}

/** Recall@k counting ties: a found neighbour counts when its exact distance ≤ the exact k-th distance. */
function tieAwareRecall(found: Neighbour[][], exact: Neighbour[][]): number {
  let hit = 0;
  let total = 0;
  for (const [q, truth] of exact.entries()) {
    const kth = truth[truth.length - 1]?.distance ?? Infinity;
    total += truth.length;
    hit += Math.min(truth.length, (found[q] ?? []).filter((n) => n.distance <= kth * (1 + 1e-9)).length);
  }
  return total ? hit / total : 1;
}

async function main() {
  if (!existsSync(testFile) || !existsSync(trainFile)) {
    log(`bench:dedup needs the CIFAR-10 files of ../shared/data/cifar10 (set RETEST_SHARED): ${testFile}, ${trainFile}`);
    process.exitCode = 1;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'retest-bench-dedup-'));
  try {
    const test = readCifarBin(testFile);
    const train = readCifarBin(trainFile);
    const nq = size === 'small' ? 1000 : 10_000;
    const Q = floats(test.pixels, nq);
    const R4 = floats(train.pixels, 4000);
    log(`# retest dedup benchmark (${size}): ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()} cores, Node ${process.version}`);
    log(`numpy baseline: ${python}\n`);

    // Kernel comparison on one block: MLAS SGEMM vs plain JavaScript loops.
    {
      const m = 256, n = 1024;
      const norms = new Float32Array(n);
      const onnx = await onnxDotKernel(1);
      await onnx.scores(Q.slice(0, m * D), m, R4.slice(0, n * D), n, D, norms);
      let t = performance.now();
      for (let i = 0; i < 3; i++) await onnx.scores(Q.slice(0, m * D), m, R4.slice(0, n * D), n, D, norms);
      const onnxS = (performance.now() - t) / 3000;
      await onnx.close();
      t = performance.now();
      await jsDotKernel().scores(Q.slice(0, m * D), m, R4.slice(0, n * D), n, D, norms);
      const jsS = (performance.now() - t) / 1000;
      const bytes = await onnxByteKernel(1);
      const qb = Uint8Array.from(Q.subarray(0, m * D));
      const shard = prepareByteShard(R4.subarray(0, n * D), n, D);
      await bytes.dots(qb, m, shard, n, D);
      t = performance.now();
      for (let i = 0; i < 3; i++) await bytes.dots(qb, m, shard, n, D);
      const bytesS = (performance.now() - t) / 3000;
      await bytes.close();
      const gf = (s: number) => ((2 * m * n * D) / s / 1e9).toFixed(1);
      log(`dot kernels, one thread, ${m}×${n}×${D}: onnxruntime 8-bit integer GEMM ${gf(bytesS)} Gop/s, onnxruntime float32 SGEMM ${gf(onnxS)} GFLOP/s, JavaScript loops ${gf(jsS)} GFLOP/s (${(jsS / onnxS).toFixed(0)}× slower than SGEMM)\n`);
    }

    // Warm-up: starts the pooled worker threads and loads onnxruntime (numpy's timing likewise
    // excludes interpreter start-up and data loading).
    await exactKnn(memoryVectors(Q.slice(0, 64 * D), D), [memoryVectors(R4.slice(0, 1024 * D), D)], { k: K, shardSize: 128 });

    log(`| exact top-${K}, raw pixels (m × n × d) | retest (8-bit GEMM, default) | retest (float32 SGEMM) | numpy + OpenBLAS (float32) | retest vs numpy |`);
    log('|---|---|---|---|---|');
    await exactCase(`${nq.toLocaleString('en')} × 4,000 × ${D}`, Q, nq, R4, 4000, dir, true);
    const nr = size === 'small' ? 12_000 : 50_000;
    const R50 = tiled(R4, 4000, nr);
    await exactCase(`${nq.toLocaleString('en')} × ${nr.toLocaleString('en')} × ${D} (tiled)`, Q, nq, R50, nr, dir, flag('--with-float'));

    if (!flag('--skip-hnsw')) {
      log('\nHNSW (usearch, M 16, ef_construction 128) on 8²-downsampled standardized pixels (192-d), exact re-rank of 100 on pixels-std (3,072-d):');
      const full = parseDescriptor('pixels-std@32');
      const reduced = parseDescriptor('pixels-std@8');
      const qs = arraySource('test', 'test', { count: nq, width: 32, height: 32, pixels: test.pixels.subarray(0, nq * D) });
      for (const refCount of [4000, nr]) {
        const refPixels = new Uint8Array(refCount * D);
        for (let i = 0; i < refCount; i++) refPixels.set(train.pixels.subarray((i % 4000) * D, ((i % 4000) + 1) * D), i * D);
        const rs = arraySource('refs', `refs${refCount}`, { count: refCount, width: 32, height: 32, pixels: refPixels });
        const [qFull, rFull, qSmall, rSmall] = [await describeSource(qs, full), await describeSource(rs, full), await describeSource(qs, reduced), await describeSource(rs, reduced)];
        const exact = await exactKnn(qFull, [rFull], { k: K });
        const view = (v: typeof qSmall) => new Float32Array((v.location as { buffer: SharedArrayBuffer }).buffer).slice();
        const approx = await approximateKnn({ queries: view(qSmall), references: view(rSmall), dimension: 192, k: K, shortList: 100, exact: { queries: qFull, references: rFull, metric: 'l2' }, threads: availableParallelism() });
        const recall = tieAwareRecall(approx.neighbours, exact.neighbours);
        log(`  ${nq.toLocaleString('en')} queries × ${refCount.toLocaleString('en')} refs: build ${approx.buildSeconds.toFixed(2)} s, query ${approx.querySeconds.toFixed(2)} s, re-rank ${approx.rerankSeconds.toFixed(2)} s; recall@10 ${(recall * 100).toFixed(1)} % (exact search on 3,072-d: ${exact.seconds.toFixed(2)} s)`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
