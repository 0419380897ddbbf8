/**
 * Pillow's `Image.resize` for 8-bit RGB, written from its algorithm (libImaging/Resample.c and
 * Geometry.c) so that retest's crops equal torchvision's byte for byte:
 * - a separable two-pass convolution, horizontal pass first, into an 8-bit intermediate;
 * - per output pixel, the filter's support is scaled by max(scale, 1); weights are computed in
 *   double, normalised to sum 1, then turned into fixed point with 22 fractional bits, rounded
 *   half away from zero; sums start at ½ and are shifted back and clipped to 0…255;
 * - nearest is not a convolution in Pillow: it is an affine scale that samples the input at
 *   accumulated positions (x₀ = scale/2, then += scale), truncated.
 * Only the pixels of the requested crop are computed: the vertical pass over the crop's rows, and
 * the horizontal pass over the input rows those need, at the crop's columns. Each output pixel
 * depends on nothing else, so the crop equals cropping Pillow's full resize.
 */
import type { Interpolation, RgbImage } from '../formats/index.ts';
import { PILLOW_FILTERS } from './pillow-filters.ts';
import type { AxisCoefficients, ConvolutionFilter, CropBox } from './types.ts';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/**
 * Weights of output positions `first … first+count−1` when an axis of `inSize` samples is
 * resampled to `outSize` (Pillow's precompute_coeffs + normalize_coeffs_8bpc, box = whole axis).
 */
export function axisCoefficients(inSize: number, outSize: number, filter: ConvolutionFilter, first = 0, count = outSize - first): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const inverse = 1.0 / filterScale;
  const start = new Int32Array(count);
  const counts = new Int32Array(count);
  const weights = new Int32Array(count * taps);
  const w = new Float64Array(taps);
  for (let i = 0; i < count; i++) {
    const center = (first + i + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let lo = Math.trunc(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.trunc(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    const n = hi - lo;
    let sum = 0.0;
    for (let x = 0; x < n; x++) {
      const v = filter.kernel((x + lo - center + 0.5) * inverse);
      w[x] = v;
      sum += v;
    }
    for (let x = 0; x < n; x++) {
      const k = sum !== 0.0 ? w[x]! / sum : w[x]!;
      weights[i * taps + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    start[i] = lo;
    counts[i] = n;
  }
  return { first, start, count: counts, weights, taps };
}

/** Pillow's clip8: the sum back from fixed point, clamped to 0…255. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/*
 * The passes accumulate in int32 with Math.imul, as Pillow's C ints do (sums fit by design: the
 * "two extra bits"), which V8 runs about twice as fast as float arithmetic; two rows (horizontal)
 * or four samples (vertical) share each weight load.
 */

/**
 * Horizontal pass: `rows` input rows from `firstRow`, resampled at the output columns `cols`
 * describes; 8-bit result.
 */
function horizontalPass(image: RgbImage, firstRow: number, rows: number, cols: AxisCoefficients): Uint8Array {
  const { start, count, weights, taps } = cols;
  const width = start.length;
  const src = image.data;
  const stride = image.width * 3;
  const line = width * 3;
  const out = new Uint8Array(rows * line);
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const rowBase = (firstRow + r) * stride;
    let o = r * line;
    for (let xx = 0; xx < width; xx++, o += 3) {
      const n = count[xx]!;
      const kb = xx * taps;
      let p = rowBase + start[xx]! * 3;
      let a0 = HALF,
        a1 = HALF,
        a2 = HALF,
        b0 = HALF,
        b1 = HALF,
        b2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const k = weights[kb + x]!;
        const q = p + stride;
        a0 = (a0 + Math.imul(src[p]!, k)) | 0;
        a1 = (a1 + Math.imul(src[p + 1]!, k)) | 0;
        a2 = (a2 + Math.imul(src[p + 2]!, k)) | 0;
        b0 = (b0 + Math.imul(src[q]!, k)) | 0;
        b1 = (b1 + Math.imul(src[q + 1]!, k)) | 0;
        b2 = (b2 + Math.imul(src[q + 2]!, k)) | 0;
      }
      out[o] = clip8(a0);
      out[o + 1] = clip8(a1);
      out[o + 2] = clip8(a2);
      out[o + line] = clip8(b0);
      out[o + line + 1] = clip8(b1);
      out[o + line + 2] = clip8(b2);
    }
  }
  for (; r < rows; r++) {
    const rowBase = (firstRow + r) * stride;
    let o = r * line;
    for (let xx = 0; xx < width; xx++, o += 3) {
      const n = count[xx]!;
      const kb = xx * taps;
      let p = rowBase + start[xx]! * 3;
      let a0 = HALF,
        a1 = HALF,
        a2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const k = weights[kb + x]!;
        a0 = (a0 + Math.imul(src[p]!, k)) | 0;
        a1 = (a1 + Math.imul(src[p + 1]!, k)) | 0;
        a2 = (a2 + Math.imul(src[p + 2]!, k)) | 0;
      }
      out[o] = clip8(a0);
      out[o + 1] = clip8(a1);
      out[o + 2] = clip8(a2);
    }
  }
  return out;
}

/**
 * Vertical pass over a source of `stride` pixels per row, reading `width` pixels from column
 * `left`; row `start[i] − rowShift` of the source is input row `start[i]`.
 */
function verticalPass(src: Uint8Array, stride: number, left: number, width: number, rowShift: number, rows: AxisCoefficients): Uint8Array {
  const { start, count, weights, taps } = rows;
  const height = start.length;
  const line = width * 3;
  const step = stride * 3;
  const out = new Uint8Array(height * line);
  for (let yy = 0; yy < height; yy++) {
    const n = count[yy]!;
    const kb = yy * taps;
    const base = ((start[yy]! - rowShift) * stride + left) * 3;
    const o = yy * line;
    let i = 0;
    for (; i + 4 <= line; i += 4) {
      let a0 = HALF,
        a1 = HALF,
        a2 = HALF,
        a3 = HALF;
      let p = base + i;
      for (let y = 0; y < n; y++, p += step) {
        const k = weights[kb + y]!;
        a0 = (a0 + Math.imul(src[p]!, k)) | 0;
        a1 = (a1 + Math.imul(src[p + 1]!, k)) | 0;
        a2 = (a2 + Math.imul(src[p + 2]!, k)) | 0;
        a3 = (a3 + Math.imul(src[p + 3]!, k)) | 0;
      }
      out[o + i] = clip8(a0);
      out[o + i + 1] = clip8(a1);
      out[o + i + 2] = clip8(a2);
      out[o + i + 3] = clip8(a3);
    }
    for (; i < line; i++) {
      let a = HALF;
      let p = base + i;
      for (let y = 0; y < n; y++, p += step) a = (a + Math.imul(src[p]!, weights[kb + y]!)) | 0;
      out[o + i] = clip8(a);
    }
  }
  return out;
}

/** Copies a rectangle of an RGB image. */
function extract(image: { data: Uint8Array; width: number }, box: CropBox, rowShift = 0): Uint8Array {
  const out = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.top - rowShift + y) * image.width + box.left) * 3;
    out.set(image.data.subarray(from, from + box.width * 3), y * box.width * 3);
  }
  return out;
}

/**
 * Pillow's NEAREST resize (an affine scale, Geometry.c ImagingScaleAffine), cropped. Sample
 * positions accumulate in double exactly as Pillow's loop does; a position that falls outside the
 * input leaves a black pixel, as Pillow's zero fill does.
 */
function nearestCrop(image: RgbImage, width: number, height: number, box: CropBox): Uint8Array {
  const positions = (inSize: number, outSize: number, from: number, n: number): Int32Array => {
    const step = inSize / outSize;
    const table = new Int32Array(n).fill(-1);
    let pos = step * 0.5;
    for (let i = 0; i < from + n; i++) {
      const sample = pos < 0.0 ? -1 : Math.trunc(pos);
      if (i >= from && sample >= 0 && sample < inSize) table[i - from] = sample;
      pos += step;
    }
    return table;
  };
  const xs = positions(image.width, width, box.left, box.width);
  const ys = positions(image.height, height, box.top, box.height);
  const out = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const sy = ys[y]!;
    if (sy < 0) continue;
    for (let x = 0; x < box.width; x++) {
      const sx = xs[x]!;
      if (sx < 0) continue;
      const p = (sy * image.width + sx) * 3;
      const o = (y * box.width + x) * 3;
      out[o] = image.data[p]!;
      out[o + 1] = image.data[p + 1]!;
      out[o + 2] = image.data[p + 2]!;
    }
  }
  return out;
}

/**
 * `image.resize((width, height), filter)` followed by `.crop(box)`, computing only the crop.
 * The box must lie inside width×height.
 */
export function pillowResizeCrop(image: RgbImage, width: number, height: number, box: CropBox, interpolation: Interpolation): RgbImage {
  if (box.left < 0 || box.top < 0 || box.left + box.width > width || box.top + box.height > height || box.width <= 0 || box.height <= 0) {
    throw new RangeError(`crop ${JSON.stringify(box)} is not inside the ${width}×${height} resized image`);
  }
  const result = (data: Uint8Array): RgbImage => ({ data, width: box.width, height: box.height });
  // Image.resize returns a copy when the size does not change, whatever the filter.
  if (width === image.width && height === image.height) return result(extract(image, box));
  if (interpolation === 'nearest') return result(nearestCrop(image, width, height, box));

  const filter = PILLOW_FILTERS[interpolation];
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needVertical) {
    const cols = axisCoefficients(image.width, width, filter, box.left, box.width);
    return result(horizontalPass(image, box.top, box.height, cols));
  }
  const rows = axisCoefficients(image.height, height, filter, box.top, box.height);
  // Input rows the crop's rows read (Pillow's ybox_first … ybox_last).
  const firstRow = rows.start[0]!;
  const lastRow = rows.start[box.height - 1]! + rows.count[box.height - 1]!;
  if (!needHorizontal) return result(verticalPass(image.data, image.width, box.left, box.width, 0, rows));
  const cols = axisCoefficients(image.width, width, filter, box.left, box.width);
  const strip = horizontalPass(image, firstRow, lastRow - firstRow, cols);
  return result(verticalPass(strip, box.width, 0, box.width, firstRow, rows));
}

/** `image.resize((width, height), filter)`: the whole resized image. */
export function pillowResize(image: RgbImage, width: number, height: number, interpolation: Interpolation): RgbImage {
  return pillowResizeCrop(image, width, height, { left: 0, top: 0, width, height }, interpolation);
}
