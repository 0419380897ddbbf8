/**
 * The sharp adapter against Pillow/torchvision: geometry exactly; libvips' resize (`--resampler
 * libvips`) within a small tolerance (the Pillow-exact resampler is pinned in test/preprocess).
 * Reference values computed with Debian's python3-pil 9.4 on the same generated image:
 *   img.resize((int(256*W/H), 256), BILINEAR).crop((round((w-224)/2), round((h-224)/2), …))
 */
import { describe, expect, it } from 'vitest';
import {
  decodeRgb,
  encodeJpeg,
  encodePng,
  imageInfo,
  resizeCropGeometry,
  resizeExact,
  resizeLongerSide,
  resizeShorterCenterCrop,
  roundHalfEven,
  type RgbImage,
} from '../../src/formats/image-io.ts';
import { RetestError } from '../../src/core/errors.ts';

/** The test pattern, same formula as the Python reference script. */
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

describe('roundHalfEven (Python round)', () => {
  it('rounds halves to the even neighbour', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, 79.5, 80.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, 80, 80]);
    expect([1.4, 1.6, 2.49, 2.51].map(roundHalfEven)).toEqual([1, 2, 2, 3]);
  });
});

describe('resizeCropGeometry (torchvision Resize + CenterCrop)', () => {
  it('truncates the longer side and rounds offsets half to even', () => {
    // 640×427 → int(256·640/427) = 383; left = round(159/2 = 79.5) = 80 (even), top = round(16) = 16.
    expect(resizeCropGeometry(640, 427, 256, 224)).toEqual({ resizedWidth: 383, resizedHeight: 256, left: 80, top: 16 });
    // 301×203 → 379; left = round(77.5) = 78.
    expect(resizeCropGeometry(301, 203, 256, 224)).toEqual({ resizedWidth: 379, resizedHeight: 256, left: 78, top: 16 });
    // Portrait: 375×500 → 256×341; top = round(58.5) = 58.
    expect(resizeCropGeometry(375, 500, 256, 224)).toEqual({ resizedWidth: 256, resizedHeight: 341, left: 16, top: 58 });
  });
});

describe('resizeShorterCenterCrop (libvips) against Pillow', () => {
  it('downsampling 640×427 → 383×256 → 224² matches Pillow bilinear within 0.2 mean, 3 max', async () => {
    const png = await encodePng(pattern(640, 427));
    const ours = await resizeShorterCenterCrop(png, { resize: 256, crop: 224, interpolation: 'bilinear' });
    expect([ours.width, ours.height]).toEqual([224, 224]);
    // Pillow: pixel sum 19296277 and these pixels (indices 0, 1000, 25000, 50175).
    const sum = ours.data.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 19_296_277) / ours.data.length).toBeLessThan(0.2);
    const pillow = [
      [83, 32, 200],
      [13, 141, 224],
      [27, 183, 228],
      [2, 241, 14],
    ];
    [0, 1000, 25000, 50175].forEach((p, i) => {
      for (let c = 0; c < 3; c++) expect(Math.abs(ours.data[p * 3 + c]! - pillow[i]![c]!)).toBeLessThanOrEqual(3);
    });
  });

  it('bicubic downsampling matches Pillow bicubic within 0.2 mean', async () => {
    const png = await encodePng(pattern(640, 427));
    const ours = await resizeShorterCenterCrop(png, { resize: 256, crop: 224, interpolation: 'bicubic' });
    const sum = ours.data.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 19_296_243) / ours.data.length).toBeLessThan(0.2);
  });

  it('refuses an image too small to crop after resizing, naming the input', async () => {
    const png = await encodePng(pattern(40, 30));
    await expect(resizeShorterCenterCrop(png, { resize: 20, crop: 32, interpolation: 'bilinear' })).rejects.toThrow(/too small/);
  });
});

describe('decode, encode and resize', () => {
  it('round-trips PNG losslessly and JPEG closely', async () => {
    const image = pattern(64, 48);
    const png = await decodeRgb(await encodePng(image));
    expect(png.width).toBe(64);
    expect(Buffer.from(png.data).equals(Buffer.from(image.data))).toBe(true);
    const jpeg = await decodeRgb(await encodeJpeg(image, 95));
    let diff = 0;
    for (let i = 0; i < image.data.length; i++) diff += Math.abs(jpeg.data[i]! - image.data[i]!);
    expect(diff / image.data.length).toBeLessThan(6);
    expect(await imageInfo(await encodeJpeg(image))).toEqual({ width: 64, height: 48, format: 'jpeg' });
  });

  it('resizeExact squashes and resizeLongerSide keeps the aspect ratio without enlarging', async () => {
    const image = pattern(300, 200);
    const squashed = await resizeExact(image, 256, 256);
    expect([squashed.width, squashed.height, squashed.data.length]).toEqual([256, 256, 256 * 256 * 3]);
    const display = await resizeLongerSide(image, 150);
    expect([display.width, display.height]).toEqual([150, 100]);
    const small = await resizeLongerSide(image, 500);
    expect([small.width, small.height]).toEqual([300, 200]);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const sharp = (await import('sharp')).default;
    const image = pattern(40, 20);
    const rotatedJpeg = await sharp(Buffer.from(image.data), { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const decoded = await decodeRgb(rotatedJpeg);
    expect([decoded.width, decoded.height]).toEqual([20, 40]);
    expect(await imageInfo(rotatedJpeg)).toMatchObject({ width: 20, height: 40 });
  });

  it('expands greyscale to RGB and turns garbage into a data error naming the input', async () => {
    const sharp = (await import('sharp')).default;
    const grey = await sharp(Buffer.alloc(16 * 8, 77), { raw: { width: 16, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    const decoded = await decodeRgb(grey);
    expect(decoded.data.length).toBe(16 * 8 * 3);
    expect([decoded.data[0], decoded.data[1], decoded.data[2]]).toEqual([77, 77, 77]);
    const error = await decodeRgb(Buffer.from('not an image')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetestError);
    expect((error as RetestError).kind).toBe('data');
  });
});
