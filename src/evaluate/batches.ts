/**
 * Dataset images → model input, batch by batch: the one code path behind both `retest eval` and
 * `retest preprocess`, so that what preprocess writes is exactly what eval feeds.
 *
 * Arrays already at the model's size go straight in. Everything else is cropped as torchvision's
 * eval transform does (src/preprocess), in a pool of worker threads; the next batches are prepared
 * while the caller consumes the current one (onnxruntime runs off the JS thread).
 */
import { availableParallelism } from 'node:os';
import { dataError, usageError, isRetestError } from '../core/errors.ts';
import { createCropPool, type CropPool, type CropSource, type CropSpec } from '../preprocess/index.ts';
import { roundHalfEven } from '../formats/index.ts';
import { writeImageToTensor } from './tensor.ts';
import type { ModelSpec } from './types.ts';

/** The images a batch is cut from: in-memory pixel arrays or files (see src/datasets). */
export interface BatchDataset {
  /** Where the images come from, for error messages. */
  source: string;
  /** All images' pixels (N×H×W×3) when the dataset stores arrays, else null. */
  pixels: { height: number; width: number; data: Uint8Array } | null;
  /** Path per image when the images are files, else null. */
  files: string[] | null;
}

/** One batch of model input. */
export interface PreparedBatch {
  /** Dataset positions of the batch's images, in row order. */
  indices: number[];
  /** The RGB crops (rows × height × width × 3, HWC uint8) before scaling and normalisation; a failed image's row is zero. */
  crops: Uint8Array;
  /** The model input (rows × 3 × H × W or rows × H × W × 3, float32) when asked for; a failed image's row is zero. */
  tensor: Float32Array | null;
  /** Row → why that image could not be read. */
  failures: Map<number, string>;
}

export interface BatchOptions {
  /** Images per batch. */
  batchSize: number;
  /** Worker threads that decode and crop image files (capped at the number of cores). */
  decodeConcurrency: number;
  /** Stop at the first unreadable image instead of recording it. */
  failFast: boolean;
  /** Also build the float32 model input of each batch. */
  tensor: boolean;
  /** Batches prepared ahead of the one being consumed. Default 2. */
  lookAhead?: number;
  /** A crop pool started earlier by the caller (who closes it); default: one started when first needed and closed at the end. */
  pool?: Promise<CropPool> | undefined;
}

/** The crop pool for these options (worker threads capped at the number of cores). */
export function startCropPool(options: Pick<BatchOptions, 'decodeConcurrency'>): Promise<CropPool> {
  return createCropPool({ threads: Math.min(options.decodeConcurrency, availableParallelism()) });
}

/** The resize and crop a model spec asks for: `resize`, else floor(size / crop_pct), else the size. */
export function cropSpecOf(spec: ModelSpec): CropSpec {
  if (spec.height !== spec.width) {
    throw usageError(`the model input is ${spec.height}×${spec.width}; center crops are square`, {
      file: spec.path,
      field: 'input size',
      expected: 'height = width',
    });
  }
  const resize = spec.resize ?? (spec.cropPct ? Math.floor(spec.height / spec.cropPct) : spec.height);
  const crop: CropSpec = {
    resize,
    crop: spec.height,
    interpolation: spec.interpolation,
    resampler: spec.resampler,
    iccToSrgb: spec.iccToSrgb,
    exifRotate: spec.exifRotate,
  };
  if (spec.cropMode === 'center') return crop;
  if (spec.resampler === 'libvips') {
    throw usageError(`crop mode ${spec.cropMode} (timm) needs the Pillow resampler`, {
      file: spec.path,
      field: '--resampler',
      expected: 'pillow',
      received: 'libvips',
    });
  }
  // timm's border fill: [round(255 * v) for v in mean] (Python's round, half to even).
  const fill = (spec.mean ?? [0, 0, 0]).map((v) => roundHalfEven(255 * v)) as [number, number, number];
  return { ...crop, mode: spec.cropMode, ...(spec.cropMode === 'border' ? { fill } : {}) };
}

function checkResampler(spec: CropSpec): void {
  if (spec.resampler === 'libvips' && (spec.interpolation === 'box' || spec.interpolation === 'hamming')) {
    throw usageError(`--resampler libvips has no ${spec.interpolation} filter`, {
      field: '--interpolation',
      expected: 'nearest, bilinear, bicubic or lanczos with libvips',
      received: spec.interpolation,
      hint: 'use the default Pillow resampler',
    });
  }
}

/**
 * Yields the batches of `todo` (dataset positions) in order. Worker threads start only when some
 * image needs cropping, and stop when the iteration ends (also when the consumer stops early).
 */
export async function* prepareBatches(spec: ModelSpec, dataset: BatchDataset, todo: readonly number[], options: BatchOptions): AsyncGenerator<PreparedBatch> {
  const direct = dataset.pixels !== null && dataset.pixels.height === spec.height && dataset.pixels.width === spec.width;
  const crop = direct ? null : cropSpecOf(spec);
  if (crop) checkResampler(crop);
  let pool: Promise<CropPool> | null = null;
  const getPool = () => options.pool ?? (pool ??= startCropPool(options));
  const lookAhead = options.lookAhead ?? 2;
  const pending: Promise<PreparedBatch>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < lookAhead && next < todo.length) {
      const indices = todo.slice(next, next + options.batchSize);
      next += indices.length;
      const promise = prepareBatch(spec, dataset, indices, crop, getPool, options);
      promise.catch(() => {}); // handled when awaited; avoids an unhandled rejection meanwhile
      pending.push(promise);
    }
  };
  try {
    fill();
    while (pending.length > 0) {
      const batch = await pending.shift()!;
      fill();
      yield batch;
    }
  } finally {
    if (pool) await (await (pool as Promise<CropPool>)).close();
  }
}

function sourceOf(dataset: BatchDataset, idx: number): CropSource {
  const pixels = dataset.pixels;
  if (pixels) {
    const size = pixels.height * pixels.width * 3;
    return { data: pixels.data.subarray(idx * size, (idx + 1) * size), width: pixels.width, height: pixels.height };
  }
  return dataset.files![idx]!;
}

async function prepareBatch(
  spec: ModelSpec,
  dataset: BatchDataset,
  indices: number[],
  crop: CropSpec | null,
  pool: () => Promise<CropPool>,
  options: BatchOptions,
): Promise<PreparedBatch> {
  const rowBytes = spec.height * spec.width * 3;
  const crops = new Uint8Array(indices.length * rowBytes);
  const failures = new Map<number, string>();
  if (!crop) {
    // Arrays of the model's size go straight in.
    const pixels = dataset.pixels!;
    indices.forEach((idx, row) => crops.set(pixels.data.subarray(idx * rowBytes, (idx + 1) * rowBytes), row * rowBytes));
  } else {
    const workers = await pool();
    await Promise.all(
      indices.map(async (idx, row) => {
        try {
          const image = await workers.crop(sourceOf(dataset, idx), crop);
          crops.set(image.data, row * rowBytes);
        } catch (error) {
          // An unreadable image (a RetestError from the decoder or the geometry) is recorded as a
          // failed image; anything else is a bug or a dead worker, and stops the run.
          if (!isRetestError(error)) throw error;
          const where = dataset.files ? dataset.files[idx]! : `${dataset.source} record ${idx}`;
          if (options.failFast)
            throw dataError(`cannot read image ${idx} (--fail-fast): ${(error as Error).message}`, { file: where, record: idx, cause: error });
          failures.set(row, `${where}: ${(error as Error).message}`);
        }
      }),
    );
  }
  let tensor: Float32Array | null = null;
  if (options.tensor) {
    tensor = new Float32Array(indices.length * rowBytes);
    for (let row = 0; row < indices.length; row++) if (!failures.has(row)) writeImageToTensor(crops, row * rowBytes, spec, tensor, row);
  }
  return { indices, crops, tensor, failures };
}
