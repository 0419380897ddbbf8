/**
 * Pixel descriptors. `pixels`: the raw 0…255 values at a fixed size (squared L2 on them is the
 * paper's "l2" metric: threshold 1.2e8 at 256², CIFAR-10.1's auto-removal at 1000 on 32²).
 * `pixels-std`: per-image mean removed, then unit norm, which makes the distance blind to
 * brightness offsets and contrast scaling (squared L2 between unit vectors = 2 − 2 cos, in [0, 4]).
 */
import { usageError } from '../core/errors.ts';
import { resampleToFloat } from './resample.ts';
import type { Descriptor, ImageBatch } from './types.ts';

export interface PixelsOptions {
  /** Side the images are resampled to (area averaging) before describing; null keeps their size. */
  size: number | null;
}

function checkSize(size: number | null): void {
  if (size !== null && (!Number.isInteger(size) || size < 1 || size > 1024)) {
    throw usageError('pixel descriptor size must be an integer from 1 to 1024', { field: 'size', received: String(size) });
  }
}

function sized(batch: ImageBatch, size: number | null): Float32Array {
  return size === null ? resampleToFloat(batch, batch.width, batch.height) : resampleToFloat(batch, size, size);
}

/**
 * Raw pixels (0…255, HWC) at `size`². Resampled values are rounded to integers, as an 8-bit copy at
 * that size would be, so that exact search can use its 8-bit integer kernel.
 */
export function pixelsDescriptor(options: PixelsOptions): Descriptor {
  checkSize(options.size);
  return {
    name: options.size === null ? 'pixels' : `pixels@${options.size}`,
    metric: 'l2',
    async dimension(width, height) {
      return options.size === null ? width * height * 3 : options.size * options.size * 3;
    },
    async describe(batch) {
      const out = sized(batch, options.size);
      if (options.size !== null && (options.size !== batch.width || options.size !== batch.height)) {
        for (let i = 0; i < out.length; i++) out[i] = Math.round(out[i]!);
      }
      return out;
    },
    async close() {},
  };
}

/** Standardized pixels: x − mean(x), scaled to unit norm (a constant image becomes all zeros). */
export function standardizedPixelsDescriptor(options: PixelsOptions): Descriptor {
  checkSize(options.size);
  return {
    name: options.size === null ? 'pixels-std' : `pixels-std@${options.size}`,
    metric: 'l2',
    async dimension(width, height) {
      return options.size === null ? width * height * 3 : options.size * options.size * 3;
    },
    async describe(batch) {
      const out = sized(batch, options.size);
      const d = out.length / Math.max(1, batch.count);
      for (let o = 0; o < out.length; o += d) standardize(out.subarray(o, o + d));
      return out;
    },
    async close() {},
  };
}

/** In place: subtract the mean, divide by the norm (all zeros when the vector is constant). */
export function standardize(v: Float32Array): void {
  let mean = 0;
  for (let t = 0; t < v.length; t++) mean += v[t]!;
  mean /= v.length || 1;
  let norm = 0;
  for (let t = 0; t < v.length; t++) {
    const x = v[t]! - mean;
    v[t] = x;
    norm += x * x;
  }
  const inv = norm > 1e-12 ? 1 / Math.sqrt(norm) : 0;
  for (let t = 0; t < v.length; t++) v[t] = v[t]! * inv;
}
