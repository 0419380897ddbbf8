/**
 * Pure resampling of 8-bit RGB batches: area averaging (each output pixel is the mean of the input
 * area it covers, with fractional edge weights). Descriptors use it to bring images to a fixed size
 * (e.g. 256² squashed copies down to 32² or 64²); it is exact for integer factors (box filter).
 */
import type { ImageBatch } from './types.ts';

/** Per-axis weights: for each output index, the input indices and their weights (summing to 1). */
function axisWeights(inSize: number, outSize: number): { start: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const out: { start: number; weights: number[] }[] = [];
  for (let o = 0; o < outSize; o++) {
    if (scale <= 1) {
      // Enlarging: linear interpolation between the two nearest input pixel centres.
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
      const x0 = Math.floor(x);
      const x1 = Math.min(x0 + 1, inSize - 1);
      const f = x - x0;
      out.push(x1 === x0 ? { start: x0, weights: [1] } : { start: x0, weights: [1 - f, f] });
      continue;
    }
    const from = o * scale;
    const to = from + scale;
    const start = Math.floor(from);
    const weights: number[] = [];
    for (let i = start; i < Math.min(Math.ceil(to), inSize); i++) {
      weights.push((Math.min(to, i + 1) - Math.max(from, i)) / scale);
    }
    out.push({ start, weights });
  }
  return out;
}

/** Resamples every image of a batch to width × height, returning floats (0…255, HWC). */
export function resampleToFloat(batch: ImageBatch, width: number, height: number): Float32Array {
  const { count, width: w, height: h, pixels } = batch;
  const out = new Float32Array(count * width * height * 3);
  if (w === width && h === height) {
    for (let i = 0; i < out.length; i++) out[i] = pixels[i]!;
    return out;
  }
  const wx = axisWeights(w, width);
  const wy = axisWeights(h, height);
  const row = new Float32Array(width * 3);
  for (let n = 0; n < count; n++) {
    const base = n * w * h * 3;
    const outBase = n * width * height * 3;
    for (let oy = 0; oy < height; oy++) {
      const y = wy[oy] as { start: number; weights: number[] };
      row.fill(0);
      for (let a = 0; a < y.weights.length; a++) {
        const wyv = y.weights[a]!;
        const rowBase = base + (y.start + a) * w * 3;
        for (let ox = 0; ox < width; ox++) {
          const x = wx[ox] as { start: number; weights: number[] };
          let r = 0,
            g = 0,
            b = 0;
          for (let c = 0; c < x.weights.length; c++) {
            const p = rowBase + (x.start + c) * 3;
            const wv = x.weights[c]!;
            r += wv * pixels[p]!;
            g += wv * pixels[p + 1]!;
            b += wv * pixels[p + 2]!;
          }
          row[ox * 3] = row[ox * 3]! + wyv * r;
          row[ox * 3 + 1] = row[ox * 3 + 1]! + wyv * g;
          row[ox * 3 + 2] = row[ox * 3 + 2]! + wyv * b;
        }
      }
      out.set(row, outBase + oy * width * 3);
    }
  }
  return out;
}

/** Resamples to width × height and rounds back to 8 bits. */
export function resampleBatch(batch: ImageBatch, width: number, height: number): ImageBatch {
  const floats = resampleToFloat(batch, width, height);
  const pixels = new Uint8Array(floats.length);
  for (let i = 0; i < floats.length; i++) pixels[i] = Math.round(floats[i]!);
  return { count: batch.count, width, height, pixels };
}

/** Image `index` of a batch as its own one-image batch (a view, no copy). */
export function imageAt(batch: ImageBatch, index: number): ImageBatch {
  const size = batch.width * batch.height * 3;
  return { count: 1, width: batch.width, height: batch.height, pixels: batch.pixels.subarray(index * size, (index + 1) * size) };
}
