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

/**
 * Horizontal pass: `rows` input rows from `firstRow`, resampled at the output columns `cols`
 * describes; 8-bit result (the clamped array does Pillow's clip8).
 */
function horizontalPass(image: RgbImage, firstRow: number, rows: number, cols: AxisCoefficients): Uint8ClampedArray {
  const { start, count, weights, taps } = cols;
  const width = start.length;
  const src = image.data;
  const out = new Uint8ClampedArray(rows * width * 3);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    const rowBase = (firstRow + r) * image.width * 3;
    for (let xx = 0; xx < width; xx++) {
      const n = count[xx]!;
      const kb = xx * taps;
      let p = rowBase + start[xx]! * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const k = weights[kb + x]!;
        s0 += src[p]! * k;
        s1 += src[p + 1]! * k;
        s2 += src[p + 2]! * k;
      }
      out[o++] = s0 >> PRECISION_BITS;
      out[o++] = s1 >> PRECISION_BITS;
      out[o++] = s2 >> PRECISION_BITS;
    }
  }
  return out;
}

/**
 * Vertical pass over a source of `stride` pixels per row, reading `width` pixels from column
 * `left`; row `start[i] − rowShift` of the source is input row `start[i]`.
 */
function verticalPass(src: Uint8Array | Uint8ClampedArray, stride: number, left: number, width: number, rowShift: number, rows: AxisCoefficients): Uint8Array {
  const { start, count, weights, taps } = rows;
  const height = start.length;
  const line = width * 3;
  const out = new Uint8ClampedArray(height * line);
  const acc = new Int32Array(line);
  for (let yy = 0; yy < height; yy++) {
    acc.fill(HALF);
    const n = count[yy]!;
    const kb = yy * taps;
    for (let y = 0; y < n; y++) {
      const k = weights[kb + y]!;
      const p = ((start[yy]! - rowShift + y) * stride + left) * 3;
      for (let i = 0; i < line; i++) acc[i] += src[p + i]! * k;
    }
    const o = yy * line;
    for (let i = 0; i < line; i++) out[o + i] = acc[i]! >> PRECISION_BITS;
  }
  return bytes(out);
}

function bytes(clamped: Uint8ClampedArray): Uint8Array {
  return new Uint8Array(clamped.buffer, clamped.byteOffset, clamped.byteLength);
}

/** Copies a rectangle of an RGB image. */
function extract(image: { data: Uint8Array | Uint8ClampedArray; width: number }, box: CropBox, rowShift = 0): Uint8Array {
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
    return result(bytes(horizontalPass(image, box.top, box.height, cols)));
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
