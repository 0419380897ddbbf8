/**
 * Pure conversions between images and model tensors.
 */
import type { ModelSpec } from './types.ts';

/**
 * Writes one HWC RGB uint8 image into slot `slot` of a batch tensor, scaled and normalised as the
 * spec says, in the spec's layout and channel order. The image must already be height×width.
 */
export function writeImageToTensor(pixels: Uint8Array, pixelOffset: number, spec: ModelSpec, tensor: Float32Array, slot: number): void {
  const plane = spec.height * spec.width;
  const base = slot * plane * 3;
  const scale = spec.scale;
  const mean = spec.mean ?? [0, 0, 0];
  const std = spec.std ?? [1, 1, 1];
  for (let c = 0; c < 3; c++) {
    const source = spec.channelOrder === 'RGB' ? c : 2 - c;
    // (v·scale − mean)/std folded into one multiply-add per value.
    const a = scale / std[source]!;
    const b = -mean[source]! / std[source]!;
    if (spec.layout === 'NCHW') {
      const out = base + c * plane;
      for (let p = 0; p < plane; p++) tensor[out + p] = pixels[pixelOffset + p * 3 + source]! * a + b;
    } else {
      for (let p = 0; p < plane; p++) tensor[base + p * 3 + c] = pixels[pixelOffset + p * 3 + source]! * a + b;
    }
  }
}

/** The `k` largest entries of a row, best first (ties: lower class index first). */
export function topK(row: Float32Array, offset: number, length: number, k: number): { classes: number[]; scores: number[] } {
  const kk = Math.min(k, length);
  const classes: number[] = [];
  const scores: number[] = [];
  for (let j = 0; j < length; j++) {
    const v = row[offset + j]!;
    if (classes.length === kk && v <= scores[kk - 1]!) continue;
    let pos = classes.length === kk ? kk - 1 : classes.length;
    if (classes.length < kk) {
      classes.push(j);
      scores.push(v);
    }
    while (pos > 0 && scores[pos - 1]! < v) {
      classes[pos] = classes[pos - 1]!;
      scores[pos] = scores[pos - 1]!;
      pos--;
    }
    classes[pos] = j;
    scores[pos] = v;
  }
  return { classes, scores };
}

/** Index of the first non-finite value in a row, or -1. */
export function firstNonFinite(row: Float32Array, offset: number, length: number): number {
  for (let j = 0; j < length; j++) if (!Number.isFinite(row[offset + j]!)) return j;
  return -1;
}
