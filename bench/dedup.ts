/**
 * `npm run bench:dedup [-- --size small|full] [--skip-numpy] [--skip-hnsw] [--with-float] [--python PATH] [--check N]`
 *
 * Exact top-10 near-duplicate search on raw CIFAR pixels (3,072 values per image):
 *   A. 10,000 test images × 4,000 training images
 *   B. 10,000 test images × 50,000 references (the 4,000 tiled)
 * with retest's exact k-NN (onnxruntime's 8-bit integer GEMM for 0–255 pixel values in the
 * formulation that passed its self-check on this CPU, or its float32 SGEMM with a float64 re-rank,
 * in worker threads, top-k per query) next to numpy + an optimised BLAS computing the same distance
 * matrix (‖q‖² + ‖r‖² − 2QRᵀ, float32, in 2,000-query blocks) and top-k (argpartition + sort) in
 * the same run. Then the HNSW index (usearch) over 8²-downsampled standardized pixels with an exact
 * re-rank of 100 candidates: build/query time and recall@10 against exact search.
 *
 * Correctness first: every case checks `--check` (default 200) evenly spaced queries against a
 * float64 brute force; a kernel that disagrees is a FAILED benchmark (no ratio, exit code 1).
 * The numpy baseline prints which BLAS numpy runs and refuses a reference (netlib) BLAS, whose
 * GEMM is tens of times slower and would make any ratio meaningless.
 * `--size small` runs 1,000 queries (for development on a shared machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  approximateKnn,
  arraySource,
  chooseByteKernel,
  describeSource,
  exactKnn,
  jsDotKernel,
  memoryVectors,
  onnxByteKernel,
  onnxDotKernel,
  parseDescriptor,
  type KnnResult,
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
const checkCount = Number(value('--check', '200'));
const K = 10;
const D = 3072;

function log(line: string) {
  process.stdout.write(`${line}\n`);
}

/** Raw pixels (HWC, 0–255) as float32. */
function floats(pixels: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(count * D * 4));
  for (let i = 0; i < count * D; i++) out[i] = pixels[i]!;
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
np.save(out + '_dist.npy', dist)
np.save(out + '_idx.npy', idx.astype(np.int32))
print(json.dumps({'seconds': secs, 'numpy': np.__version__}))
`;

/** Which BLAS numpy runs: the shared libraries mapped after a matrix product, else numpy's build config. */
const NUMPY_BLAS = String.raw`
import json, os, sys, time, numpy as np
a = np.ones((512, 512), np.float32)
a @ a
secs = float('inf')
for _ in range(5):
    t0 = time.perf_counter(); a @ a; secs = min(secs, time.perf_counter() - t0)
libs = []
try:
    for line in open('/proc/self/maps'):
        path = line.split()[-1]
        name = os.path.basename(path).lower()
        if path.startswith('/') and any(x in name for x in ('blas', 'mkl', 'blis', 'atlas', 'accelerate')):
            real = os.path.realpath(path)
            if real not in libs: libs.append(real)
except OSError:
    pass
config = ''
try:
    deps = np.show_config(mode='dicts').get('Build Dependencies', {})
    config = deps.get('blas', {}).get('name', '')
except Exception:
    pass
print(json.dumps({'numpy': np.__version__, 'python': sys.executable, 'libraries': libs, 'config': config, 'gflops512': 2 * 512 ** 3 / secs / 1e9}))
`;

interface NumpyBlas {
  numpy: string;
  python: string;
  /** What numpy's BLAS is, in words ('OpenBLAS', 'reference BLAS (netlib)', …). */
  name: string;
  /** The library file. */
  library: string;
  /** float32 GEMM rate at 512³ (single measurement). */
  gflops512: number;
  /** Why this BLAS may not serve as the baseline, or null. */
  refused: string | null;
}

/** Names numpy's BLAS from the library path; a reference BLAS (netlib `libblas.so.3`, no optimised kernels) is refused. */
function classifyBlas(libraries: string[], config: string): { name: string; library: string; refused: string | null } {
  const lib = libraries.find((l) => /openblas|mkl|blis|atlas|accelerate|veclib/i.test(l)) ?? libraries.find((l) => /blas/i.test(l)) ?? '';
  const known: [RegExp, string][] = [
    [/openblas/i, 'OpenBLAS'],
    [/mkl/i, 'Intel MKL'],
    [/blis/i, 'BLIS'],
    [/atlas/i, 'ATLAS'],
    [/accelerate|veclib/i, 'Apple Accelerate'],
  ];
  for (const [re, name] of known) if (re.test(lib) || (!lib && re.test(config))) return { name, library: lib || `(build config: ${config})`, refused: null };
  if (lib)
    return {
      name: 'reference BLAS (netlib)',
      library: lib,
      refused: `numpy uses the reference BLAS ${lib}: its GEMM is unoptimised, so a ratio against it says nothing (install an optimised one, e.g. Debian's libopenblas0-pthread, or a numpy wheel, which bundles OpenBLAS)`,
    };
  return { name: 'unknown', library: '(none found)', refused: `cannot tell which BLAS numpy uses (no BLAS library mapped, build config "${config}")` };
}

/** The first Python whose numpy loads: --python, else python3 on PATH, else /usr/bin/python3. */
function numpyBlas(): NumpyBlas | { error: string } {
  const tried: string[] = [];
  const pythons = args.includes('--python') ? [value('--python', 'python3')] : ['python3', '/usr/bin/python3'];
  for (const py of pythons) {
    const res = spawnSync(py, ['-c', NUMPY_BLAS], { encoding: 'utf8' });
    if (res.status === 0) {
      const info = JSON.parse(res.stdout.trim().split('\n').pop() as string) as {
        numpy: string;
        python: string;
        libraries: string[];
        config: string;
        gflops512: number;
      };
      return { numpy: info.numpy, python: info.python, gflops512: info.gflops512, ...classifyBlas(info.libraries, info.config) };
    }
    tried.push(`${py}: ${(res.stderr || String(res.error ?? '')).trim().split('\n').slice(-1)[0]}`);
  }
  return { error: `no Python with numpy (${tried.join('; ')})` };
}

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

function runNumpy(nq: number, nr: number, dir: string, blas: NumpyBlas | null): NumpyRun | null {
  if (!blas) return null;
  const python = blas.python;
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
    const a = list
      .map((n) => n.index % 4000)
      .sort((x, y) => x - y)
      .join(',');
    const b = Array.from(np.idx.subarray(q * K, (q + 1) * K), (i) => i % 4000)
      .sort((x, y) => x - y)
      .join(',');
    if (a === b) same++;
    const kth = list[K - 1]?.distance ?? NaN;
    worst = Math.max(worst, Math.abs(kth - np.dist[q * K + K - 1]!) / Math.max(1, kth));
  }
  return `identical top-${K} for ${((100 * same) / ours.length).toFixed(1)} % of queries; k-th distance max rel. diff ${worst.toExponential(1)}`;
}

/**
 * Checks `count` evenly spaced queries against a float64 brute force over the 4,000 distinct
 * training images (a tiled reference set holds each of them ⌈n/4000⌉ or ⌊n/4000⌋ times, so its
 * exact top-k distances are those of the distinct images, each repeated that often): every
 * reported distance must be the exact distance of the reported image, and the k distances must be
 * the k smallest. Returns the number of queries that fail.
 */
function exactCheck(
  result: KnnResult,
  queries: Float32Array,
  base: Float32Array,
  nr: number,
  count: number,
): { checked: number; failed: number; example: string } {
  const nq = result.neighbours.length;
  const picks = Array.from({ length: Math.min(count, nq) }, (_, i) => Math.floor((i * nq) / Math.min(count, nq)));
  const copies = (j: number) => Math.floor(nr / 4000) + (j < nr % 4000 ? 1 : 0);
  let failed = 0;
  let example = '';
  for (const q of picks) {
    const dist = new Float64Array(4000);
    for (let j = 0; j < 4000; j++) {
      let s = 0;
      for (let t = 0; t < D; t++) {
        const diff = queries[q * D + t]! - base[j * D + t]!;
        s += diff * diff;
      }
      dist[j] = s;
    }
    const expected: number[] = [];
    for (const j of Array.from(dist.keys()).sort((a, b) => dist[a]! - dist[b]!)) {
      for (let c = 0; c < copies(j) && expected.length < K; c++) expected.push(dist[j]!);
      if (expected.length >= K) break;
    }
    const got = result.neighbours[q] ?? [];
    const ok = got.length === K && got.every((n, i) => n.distance === expected[i] && n.distance === dist[n.index % 4000]);
    if (!ok) {
      failed++;
      if (!example) example = `query ${q}: got ${got.map((n) => n.distance).join(', ')}; exact ${expected.join(', ')}`;
    }
  }
  return { checked: picks.length, failed, example };
}

async function exactCase(
  label: string,
  queries: Float32Array,
  nq: number,
  base: Float32Array,
  refs: Float32Array,
  nr: number,
  dir: string,
  withFloat: boolean,
  blas: NumpyBlas | null,
): Promise<boolean> {
  const ops = 2 * nq * nr * D;
  const np = runNumpy(nq, nr, dir, blas);
  const ours = await exactKnn(memoryVectors(queries, D), [memoryVectors(refs, D)], { k: K });
  const float = withFloat ? await exactKnn(memoryVectors(queries, D), [memoryVectors(refs, D)], { k: K, kernel: 'onnx' }) : null;
  const check = exactCheck(ours, queries, base, nr, checkCount);
  const floatCheck = float ? exactCheck(float, queries, base, nr, checkCount) : null;
  const cell = (s: number) => `${s.toFixed(2)} s (${(ops / s / 1e9).toFixed(0)} G/s)`;
  const failed = check.failed > 0 || (floatCheck?.failed ?? 0) > 0;
  const ratio = failed ? '**FAILED** (kernel disagrees with the exact reference)' : np ? `${(np.seconds / ours.seconds).toFixed(2)}×` : 'n/a';
  log(`| ${label} | ${cell(ours.seconds)} [${ours.kernel.name}] | ${float ? cell(float.seconds) : 'not run'} | ${np ? cell(np.seconds) : 'n/a'} | ${ratio} |`);
  log(
    `    exact check (${check.checked} queries, float64 brute force): ${ours.kernel.name} ${check.failed === 0 ? 'all exact' : `${check.failed} WRONG, e.g. ${check.example}`}${floatCheck ? `; float32 ${floatCheck.failed === 0 ? 'all exact' : `${floatCheck.failed} WRONG, e.g. ${floatCheck.example}`}` : ''}`,
  );
  for (const s of ours.kernel.skipped) log(`    kernel ${s.name} not used: ${s.reason}`);
  log(`    agreement with numpy: ${agreement(ours.neighbours, np)}`);
  return !failed;
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

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the benchmark's main sequence: each step prints its figures in order
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
    let blas: NumpyBlas | null = null;
    if (flag('--skip-numpy')) log('numpy baseline: skipped (--skip-numpy)\n');
    else {
      const found = numpyBlas();
      if ('error' in found) log(`numpy baseline: not run: ${found.error}\n`);
      else if (found.refused)
        log(
          `numpy baseline: REFUSED: ${found.refused} (numpy ${found.numpy}, ${found.python}; float32 GEMM ${found.gflops512.toFixed(1)} GFLOP/s at 512³, best of 5)\n`,
        );
      else {
        blas = found;
        log(
          `numpy baseline: numpy ${found.numpy} (${found.python}) with ${found.name}: ${found.library}; float32 GEMM ${found.gflops512.toFixed(1)} GFLOP/s at 512³ (best of 5)\n`,
        );
      }
    }
    const choice = await chooseByteKernel();
    log(
      `8-bit kernel self-check: ${choice.kind ? `int8-${choice.kind} is exact on this CPU` : 'no 8-bit formulation is exact on this CPU: raw pixels use float32'}${choice.rejected.map((r) => `; int8-${r.kind} rejected: ${r.reason}`).join('')}\n`,
    );

    // Kernel comparison on one block: MLAS SGEMM vs plain JavaScript loops.
    {
      const m = 256,
        n = 1024;
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
      const qb = Uint8Array.from(Q.subarray(0, m * D));
      const rate: Record<string, number> = {};
      for (const kind of ['u8s8', 'u8u8'] as const) {
        const bytes = await onnxByteKernel(1, kind);
        const shard = bytes.prepareShard(R4.subarray(0, n * D), n, D);
        await bytes.dots(qb, m, shard, n, D);
        t = performance.now();
        for (let i = 0; i < 3; i++) await bytes.dots(qb, m, shard, n, D);
        rate[kind] = (performance.now() - t) / 3000;
        await bytes.close();
      }
      const gf = (s: number) => ((2 * m * n * D) / s / 1e9).toFixed(1);
      const mark = (kind: string) => (choice.kind === kind ? '' : ' (not used: failed the self-check)');
      log(
        `dot kernels, one thread, ${m}×${n}×${D}: onnxruntime integer GEMM u8×s8 ${gf(rate.u8s8 as number)} Gop/s${mark('u8s8')}, u8×u8 ${gf(rate.u8u8 as number)} Gop/s${choice.kind === 'u8s8' ? ' (fallback)' : mark('u8u8')}, float32 SGEMM ${gf(onnxS)} GFLOP/s, JavaScript loops ${gf(jsS)} GFLOP/s (${(jsS / onnxS).toFixed(0)}× slower than SGEMM)\n`,
      );
    }

    // Warm-up: starts the pooled worker threads and loads onnxruntime (numpy's timing likewise
    // excludes interpreter start-up and data loading).
    await exactKnn(memoryVectors(Q.slice(0, 64 * D), D), [memoryVectors(R4.slice(0, 1024 * D), D)], { k: K, shardSize: 128 });

    log(
      `| exact top-${K}, raw pixels (m × n × d) | retest (default kernel) | retest (float32 SGEMM) | numpy + ${blas?.name ?? 'BLAS'} (float32) | retest vs numpy |`,
    );
    log('|---|---|---|---|---|');
    let ok = await exactCase(`${nq.toLocaleString('en')} × 4,000 × ${D}`, Q, nq, R4, R4, 4000, dir, true, blas);
    const nr = size === 'small' ? 12_000 : 50_000;
    const R50 = tiled(R4, 4000, nr);
    ok = (await exactCase(`${nq.toLocaleString('en')} × ${nr.toLocaleString('en')} × ${D} (tiled)`, Q, nq, R4, R50, nr, dir, flag('--with-float'), blas)) && ok;
    if (!ok) {
      log('\nFAILED: a kernel returned neighbours that are not the exact ones; its timings are not a result.');
      process.exitCode = 1;
    }

    if (!flag('--skip-hnsw')) {
      log('\nHNSW (usearch, M 16, ef_construction 128) on 8²-downsampled standardized pixels (192-d), exact re-rank of 100 on pixels-std (3,072-d):');
      const full = parseDescriptor('pixels-std@32');
      const reduced = parseDescriptor('pixels-std@8');
      const qs = arraySource('test', 'test', { count: nq, width: 32, height: 32, pixels: test.pixels.subarray(0, nq * D) });
      for (const refCount of [4000, nr]) {
        const refPixels = new Uint8Array(refCount * D);
        for (let i = 0; i < refCount; i++) refPixels.set(train.pixels.subarray((i % 4000) * D, ((i % 4000) + 1) * D), i * D);
        const rs = arraySource('refs', `refs${refCount}`, { count: refCount, width: 32, height: 32, pixels: refPixels });
        const [qFull, rFull, qSmall, rSmall] = [
          await describeSource(qs, full),
          await describeSource(rs, full),
          await describeSource(qs, reduced),
          await describeSource(rs, reduced),
        ];
        const exact = await exactKnn(qFull, [rFull], { k: K });
        const view = (v: typeof qSmall) => new Float32Array((v.location as { buffer: SharedArrayBuffer }).buffer).slice();
        const approx = await approximateKnn({
          queries: view(qSmall),
          references: view(rSmall),
          dimension: 192,
          k: K,
          shortList: 100,
          exact: { queries: qFull, references: rFull, metric: 'l2' },
          threads: availableParallelism(),
        });
        const recall = tieAwareRecall(approx.neighbours, exact.neighbours);
        log(
          `  ${nq.toLocaleString('en')} queries × ${refCount.toLocaleString('en')} refs: build ${approx.buildSeconds.toFixed(2)} s, query ${approx.querySeconds.toFixed(2)} s, re-rank ${approx.rerankSeconds.toFixed(2)} s; recall@10 ${(recall * 100).toFixed(1)} % (exact search on 3,072-d: ${exact.seconds.toFixed(2)} s)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
