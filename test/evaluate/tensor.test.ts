import { describe, expect, it } from 'vitest';
import { firstNonFinite, topK, writeImageToTensor } from '../../src/evaluate/tensor.ts';
import type { ModelSpec } from '../../src/evaluate/types.ts';

const spec = (over: Partial<ModelSpec> = {}): ModelSpec => ({
  name: 'm',
  path: 'm.onnx',
  inputName: 'input',
  outputName: 'logits',
  layout: 'NCHW',
  height: 1,
  width: 2,
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: null,
  std: null,
  resize: null,
  cropPct: null,
  cropMode: 'center',
  interpolation: 'bilinear',
  resampler: 'pillow',
  iccToSrgb: false,
  exifRotate: false,
  numClasses: 10,
  classLabels: null,
  referenceLogits: null,
  ...over,
});

describe('writeImageToTensor', () => {
  // Two pixels: (255, 0, 51) and (0, 102, 255).
  const pixels = new Uint8Array([255, 0, 51, 0, 102, 255]);

  it('writes NCHW planes scaled to [0, 1]', () => {
    const t = new Float32Array(6);
    writeImageToTensor(pixels, 0, spec(), t, 0);
    expect(Array.from(t).map((v) => +v.toFixed(4))).toEqual([1, 0, 0, 0.4, 0.2, 1]);
  });

  it('normalises with mean/std, swaps to BGR, and writes NHWC into the right slot', () => {
    const t = new Float32Array(12);
    writeImageToTensor(pixels, 0, spec({ layout: 'NHWC', channelOrder: 'BGR', mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.5] }), t, 1);
    expect(Array.from(t.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    // pixel 0 BGR: b=(0.2-0.5)/0.5, g=(0-0.5)/0.25, r=(1-0.5)/0.5
    expect(Array.from(t.subarray(6)).map((v) => +v.toFixed(4))).toEqual([-0.6, -2, 1, 1, -0.4, -1]);
  });
});

describe('topK', () => {
  it('returns the k best, best first, lower index first on ties', () => {
    const row = new Float32Array([0.1, 5, 3, 5, -1, 4]);
    expect(topK(row, 0, 6, 3)).toEqual({ classes: [1, 3, 5], scores: [5, 5, 4] });
    expect(topK(row, 2, 4, 2).classes).toEqual([1, 3]); // offset: row[2..5] = 3,5,-1,4
    expect(topK(new Float32Array([2, 1]), 0, 2, 5).classes).toEqual([0, 1]);
  });
});

describe('firstNonFinite', () => {
  it('finds NaN and Inf', () => {
    expect(firstNonFinite(new Float32Array([1, 2, 3]), 0, 3)).toBe(-1);
    expect(firstNonFinite(new Float32Array([1, NaN, 3]), 0, 3)).toBe(1);
    expect(firstNonFinite(new Float32Array([1, 2, Infinity]), 1, 2)).toBe(1);
  });
});
