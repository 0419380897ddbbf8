/**
 * What `Image.open(f).convert('RGB')` makes of files that are not plain 8-bit sRGB JPEGs, pinned on
 * files generated here with sharp. Expected values come from Pillow's documented conversions
 * (Convert.c, the PNG/JPEG plugins' raw modes), computed in the test, never from retest's code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSamples, type RgbImage } from '../../src/formats/index.ts';
import { cropImage, openRgb, pillowConvertRgb, type CropSpec } from '../../src/preprocess/index.ts';

const pillowDefaults = { iccToSrgb: false, exifRotate: false };
const spec = (over: Partial<CropSpec> = {}): CropSpec => ({ resize: 224, crop: 224, interpolation: 'box', resampler: 'pillow', ...pillowDefaults, ...over });

/** Pillow's cmyk2rgb, written out from Convert.c: nk = 255 − K; R = clip(nk − MULDIV255(C, nk)). */
function pillowCmyk(c: number, m: number, y: number, k: number): [number, number, number] {
  const nk = 255 - k;
  const mul = (a: number) => {
    const t = a * nk + 128;
    return ((t >> 8) + t) >> 8;
  };
  const clip = (v: number) => Math.max(0, Math.min(255, v));
  return [clip(nk - mul(c)), clip(nk - mul(m)), clip(nk - mul(y))];
}

const pixel = (image: RgbImage, x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

/** Inserts a PNG chunk right after IHDR (PNG chunks: length, type, data, CRC-32 of type+data). */
function insertPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const afterIhdr = 8 + 8 + png.readUInt32BE(8) + 4;
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}

/** Drops every segment with this marker from a JPEG's header. */
function dropJpegSegments(jpeg: Buffer, marker: number): Buffer {
  const parts = [jpeg.subarray(0, 2)];
  let p = 2;
  while (p < jpeg.length) {
    if (jpeg[p + 1] === 0xda) {
      parts.push(jpeg.subarray(p));
      break;
    }
    const length = jpeg.readUInt16BE(p + 2);
    if (jpeg[p + 1] !== marker) parts.push(jpeg.subarray(p, p + 2 + length));
    p += 2 + length;
  }
  return Buffer.concat(parts);
}

describe('RGBA: alpha is dropped before resizing, nothing composited', () => {
  // 448² checkerboard: opaque (200, 100, 50) on even squares, fully transparent black on odd ones.
  let png: Buffer;
  beforeAll(async () => {
    const data = Buffer.alloc(448 * 448 * 4);
    for (let y = 0; y < 448; y++) for (let x = 0; x < 448; x++) if ((x + y) % 2 === 0) data.set([200, 100, 50, 255], (y * 448 + x) * 4);
    png = await sharp(data, { raw: { width: 448, height: 448, channels: 4 } })
      .png()
      .toBuffer();
  });

  it('box 2× down averages the transparent black too: (200+0)/2 rounds to (100, 50, 25) everywhere', async () => {
    const crop = await cropImage(png, spec());
    expect([crop.width, crop.height]).toEqual([224, 224]);
    for (const [x, y] of [
      [0, 0],
      [1, 0],
      [100, 57],
      [223, 223],
    ] as const)
      expect(pixel(crop, x, y)).toEqual([100, 50, 25]);
  });

  it('libvips premultiplies instead, so transparent pixels vanish from the mean (the documented deviation)', async () => {
    const crop = await cropImage(png, spec({ interpolation: 'bilinear', resampler: 'libvips' }));
    expect(pixel(crop, 100, 100)[0]).toBeGreaterThan(190);
  });
});

describe("CMYK JPEG: Pillow's plain formula on the inverted (Adobe) samples, any profile ignored", () => {
  // Left half white, right half a dark blue, converted to CMYK by libvips.
  let plain: Buffer;
  let withProfile: Buffer;
  beforeAll(async () => {
    const rgb = Buffer.alloc(64 * 32 * 3);
    for (let i = 0; i < 64 * 32; i++) rgb.set(i % 64 < 32 ? [255, 255, 255] : [30, 40, 120], i * 3);
    const base = sharp(rgb, { raw: { width: 64, height: 32, channels: 3 } }).toColourspace('cmyk');
    plain = await base.clone().jpeg({ quality: 100 }).toBuffer();
    withProfile = await base.clone().withIccProfile('cmyk').jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(withProfile).metadata()).hasProfile).toBe(true);
    expect((await sharp(plain).metadata()).hasProfile).toBe(false);
  });

  it("no ink is white: the 4-channel samples are read as ink amounts (Pillow's CMYK;I)", async () => {
    const samples = await decodeSamples(plain);
    expect([samples.colour, samples.channels, samples.bits]).toEqual(['cmyk', 4, 8]);
    expect(Array.from(samples.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(pixel(await openRgb(plain, pillowDefaults), 0, 0)).toEqual([255, 255, 255]);
  });

  it('every pixel is R = clip(nk − MULDIV255(C, nk)) …, also with an embedded CMYK profile', async () => {
    for (const file of [plain, withProfile]) {
      const samples = await decodeSamples(file);
      const rgb = await openRgb(file, pillowDefaults);
      for (const [x, y] of [
        [5, 5],
        [40, 10],
        [63, 31],
      ] as const) {
        const s = Array.from(samples.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 4));
        expect(pixel(rgb, x, y)).toEqual(pillowCmyk(s[0]!, s[1]!, s[2]!, s[3]!));
      }
    }
    // The dark blue comes back bluish through the plain formula (no profile involved).
    const [r, , b] = pixel(await openRgb(plain, pillowDefaults), 40, 0);
    expect(b! - r!).toBeGreaterThan(30);
  });

  it("without Adobe's APP14 segment the samples are still read inverted (Pillow assumes Adobe always)", async () => {
    const stripped = dropJpegSegments(plain, 0xee);
    expect(stripped.length).toBeLessThan(plain.length);
    const rgb = await openRgb(stripped, pillowDefaults);
    expect(Buffer.from(rgb.data).equals(Buffer.from((await openRgb(plain, pillowDefaults)).data))).toBe(true);
  });

  it('--icc-to-srgb converts through the profile instead: the blue differs from the plain formula', async () => {
    const managed = await openRgb(withProfile, { iccToSrgb: true, exifRotate: false });
    const plainRgb = await openRgb(withProfile, pillowDefaults);
    const d = pixel(managed, 50, 10).map((v, c) => Math.abs(v - pixel(plainRgb, 50, 10)[c]!));
    expect(Math.max(...d)).toBeGreaterThan(5);
  });
});

describe('palette, LA and 16-bit PNGs', () => {
  it('palette with a transparent entry: the palette colour, alpha dropped', async () => {
    const colours = [
      [10, 200, 30, 255],
      [250, 5, 128, 255],
      [77, 77, 200, 255],
      [90, 60, 30, 0],
    ];
    const data = Buffer.alloc(32 * 8 * 4);
    for (let i = 0; i < 32 * 8; i++) data.set(colours[Math.floor((i % 32) / 8)]!, i * 4);
    const png = await sharp(data, { raw: { width: 32, height: 8, channels: 4 } })
      .png({ palette: true, colours: 4, dither: 0 })
      .toBuffer();
    expect((await sharp(png).metadata()).isPalette).toBe(true);
    // The file's own palette (PLTE) and alpha table (tRNS), read from its chunks.
    const chunk = (type: string) => {
      const at = png.indexOf(type, 8, 'latin1');
      return png.subarray(at + 4, at + 4 + png.readUInt32BE(at - 4));
    };
    const plte = chunk('PLTE');
    const trns = chunk('tRNS');
    const transparent = trns.indexOf(0);
    expect(transparent).toBeGreaterThanOrEqual(0);
    const rgb = await openRgb(png, pillowDefaults);
    for (let c = 0; c < 3; c++) expect(pixel(rgb, c * 8 + 1, 3)).toEqual(colours[c]!.slice(0, 3));
    expect(pixel(rgb, 25, 3)).toEqual(Array.from(plte.subarray(transparent * 3, transparent * 3 + 3)));
  });

  it('LA: the grey value in all three channels, whatever the alpha', async () => {
    const data = Buffer.alloc(64 * 32 * 2);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) data.set([x * 4, y * 8], (y * 64 + x) * 2);
    const png = await sharp(data, { raw: { width: 64, height: 32, channels: 2 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const samples = await decodeSamples(png);
    expect(samples.colour).toBe('grey');
    const rgb = pillowConvertRgb(samples);
    // Row 0 is fully transparent: still its grey, not composited onto black.
    expect(pixel(rgb, 13, 0)).toEqual([52, 52, 52]);
    expect(pixel(rgb, 63, 31)).toEqual([252, 252, 252]);
  });

  it("16-bit grey: Pillow opens it as I;16 and convert('RGB') clips at 255 (no scaling to 8 bits)", async () => {
    const values = [0, 1, 200, 254, 255, 256, 1000, 40000, 65535];
    const png = await sharp(Uint16Array.from(values), { raw: { width: values.length, height: 1, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const samples = await decodeSamples(png);
    expect([samples.colour, samples.bits, samples.channels]).toEqual(['grey', 16, 1]);
    const rgb = await openRgb(png, pillowDefaults);
    expect(values.map((_, x) => pixel(rgb, x, 0)[0])).toEqual([0, 1, 200, 254, 255, 255, 255, 255, 255]);
  });

  it("16-bit RGB and 16-bit grey + alpha: the high byte (Pillow's RGB;16B and LA;16B raw modes)", async () => {
    const rgb16 = Uint16Array.from([0x0000, 0x12ff, 0xabcd, 0xffff, 0x0100, 0x00ff]);
    const png = await sharp(rgb16, { raw: { width: 2, height: 1, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await decodeSamples(png)).bits).toBe(16);
    expect(Array.from((await openRgb(png, pillowDefaults)).data)).toEqual([0x00, 0x12, 0xab, 0xff, 0x01, 0x00]);
    const la16 = Uint16Array.from([0x1234, 0xffff, 0x00ff, 0x0000]);
    const lapng = await sharp(la16, { raw: { width: 2, height: 1, channels: 2 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const samples = await decodeSamples(lapng);
    expect([samples.colour, samples.bits, samples.channels]).toEqual(['grey', 16, 2]);
    expect(Array.from(pillowConvertRgb(samples).data)).toEqual([0x12, 0x12, 0x12, 0x00, 0x00, 0x00]);
  });

  it('an ICC profile in a PNG is ignored by default and applied with --icc-to-srgb', async () => {
    const raw = Buffer.alloc(8 * 8 * 3);
    for (let i = 0; i < 64; i++) raw.set([250, 20, 20], i * 3);
    const plain = await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toBuffer();
    // Display P3's profile, taken from a file sharp wrote, spliced into the plain PNG (iCCP: name, 0, zlib data).
    const p3 = (
      await sharp(
        await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } })
          .withIccProfile('p3')
          .png()
          .toBuffer(),
      ).metadata()
    ).icc!;
    const { deflateSync } = await import('node:zlib');
    const tagged = insertPngChunk(plain, 'iCCP', Buffer.concat([Buffer.from('P3\0\0', 'latin1'), deflateSync(p3)]));
    expect((await sharp(tagged).metadata()).hasProfile).toBe(true);
    expect(pixel(await openRgb(tagged, pillowDefaults), 3, 3)).toEqual([250, 20, 20]);
    const managed = pixel(await openRgb(tagged, { iccToSrgb: true, exifRotate: false }), 3, 3);
    expect(managed[0]).toBe(255); // P3 red is outside sRGB: clipped
    expect(managed[1]).toBeLessThan(20);
  });
});

describe('container and encoding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retest-odd-'));

  it('PNG data in a file named .JPEG is read as the PNG it is', async () => {
    const raw = Buffer.alloc(448 * 448 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7) % 251;
    const file = join(dir, 'really-a-png.JPEG');
    writeFileSync(
      file,
      await sharp(raw, { raw: { width: 448, height: 448, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const samples = await decodeSamples(file);
    expect(samples.format).toBe('png');
    expect(Buffer.from(pillowConvertRgb(samples).data).equals(raw)).toBe(true);
  });

  it('progressive greyscale JPEG at full size: flat 16×16 blocks decode exactly, box 2× keeps them', async () => {
    const value = (bx: number, by: number) => ((bx * 7 + by * 13) % 200) + 20;
    const grey = Buffer.alloc(448 * 448);
    for (let y = 0; y < 448; y++) for (let x = 0; x < 448; x++) grey[y * 448 + x] = value(x >> 4, y >> 4);
    const jpeg = await sharp(grey, { raw: { width: 448, height: 448, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 100, progressive: true })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).isProgressive).toBe(true);
    const rgb = await openRgb(jpeg, pillowDefaults);
    expect([rgb.width, rgb.height]).toEqual([448, 448]);
    expect(pixel(rgb, 17, 40)).toEqual([value(1, 2), value(1, 2), value(1, 2)]);
    const crop = await cropImage(jpeg, spec());
    for (const [x, y] of [
      [0, 0],
      [9, 30],
      [223, 100],
    ] as const)
      expect(pixel(crop, x, y)[0]).toBe(value((2 * x) >> 4, (2 * y) >> 4));
  });

  it('EXIF orientation is ignored by default (as Image.open) and applied with --exif-rotate', async () => {
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let x = 0; x < 20; x++) for (let y = 0; y < 20; y++) raw.set([255, 0, 0], (y * 40 + x) * 3); // left half red
    const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const stored = await openRgb(jpeg, pillowDefaults);
    expect([stored.width, stored.height]).toEqual([40, 20]);
    expect(pixel(stored, 2, 10)[0]).toBeGreaterThan(200);
    const rotated = await openRgb(jpeg, { iccToSrgb: false, exifRotate: true });
    expect([rotated.width, rotated.height]).toEqual([20, 40]);
    // Orientation 6 = rotate 90° clockwise: the left half goes to the top.
    expect(pixel(rotated, 10, 2)[0]).toBeGreaterThan(200);
    expect(pixel(rotated, 10, 37)[0]).toBeLessThan(60);
    const libvips = await cropImage(jpeg, spec({ resize: 20, crop: 20, interpolation: 'bilinear', resampler: 'libvips' }));
    expect([libvips.width, libvips.height]).toEqual([20, 20]);
  });

  it('an unreadable or truncated file is a data error naming it', async () => {
    const file = join(dir, 'garbage.jpg');
    writeFileSync(file, 'not an image');
    await expect(cropImage(file, spec())).rejects.toMatchObject({ kind: 'data', file });
    const good = await sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer();
    const cut = join(dir, 'cut.jpg');
    writeFileSync(cut, good.subarray(0, good.length - 40));
    await expect(cropImage(cut, spec({ resize: 32, crop: 32 }))).rejects.toMatchObject({ kind: 'data', file: cut });
    await expect(cropImage(join(dir, 'missing.jpg'), spec())).rejects.toMatchObject({ kind: 'data', message: 'image file not found' });
  });

  it('a crop larger than the resized image is refused with the sizes', async () => {
    const png = await sharp(Buffer.alloc(40 * 30 * 3), { raw: { width: 40, height: 30, channels: 3 } })
      .png()
      .toBuffer();
    await expect(cropImage(png, spec({ resize: 20, crop: 32 }))).rejects.toThrow(/too small to crop 32×32 after resizing to 26×20/);
  });
});
