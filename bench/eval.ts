/**
 * npm run bench:eval — `retest eval` end to end against a bare onnxruntime-node session, in one run.
 *
 * 1. CIFAR: ResNet-56 on test_batch_jpeg10000.bin (10,000 images). Baseline: the same model in a bare
 *    InferenceSession over pre-made tensors (same batch size, same threads). Goal: eval ≥ 0.9 × bare.
 * 2. Image files: 2,000 generated photo-sized JPEGs in a class-index folder tree, resize 256 → crop 224,
 *    mobilenet_v2_random_224.onnx. Measures crops alone (Pillow-exact and libvips), inference alone
 *    and end to end, to show which one is the bottleneck.
 * 3. Real photos: the 100 ImageNet photos of ../shared/data/imagenet-photos (ICC, upscaled, large,
 *    greyscale…), listed 10 times. retest eval (Pillow-exact, the default) vs `--resampler libvips`
 *    (goal: ≥ 0.8×) and vs a bare sharp + onnxruntime loop, in paired rounds.
 *
 * 4. Matrix, CIFAR (`matrix-cifar`): the six CIFAR-10 models × test_batch_jpeg10000.bin as one
 *    `evaluateMatrix` vs six separate evaluations, in images·models/s. Goal ≥ 1.0×.
 * 5. Matrix, JPEGs (`matrix-jpeg`): three models sharing one 224² preprocessing (MobileNetV2 under
 *    three names) × the 2,000 generated JPEGs as one matrix (one decode per image) vs three
 *    separate evaluations (three decodes per image). Goal ≥ 2×.
 *
 * Options: --images N (generated JPEGs, default 2000), --repeat R (photo list repeats, default 10),
 * --rounds K (paired rounds, default 3), --batch-size B (default 128),
 * --only cifar,files,photos,matrix-cifar,matrix-jpeg, --quick (matrix sections on 2,000 CIFAR images
 * and 300 JPEGs; --rounds applies to them too), --json.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/core/rng.ts';
import { evaluate, evaluateMatrix, loadModel, startCropPool, writeImageToTensor, type EvalDataset } from '../src/evaluate/index.ts';
import type { CropSpec, Resampler } from '../src/preprocess/index.ts';
import { readCifarBin } from '../src/formats/cifar-bin.ts';
import { encodeJpeg, resizeShorterCenterCrop, resizeExact } from '../src/formats/image-io.ts';
import { openResultsStore } from '../src/app/results.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    images: { type: 'string', default: '2000' },
    repeat: { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const runs = (section: string) => !values.only || values.only.split(',').includes(section);
const shared = resolve(process.env.RETEST_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'));
const batchSize = Number(values['batch-size']);
const threads = availableParallelism();
const log = (text: string) => {
  if (!values.json) console.log(text);
};

async function bareThroughput(modelPath: string, tensors: Float32Array[], dims: (n: number) => number[]): Promise<number> {
  const { spec, session } = await loadModel(modelPath, {}, threads);
  await session.run({ [spec.inputName]: { data: tensors[0]!, dims: dims(tensors[0]!.length / (3 * spec.height * spec.width)) } }); // warm-up
  let images = 0;
  const started = performance.now();
  for (const t of tensors) {
    const n = t.length / (3 * spec.height * spec.width);
    await session.run({ [spec.inputName]: { data: t, dims: dims(n) } });
    images += n;
  }
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  return images / seconds;
}

async function cifarSection() {
  const file = join(shared, 'data', 'cifar10', 'test_batch_jpeg10000.bin');
  const modelPath = join(shared, 'models', 'cifar10', 'akamaster_resnet56.onnx');
  const arrays = readCifarBin(file);
  const dataset: EvalDataset = {
    name: 'cifar10-test-jpeg',
    source: file,
    numClasses: 10,
    images: Array.from(arrays.labels, (label, i) => ({ imageId: String(i), label })),
    pixels: { height: 32, width: 32, data: arrays.pixels },
    files: null,
  };
  // Bare: tensors made before the clock starts.
  const { spec, session } = await loadModel(modelPath, {}, threads);
  await session.release();
  const tensors: Float32Array[] = [];
  for (let start = 0; start < arrays.count; start += batchSize) {
    const n = Math.min(batchSize, arrays.count - start);
    const t = new Float32Array(n * 3072);
    for (let i = 0; i < n; i++) writeImageToTensor(arrays.pixels, (start + i) * 3072, spec, t, i);
    tensors.push(t);
  }
  // The machine is shared: alternate bare and eval rounds and compare each pair, so a burst of
  // load hits both sides; report the median pair.
  const pairs: { bare: number; ours: number; top1: number }[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const bare = await bareThroughput(modelPath, tensors, (n) => [n, 3, 32, 32]);
    // retest eval: a fresh store each time, from the dataset in memory to the summary.
    const dir = mkdtempSync(join(tmpdir(), 'retest-bench-eval-'));
    const store = await openResultsStore(join(dir, 'r.db'));
    const started = performance.now();
    const summary = await evaluate({ store, dataset, modelPath, options: { batchSize, threads } });
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    pairs.push({ bare, ours: arrays.count / seconds, top1: summary.top1.accuracy ?? Number.NaN });
    log(`  round ${round + 1}: bare ${bare.toFixed(0)} img/s, eval ${(arrays.count / seconds).toFixed(0)} img/s`);
  }
  pairs.sort((a, b) => a.ours / a.bare - b.ours / b.bare);
  const median = pairs[Math.floor(pairs.length / 2)]!;
  return {
    images: arrays.count,
    rounds: pairs.length,
    bare_images_per_s: median.bare,
    eval_images_per_s: median.ours,
    ratio: median.ours / median.bare,
    top1: median.top1,
  };
}

/** Smooth random "photos" (blurred noise blobs) of varied sizes, as JPEG q90, in folders 0…9. */
async function makeJpegs(dir: string, count: number): Promise<void> {
  const rng = createRng(20190101);
  for (let i = 0; i < count; i++) {
    const cls = i % 10;
    const folder = join(dir, String(cls));
    mkdirSync(folder, { recursive: true });
    const w = 400 + rng.int(240),
      h = 300 + rng.int(180);
    const small = { data: new Uint8Array(16 * 12 * 3), width: 16, height: 12 };
    for (let j = 0; j < small.data.length; j++) small.data[j] = rng.int(256);
    const image = await resizeExact(small, w, h, 'bicubic');
    writeFileSync(join(folder, `img${String(i).padStart(5, '0')}.jpeg`), await encodeJpeg(image, 90));
  }
}

/** Crops through the worker pool, all files once (after a warm-up of the workers). */
async function cropRate(files: string[], spec: CropSpec): Promise<Rate> {
  const pool = await startCropPool({ decodeConcurrency: 8 });
  try {
    await Promise.all(files.slice(0, 2 * pool.threads).map((f) => pool.crop(f, spec)));
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(files.map((f) => pool.crop(f, spec)));
    return rateOf(files.length, started, cpu);
  } finally {
    await pool.close();
  }
}

/**
 * What a user would write without retest: sharp decodes and resizes (8 at once), then onnxruntime
 * runs the batch; no overlap, no store. Timed from loading the model, as eval is.
 */
async function bareLoop(files: string[], modelPath: string): Promise<Rate> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { spec, session } = await loadModel(modelPath, {}, threads);
  const size = 3 * spec.height * spec.width;
  for (let b = 0; b < files.length; b += batchSize) {
    const batch = files.slice(b, b + batchSize);
    const tensor = new Float32Array(batch.length * size);
    let cursor = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (cursor < batch.length) {
          const i = cursor++;
          const img = await resizeShorterCenterCrop(batch[i]!, { resize: 256, crop: 224, interpolation: 'bilinear' });
          writeImageToTensor(img.data, 0, spec, tensor, i);
        }
      }),
    );
    await session.run({ [spec.inputName]: { data: tensor, dims: [batch.length, 3, spec.height, spec.width] } });
  }
  await session.release();
  return rateOf(files.length, started, cpu);
}

/** Throughput over the wall clock, and CPU time (all threads of the process) per image. */
interface Rate {
  perSecond: number;
  cpuMsPerImage: number;
}

function rateOf(images: number, started: number, cpu: NodeJS.CpuUsage): Rate {
  const used = process.cpuUsage(cpu);
  return { perSecond: images / ((performance.now() - started) / 1000), cpuMsPerImage: (used.user + used.system) / 1000 / images };
}

/** `retest eval` end to end (fresh store) with one resampler. */
async function evalRate(dataset: EvalDataset, modelPath: string, resampler: Resampler): Promise<Rate> {
  const dbDir = mkdtempSync(join(tmpdir(), 'retest-bench-eval-'));
  const store = await openResultsStore(join(dbDir, 'r.db'));
  const cpu = process.cpuUsage();
  const started = performance.now();
  await evaluate({ store, dataset, modelPath, overrides: { resampler }, options: { batchSize, threads } });
  const rate = rateOf(dataset.images.length, started, cpu);
  await store.close();
  rmSync(dbDir, { recursive: true, force: true });
  return rate;
}

/**
 * One file pipeline: crops alone (Pillow-exact and libvips, worker pool), inference alone, and
 * end to end — retest eval with each resampler and the bare loop — in paired rounds (median).
 */
async function pipelineSection(files: string[], rounds: number) {
  const modelPath = join(shared, 'models', 'mobilenet_v2_random_224.onnx');
  const crop = { resize: 256, crop: 224, interpolation: 'bilinear', iccToSrgb: false, exifRotate: false } as const;
  const exactCrops = await cropRate(files, { ...crop, resampler: 'pillow' });
  const libvipsCrops = await cropRate(files, { ...crop, resampler: 'libvips' });
  // Inference alone over pre-made tensors (4 batches are enough for a rate).
  const { spec, session } = await loadModel(modelPath, {}, threads);
  await session.release();
  const sample = new Float32Array(3 * 224 * 224);
  writeImageToTensor((await resizeShorterCenterCrop(files[0]!, { ...crop })).data, 0, spec, sample, 0);
  const tensors = Array.from({ length: 4 }, () => {
    const t = new Float32Array(batchSize * sample.length);
    for (let i = 0; i < batchSize; i++) t.set(sample, i * sample.length);
    return t;
  });
  const inference = await bareThroughput(modelPath, tensors, (n) => [n, 3, 224, 224]);
  const dataset: EvalDataset = {
    name: `bench-${files.length}`,
    source: dirname(files[0]!),
    numClasses: 1000,
    images: files.map((_, i) => ({ imageId: String(i), label: i % 1000 })),
    pixels: null,
    files,
  };
  const results: { bare: Rate; exact: Rate; libvips: Rate }[] = [];
  for (let round = 0; round < rounds; round++) {
    const bare = await bareLoop(files, modelPath);
    const exact = await evalRate(dataset, modelPath, 'pillow');
    const libvips = await evalRate(dataset, modelPath, 'libvips');
    results.push({ bare, exact, libvips });
    log(
      `  round ${round + 1}: bare loop ${bare.perSecond.toFixed(0)} img/s (${bare.cpuMsPerImage.toFixed(1)} ms CPU/img), eval (Pillow-exact) ${exact.perSecond.toFixed(0)} img/s (${exact.cpuMsPerImage.toFixed(1)}), eval --resampler libvips ${libvips.perSecond.toFixed(0)} img/s (${libvips.cpuMsPerImage.toFixed(1)})`,
    );
  }
  const median = (key: (r: (typeof results)[number]) => number) => [...results].sort((a, b) => key(a) - key(b))[Math.floor(results.length / 2)]!;
  const byExactVsLibvips = median((r) => r.exact.perSecond / r.libvips.perSecond);
  const byExactVsBare = median((r) => r.exact.perSecond / r.bare.perSecond);
  const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    images: files.length,
    rounds,
    crop_exact_images_per_s: exactCrops.perSecond,
    crop_libvips_images_per_s: libvipsCrops.perSecond,
    crop_exact_cpu_ms_per_image: exactCrops.cpuMsPerImage,
    crop_libvips_cpu_ms_per_image: libvipsCrops.cpuMsPerImage,
    inference_images_per_s: inference,
    eval_exact_images_per_s: byExactVsLibvips.exact.perSecond,
    eval_libvips_images_per_s: byExactVsLibvips.libvips.perSecond,
    exact_vs_libvips: byExactVsLibvips.exact.perSecond / byExactVsLibvips.libvips.perSecond,
    bare_loop_images_per_s: byExactVsBare.bare.perSecond,
    exact_vs_bare: byExactVsBare.exact.perSecond / byExactVsBare.bare.perSecond,
    // CPU time per image (all threads): steadier than the clock on a shared machine.
    eval_exact_cpu_ms_per_image: medianOf(results.map((r) => r.exact.cpuMsPerImage)),
    eval_libvips_cpu_ms_per_image: medianOf(results.map((r) => r.libvips.cpuMsPerImage)),
    bare_loop_cpu_ms_per_image: medianOf(results.map((r) => r.bare.cpuMsPerImage)),
    // Cropping and inference share the cores: with none idle, 1 / (1/crop + 1/inference) bounds eval.
    shared_cpu_bound_exact_images_per_s: 1 / (1 / exactCrops.perSecond + 1 / inference),
  };
}

async function generatedSection(count: number) {
  const dir = join(import.meta.dirname, '..', '.tmp', `bench-jpegs-${count}`);
  if (!existsSync(join(dir, 'done'))) {
    rmSync(dir, { recursive: true, force: true });
    log(`generating ${count} JPEGs in ${dir} …`);
    await makeJpegs(dir, count);
    writeFileSync(join(dir, 'done'), '');
  }
  const files: string[] = [];
  for (let cls = 0; cls < 10; cls++) for (const f of readdirSync(join(dir, String(cls))).sort()) files.push(join(dir, String(cls), f));
  return pipelineSection(files, 1);
}

/** The 100 real photos of ../shared/data/imagenet-photos, each listed `repeat` times. */
async function photosSection(repeat: number, rounds: number) {
  const dir = join(shared, 'data', 'imagenet-photos', 'photos');
  const names = readdirSync(dir).sort();
  const files = Array.from({ length: repeat }, () => names.map((n) => join(dir, n))).flat();
  return pipelineSection(files, rounds);
}

/** One timed evaluation into a fresh store: seconds. */
async function timed(fn: (store: Awaited<ReturnType<typeof openResultsStore>>) => Promise<unknown>): Promise<{ seconds: number; cpuSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'retest-bench-matrix-'));
  const store = await openResultsStore(join(dir, 'r.db'));
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn(store);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/**
 * One matrix vs the same cells as separate evaluations (each its own `evaluate`, as separate
 * `retest eval` commands would be, minus process start-up), alternating, median pair of `rounds`.
 */
async function matrixVsSeparate(label: string, dataset: EvalDataset, modelPaths: string[], rounds: number) {
  const predictions = dataset.images.length * modelPaths.length;
  const pairs: { matrix: number; separate: number; matrixCpu: number; separateCpu: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const runSeparate = () =>
      timed(async (store) => {
        for (const modelPath of modelPaths) await evaluate({ store, dataset, modelPath, options: { batchSize, threads } });
      });
    const runMatrix = () =>
      timed((store) => evaluateMatrix({ store, datasets: [dataset], models: modelPaths.map((path) => ({ path })), options: { batchSize, threads } }));
    // Alternate which goes first, so that a drift in the machine's load favours neither.
    const [separate, matrix] =
      round % 2 === 0 ? [await runSeparate(), await runMatrix()] : await runMatrix().then(async (m) => [await runSeparate(), m] as const);
    const pair = {
      matrix: predictions / matrix.seconds,
      separate: predictions / separate.seconds,
      matrixCpu: (1000 * matrix.cpuSeconds) / predictions,
      separateCpu: (1000 * separate.cpuSeconds) / predictions,
    };
    pairs.push(pair);
    log(
      `  ${label} round ${round + 1}: matrix ${pair.matrix.toFixed(0)} images·models/s (${pair.matrixCpu.toFixed(2)} ms CPU each), separate ${pair.separate.toFixed(0)} (${pair.separateCpu.toFixed(2)} ms) → ${(pair.matrix / pair.separate).toFixed(2)}× (CPU ${(pair.separateCpu / pair.matrixCpu).toFixed(2)}×)`,
    );
  }
  pairs.sort((a, b) => a.matrix / a.separate - b.matrix / b.separate);
  const median = pairs[Math.floor(pairs.length / 2)]!;
  return {
    images: dataset.images.length,
    models: modelPaths.length,
    rounds,
    matrix_images_models_per_s: median.matrix,
    separate_images_models_per_s: median.separate,
    ratio: median.matrix / median.separate,
    // CPU time per prediction (all threads): steadier than the clock on a shared machine; separate ÷ matrix.
    matrix_cpu_ms: median.matrixCpu,
    separate_cpu_ms: median.separateCpu,
    cpu_ratio: median.separateCpu / median.matrixCpu,
  };
}

async function matrixCifarSection(count: number, rounds: number) {
  const file = join(shared, 'data', 'cifar10', 'test_batch_jpeg10000.bin');
  const arrays = readCifarBin(file);
  const dataset: EvalDataset = {
    name: `cifar10-jpeg-${count}`,
    source: file,
    numClasses: 10,
    images: Array.from(arrays.labels.subarray(0, count), (label, i) => ({ imageId: String(i), label })),
    pixels: { height: 32, width: 32, data: arrays.pixels.subarray(0, count * 3072) },
    files: null,
  };
  const dir = join(shared, 'models', 'cifar10');
  const models = readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .sort()
    .map((f) => join(dir, f));
  return matrixVsSeparate('CIFAR', dataset, models, rounds);
}

async function matrixJpegSection(count: number, rounds: number) {
  const jpegs = join(import.meta.dirname, '..', '.tmp', `bench-jpegs-${count}`);
  if (!existsSync(join(jpegs, 'done'))) {
    rmSync(jpegs, { recursive: true, force: true });
    log(`generating ${count} JPEGs in ${jpegs} …`);
    await makeJpegs(jpegs, count);
    writeFileSync(join(jpegs, 'done'), '');
  }
  const files: string[] = [];
  for (let cls = 0; cls < 10; cls++) for (const f of readdirSync(join(jpegs, String(cls))).sort()) files.push(join(jpegs, String(cls), f));
  // Three models with one preprocessing (resize 256, crop 224, bilinear, ImageNet mean/std): MobileNetV2 under three names.
  const dir = mkdtempSync(join(tmpdir(), 'retest-bench-models-'));
  const source = join(shared, 'models', 'mobilenet_v2_random_224');
  const sidecar = JSON.parse(readFileSync(`${source}.json`, 'utf8')) as Record<string, unknown>;
  const models = ['a', 'b', 'c'].map((suffix) => {
    const path = join(dir, `mobilenet_v2_${suffix}.onnx`);
    copyFileSync(`${source}.onnx`, path);
    writeFileSync(join(dir, `mobilenet_v2_${suffix}.json`), JSON.stringify({ ...sidecar, name: `mobilenet_v2_${suffix}` }));
    return path;
  });
  const dataset: EvalDataset = {
    name: `bench-matrix-${files.length}`,
    source: jpegs,
    numClasses: 1000,
    images: files.map((_, i) => ({ imageId: String(i), label: i % 1000 })),
    pixels: null,
    files,
  };
  try {
    return await matrixVsSeparate('JPEG', dataset, models, rounds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const describePipeline = (label: string, r: Awaited<ReturnType<typeof pipelineSection>>) =>
  `${label}: crops alone — Pillow-exact ${r.crop_exact_images_per_s.toFixed(0)} img/s (${r.crop_exact_cpu_ms_per_image.toFixed(1)} ms CPU/img), libvips ${r.crop_libvips_images_per_s.toFixed(0)} img/s (${r.crop_libvips_cpu_ms_per_image.toFixed(1)}); inference alone ${r.inference_images_per_s.toFixed(0)} img/s\n` +
  `  end to end (median of ${r.rounds}): retest eval ${r.eval_exact_images_per_s.toFixed(0)} img/s vs --resampler libvips ${r.eval_libvips_images_per_s.toFixed(0)} img/s → ${r.exact_vs_libvips.toFixed(2)}× (goal ≥ 0.8×); ` +
  `bare sharp + onnxruntime loop ${r.bare_loop_images_per_s.toFixed(0)} img/s → eval ${r.exact_vs_bare.toFixed(2)}× bare; shared-CPU bound for eval ${r.shared_cpu_bound_exact_images_per_s.toFixed(0)} img/s\n` +
  `  CPU per image (median): eval ${r.eval_exact_cpu_ms_per_image.toFixed(1)} ms, --resampler libvips ${r.eval_libvips_cpu_ms_per_image.toFixed(1)} ms, bare loop ${r.bare_loop_cpu_ms_per_image.toFixed(1)} ms`;

log(`machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, onnxruntime threads ${threads}, batch ${batchSize}`);
const cifar = runs('cifar') ? await cifarSection() : null;
if (cifar)
  log(
    `CIFAR-10 (ResNet-56, ${cifar.images} images, median of ${cifar.rounds} paired rounds): bare ${cifar.bare_images_per_s.toFixed(0)} img/s, retest eval ${cifar.eval_images_per_s.toFixed(0)} img/s → ratio ${cifar.ratio.toFixed(3)} (goal ≥ 0.9); top-1 ${(100 * cifar.top1).toFixed(2)} %`,
  );
const files = runs('files') ? await generatedSection(Number(values.images)) : null;
if (files) log(describePipeline(`Generated JPEGs (MobileNetV2 224², ${files.images} images)`, files));
const photos = runs('photos') ? await photosSection(Number(values.repeat), Number(values.rounds)) : null;
if (photos) log(describePipeline(`Real ImageNet photos (100 × ${values.repeat} = ${photos.images} images, MobileNetV2 224²)`, photos));
const matrixRounds = Number(values.rounds);
const matrixCifar = runs('matrix-cifar') ? await matrixCifarSection(values.quick ? 2000 : 10_000, matrixRounds) : null;
if (matrixCifar)
  log(
    `Matrix, CIFAR (${matrixCifar.models} models × ${matrixCifar.images} images): one matrix ${matrixCifar.matrix_images_models_per_s.toFixed(0)} images·models/s vs ${matrixCifar.models} separate evals ${matrixCifar.separate_images_models_per_s.toFixed(0)} → ${matrixCifar.ratio.toFixed(2)}× (goal ≥ 1.0×); CPU per prediction ${matrixCifar.matrix_cpu_ms.toFixed(2)} vs ${matrixCifar.separate_cpu_ms.toFixed(2)} ms → ${matrixCifar.cpu_ratio.toFixed(2)}×`,
  );
const matrixJpeg = runs('matrix-jpeg') ? await matrixJpegSection(values.quick ? 300 : Number(values.images), matrixRounds) : null;
if (matrixJpeg)
  log(
    `Matrix, JPEGs (${matrixJpeg.models} models sharing 256 → 224 × ${matrixJpeg.images} images): one matrix ${matrixJpeg.matrix_images_models_per_s.toFixed(0)} images·models/s vs ${matrixJpeg.models} separate evals ${matrixJpeg.separate_images_models_per_s.toFixed(0)} → ${matrixJpeg.ratio.toFixed(2)}× (goal ≥ 2×); CPU per prediction ${matrixJpeg.matrix_cpu_ms.toFixed(2)} vs ${matrixJpeg.separate_cpu_ms.toFixed(2)} ms → ${matrixJpeg.cpu_ratio.toFixed(2)}×`,
  );
if (values.json) console.log(JSON.stringify({ threads, batch_size: batchSize, cifar, files, photos, matrix_cifar: matrixCifar, matrix_jpeg: matrixJpeg }));
