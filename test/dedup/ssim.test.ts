import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dssim, ssim, ssimWindow, type ImageBatch } from '../../src/dedup/index.ts';
import { readCifarBin } from '../../src/formats/index.ts';
import { describeWithData, SHARED_DATA } from '../helpers/shared.ts';

describe('ssimWindow', () => {
  it('is 35 px at 256², proportionally smaller and odd below, at least 3', () => {
    expect(ssimWindow(256)).toBe(35);
    expect(ssimWindow(32)).toBe(5);
    expect(ssimWindow(64)).toBe(9);
    expect(ssimWindow(8)).toBe(3);
  });
});

describe('ssim / dssim', () => {
  const flat = (v: number): ImageBatch => ({ count: 1, width: 16, height: 16, pixels: new Uint8Array(16 * 16 * 3).fill(v) });
  it('identical images: SSIM 1, DSSIM 0', () => {
    const img: ImageBatch = { count: 1, width: 16, height: 16, pixels: Uint8Array.from({ length: 768 }, (_, i) => (i * 37) % 256) };
    expect(ssim(img.pixels, 0, img.pixels, 0, 16, 16, 5)).toBeCloseTo(1, 12);
    expect(dssim(img, 0, img, 0, 5)).toBeCloseTo(0, 12);
  });
  it('is symmetric and lies in [0, 1] for DSSIM', () => {
    const a: ImageBatch = { count: 1, width: 16, height: 16, pixels: Uint8Array.from({ length: 768 }, (_, i) => (i * 37) % 256) };
    const b: ImageBatch = { count: 1, width: 16, height: 16, pixels: Uint8Array.from({ length: 768 }, (_, i) => (i * 91 + 7) % 256) };
    const ab = dssim(a, 0, b, 0, 5);
    expect(ab).toBeCloseTo(dssim(b, 0, a, 0, 5), 12);
    expect(ab).toBeGreaterThan(0);
    expect(ab).toBeLessThanOrEqual(1);
    expect(dssim(flat(10), 0, flat(10), 0)).toBe(0);
  });
});

describeWithData('ssim matches scikit-image structural_similarity (uniform window) on CIFAR images', () => {
  // Reference values computed with numpy/scipy exactly as skimage does (uniform_filter, sample
  // covariance, K1 .01, K2 .03, data range 255, borders of (win−1)/2 cropped, channel mean).
  const cases: [number, number, number, number][] = [
    [0, 1, 5, -0.025928479818928794],
    [0, 1, 7, -0.059624125795705495],
    [3, 10, 5, 0.07278912436369255],
    [2, 2, 5, 1],
  ];
  it.each(cases)('images %i and %i, window %i', (i, j, win, expected) => {
    const { pixels } = readCifarBin(join(SHARED_DATA, 'cifar10', 'test_batch_first1000.bin'));
    const size = 32 * 32 * 3;
    expect(ssim(pixels, i * size, pixels, j * size, 32, 32, win)).toBeCloseTo(expected, 10);
  });
});
