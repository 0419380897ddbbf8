/**
 * SSIM (Wang et al. 2004) with a uniform square window, as scikit-image's `structural_similarity`
 * computes it by default (K1 0.01, K2 0.03, data range 255, sample covariance, mean over the
 * windows that fit inside the image, mean over the three channels), and DSSIM = (1 − SSIM) / 2.
 * The window is 35 px at 256² (the ImageNetV2 review metric) and proportionally smaller on smaller
 * images (odd, at least 3): 5 px at 32². Window sums come from summed-area tables, so one pair costs
 * O(pixels) whatever the window.
 */
import type { ImageBatch } from './types.ts';

/** The window side for images of `side` pixels: 35·side/256 rounded to an odd number, at least 3. */
export function ssimWindow(side: number): number {
  const w = Math.round((35 * side) / 256);
  const odd = w % 2 === 0 ? w + 1 : w;
  return Math.max(3, Math.min(odd, side % 2 === 0 ? side - 1 : side));
}

/** Mean SSIM of two same-sized RGB images (offsets into their pixel arrays). */
export function ssim(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  width: number,
  height: number,
  window = ssimWindow(Math.min(width, height)),
): number {
  const win = Math.min(window, width, height);
  const n = win * win;
  const cov = n / (n - 1);
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  const W = width + 1;
  const sa = new Float64Array(W * (height + 1));
  const sb = new Float64Array(W * (height + 1));
  const saa = new Float64Array(W * (height + 1));
  const sbb = new Float64Array(W * (height + 1));
  const sab = new Float64Array(W * (height + 1));
  let total = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      let ra = 0,
        rb = 0,
        raa = 0,
        rbb = 0,
        rab = 0;
      for (let x = 0; x < width; x++) {
        const p = (y * width + x) * 3 + c;
        const va = a[aOffset + p]!;
        const vb = b[bOffset + p]!;
        ra += va;
        rb += vb;
        raa += va * va;
        rbb += vb * vb;
        rab += va * vb;
        const o = (y + 1) * W + x + 1;
        const up = y * W + x + 1;
        sa[o] = sa[up]! + ra;
        sb[o] = sb[up]! + rb;
        saa[o] = saa[up]! + raa;
        sbb[o] = sbb[up]! + rbb;
        sab[o] = sab[up]! + rab;
      }
    }
    let sum = 0;
    let count = 0;
    const box = (t: Float64Array, x: number, y: number) => t[(y + win) * W + x + win]! - t[y * W + x + win]! - t[(y + win) * W + x]! + t[y * W + x]!;
    for (let y = 0; y + win <= height; y++) {
      for (let x = 0; x + win <= width; x++) {
        const ma = box(sa, x, y) / n;
        const mb = box(sb, x, y) / n;
        const va = (box(saa, x, y) / n - ma * ma) * cov;
        const vb = (box(sbb, x, y) / n - mb * mb) * cov;
        const vab = (box(sab, x, y) / n - ma * mb) * cov;
        sum += ((2 * ma * mb + C1) * (2 * vab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
    }
    total += sum / count;
  }
  return total / 3;
}

/** DSSIM = (1 − SSIM) / 2 between image `i` of `a` and image `j` of `b` (same size). */
export function dssim(a: ImageBatch, i: number, b: ImageBatch, j: number, window?: number): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error('dssim needs images of the same size');
  const size = a.width * a.height * 3;
  return (1 - ssim(a.pixels, i * size, b.pixels, j * size, a.width, a.height, window)) / 2;
}
