/**
 * The Pillow resampler against Pillow's algorithm: weights and pixels derived by hand from
 * Resample.c's formulas, and a generated image whose Pillow 9.4 output (BILINEAR / BICUBIC,
 * resize 640×427 → 383×256, crop 224 at (80, 16)) was recorded with Debian's python3-pil:
 *   img.resize((383, 256), BILINEAR).crop((80, 16, 304, 240)) → pixel sum 19,296,277.
 */
import { describe, expect, it } from 'vitest';
import { resizeCropGeometry, type Interpolation, type RgbImage } from '../../src/formats/index.ts';
import { axisCoefficients, PILLOW_FILTERS, pillowResize, pillowResizeCrop } from '../../src/preprocess/index.ts';

/** The test pattern of test/formats/image-io.test.ts, same formula as the Python reference script. */
function pattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.trunc(127.5 + 127.5 * Math.sin(x / 9 + y / 23));
      data[o + 1] = Math.trunc(127.5 + 127.5 * Math.cos(y / 7));
      data[o + 2] = (x * 3 + y * 2) % 256;
    }
  }
  return { data, width, height };
}

/** A grey one-row image. */
function row(values: number[]): RgbImage {
  return { data: Uint8Array.from(values.flatMap((v) => [v, v, v])), width: values.length, height: 1 };
}

const red = (image: RgbImage) => Array.from(image.data.filter((_, i) => i % 3 === 0));

describe('axisCoefficients (precompute_coeffs + normalize_coeffs_8bpc)', () => {
  it('downscaling 4 → 2 bilinear: support 2 input pixels, weights 0.75 : 0.75 : 0.25 normalised, 22-bit fixed point', () => {
    const c = axisCoefficients(4, 2, PILLOW_FILTERS.bilinear);
    expect(c.taps).toBe(5); // 2·ceil(2) + 1
    expect(Array.from(c.start)).toEqual([0, 1]);
    expect(Array.from(c.count)).toEqual([3, 3]);
    // 0.75/1.75·2^22 = 1797558.86 → 1797559; 0.25/1.75·2^22 = 599186.29 → 599186.
    expect(Array.from(c.weights.subarray(0, 3))).toEqual([1797559, 1797559, 599186]);
    expect(Array.from(c.weights.subarray(5, 8))).toEqual([599186, 1797559, 1797559]);
  });

  it('upscaling 2 → 4 bilinear: support stays 1, edge outputs read one pixel, inner ones 3:1 and 1:3', () => {
    const c = axisCoefficients(2, 4, PILLOW_FILTERS.bilinear);
    expect(Array.from(c.start)).toEqual([0, 0, 0, 1]);
    expect(Array.from(c.count)).toEqual([1, 2, 2, 1]);
    expect([c.weights[0], c.weights[3], c.weights[4], c.weights[6], c.weights[7], c.weights[9]]).toEqual([
      4194304, 3145728, 1048576, 1048576, 3145728, 4194304,
    ]);
  });

  it('a window of output positions has the same weights as the whole axis', () => {
    const whole = axisCoefficients(500, 341, PILLOW_FILTERS.bicubic);
    const part = axisCoefficients(500, 341, PILLOW_FILTERS.bicubic, 58, 224);
    expect(Array.from(part.start)).toEqual(Array.from(whole.start.subarray(58, 282)));
    expect(Array.from(part.weights)).toEqual(Array.from(whole.weights.subarray(58 * whole.taps, 282 * whole.taps)));
  });

  it('bicubic has negative lobes; lanczos weights are rounded away from zero', () => {
    const cubic = axisCoefficients(10, 3, PILLOW_FILTERS.bicubic);
    expect(Math.min(...cubic.weights)).toBeLessThan(0);
    const lanczos = axisCoefficients(10, 3, PILLOW_FILTERS.lanczos);
    for (let i = 0; i < 3; i++) {
      const sum = lanczos.weights.subarray(i * lanczos.taps, (i + 1) * lanczos.taps).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 4194304)).toBeLessThanOrEqual(lanczos.count[i]!);
    }
  });
});

describe('pillowResize', () => {
  it('places upsampled pixel centres as Pillow does: [0, 100] → [0, 25, 75, 100] (libvips: half a pixel off)', () => {
    // (100·1048576 + 2^21) >> 22 = 25 and (100·3145728 + 2^21) >> 22 = 75.
    expect(red(pillowResize(row([0, 100]), 4, 1, 'bilinear'))).toEqual([0, 25, 75, 100]);
  });

  it('rounds sums from ½ and clips overshoot to 0…255 (bicubic ringing at a step)', () => {
    const up = red(pillowResize(row([0, 0, 255, 255]), 8, 1, 'bicubic'));
    expect(up[0]).toBe(0);
    expect(up[7]).toBe(255);
    expect(Math.min(...up)).toBe(0);
    expect(Math.max(...up)).toBe(255);
    // Box filter, 2× down: each output is the mean of two inputs, half rounded up.
    expect(red(pillowResize(row([10, 11, 200, 0, 7, 7]), 3, 1, 'box'))).toEqual([11, 100, 7]);
  });

  it('nearest samples at accumulated positions scale/2 + k·scale, truncated', () => {
    // 5 → 3: scale 5/3, positions 0.83, 2.5, 4.17 → pixels 0, 2, 4. 2 → 5: 0.2, 0.6, 1.0, 1.4, 1.8.
    expect(red(pillowResize(row([10, 20, 30, 40, 50]), 3, 1, 'nearest'))).toEqual([10, 30, 50]);
    expect(red(pillowResize(row([10, 20]), 5, 1, 'nearest'))).toEqual([10, 10, 20, 20, 20]);
  });

  it('returns the image unchanged when the size does not change, whatever the filter', () => {
    const image = pattern(31, 17);
    for (const filter of ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'] as Interpolation[]) {
      expect(Buffer.from(pillowResize(image, 31, 17, filter).data).equals(Buffer.from(image.data))).toBe(true);
    }
  });

  it('a crop equals cropping the full resize, for every filter, down and up, one axis or both', () => {
    const image = pattern(97, 61);
    const cases: [number, number][] = [
      [40, 25],
      [150, 90],
      [97, 30],
      [50, 61],
      [200, 40],
    ];
    for (const filter of ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'] as Interpolation[]) {
      for (const [w, h] of cases) {
        const full = pillowResize(image, w, h, filter);
        const box = { left: 3, top: 2, width: w - 7, height: h - 5 };
        const crop = pillowResizeCrop(image, w, h, box, filter);
        const expected = new Uint8Array(box.width * box.height * 3);
        for (let y = 0; y < box.height; y++)
          expected.set(full.data.subarray(((box.top + y) * w + box.left) * 3, ((box.top + y) * w + box.left + box.width) * 3), y * box.width * 3);
        expect(Buffer.from(crop.data).equals(Buffer.from(expected)), `${filter} ${w}×${h}`).toBe(true);
      }
    }
  });

  it('refuses a crop outside the resized image', () => {
    expect(() => pillowResizeCrop(pattern(10, 10), 8, 8, { left: 1, top: 0, width: 8, height: 8 }, 'bilinear')).toThrow(RangeError);
  });
});

describe('pillowResizeCrop against Pillow 9.4 on a generated image', () => {
  const image = pattern(640, 427);
  const g = resizeCropGeometry(640, 427, 256, 224);
  const box = { left: g.left, top: g.top, width: 224, height: 224 };

  it('BILINEAR 640×427 → 383×256, crop at (80, 16): pixel sum 19,296,277 and the recorded pixels, exactly', () => {
    const out = pillowResizeCrop(image, g.resizedWidth, g.resizedHeight, box, 'bilinear');
    expect(out.data.reduce((a, b) => a + b, 0)).toBe(19_296_277);
    const pixels = [0, 1000, 25000, 50175].map((p) => Array.from(out.data.subarray(p * 3, p * 3 + 3)));
    expect(pixels).toEqual([
      [83, 32, 200],
      [13, 141, 224],
      [27, 183, 228],
      [2, 241, 14],
    ]);
  });

  it('BICUBIC: pixel sum 19,296,243, exactly', () => {
    const out = pillowResizeCrop(image, g.resizedWidth, g.resizedHeight, box, 'bicubic');
    expect(out.data.reduce((a, b) => a + b, 0)).toBe(19_296_243);
  });
});
