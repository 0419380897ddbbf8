/**
 * The one adapter for sharp (libvips). Everything that decodes, resizes or encodes images goes
 * through here. Two ways of decoding:
 * - `decodeSamples`: the file's own samples, as Pillow's `Image.open` sees them (ICC profile
 *   ignored, EXIF orientation ignored unless asked, 16-bit kept, CMYK as ink amounts); the
 *   torchvision-exact path converts them to RGB itself (src/preprocess);
 * - `decodeRgb`, `decodeSrgb` and the resize helpers: libvips end to end (colour-managed to sRGB,
 *   alpha dropped, greyscale expanded), for ingest, near-duplicate search, thumbnails and the
 *   `--resampler libvips`.
 * sharp is loaded lazily: commands that never touch an image never pay for it.
 */
import { readFile } from 'node:fs/promises';
import { dataError } from '../core/errors.ts';

type Sharp = typeof import('sharp')['default'];
let sharpModule: Sharp | undefined;
async function loadSharp(): Promise<Sharp> {
  if (!sharpModule) {
    sharpModule = (await import('sharp')).default;
    // Our own pools decide concurrency; libvips' per-image threads would only contend.
    sharpModule.concurrency(1);
    sharpModule.cache(false);
  }
  return sharpModule;
}

/** An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type ImageInput = string | Buffer | RgbImage;
/** Resampling filters, by Pillow's names. */
export type Interpolation = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';
export const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

/** The libvips kernels closest to Pillow's filters; libvips has no box or hamming kernel. */
const KERNEL = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest', lanczos: 'lanczos3' } as const;
type LibvipsInterpolation = keyof typeof KERNEL;

function kernel(interpolation: Interpolation): (typeof KERNEL)[LibvipsInterpolation] {
  if (interpolation in KERNEL) return KERNEL[interpolation as LibvipsInterpolation];
  throw dataError(`libvips has no "${interpolation}" filter`, {
    field: 'interpolation',
    expected: Object.keys(KERNEL).join(', '),
    received: interpolation,
    hint: 'use the Pillow resampler (the default) for box and hamming',
  });
}

/** Options of the libvips decode: both off by default, as in torchvision's `Image.open(f).convert('RGB')`. */
export interface DecodeOptions {
  /** Convert an embedded ICC profile to sRGB (and CMYK through a CMYK profile) instead of ignoring it. */
  iccToSrgb?: boolean | undefined;
  /** Rotate by the EXIF orientation tag instead of ignoring it. */
  exifRotate?: boolean | undefined;
}

/**
 * An image's samples as the decoder gives them, before any conversion to RGB: what Pillow's
 * `Image.open` holds before `.convert('RGB')`.
 */
export interface DecodedSamples {
  /** Interleaved samples, rows top to bottom; 16-bit sources keep 16 bits. */
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** Samples per pixel, alpha included. */
  channels: number;
  /** What the colour samples are: grey (1), RGB (3) or CMYK ink amounts (4, 0 = no ink). */
  colour: 'grey' | 'rgb' | 'cmyk';
  /** Whether the last channel is alpha. */
  hasAlpha: boolean;
  /** 8 or 16. */
  bits: 8 | 16;
  /** Container format by content, not by file name ("jpeg", "png", "webp", …). */
  format: string;
}

function isRgb(input: ImageInput): input is RgbImage {
  return typeof input === 'object' && !Buffer.isBuffer(input) && 'data' in input;
}

function describe(input: ImageInput): string {
  return typeof input === 'string' ? input : isRgb(input) ? `<${input.width}×${input.height} pixels>` : `<${input.length} bytes>`;
}

/** libvips' default pixel limit (Pillow warns above 89 M pixels and refuses above 179 M). */
const LIMIT_INPUT_PIXELS = 268_402_689;

/**
 * A sharp pipeline on the input. Files are decoded with EXIF orientation applied and colour
 * managed to sRGB by default (what ingest and thumbnails want); the eval path passes both off.
 */
async function pipeline(input: ImageInput, options: { rotate: boolean; ignoreIcc: boolean } = { rotate: true, ignoreIcc: false }) {
  const sharp = await loadSharp();
  if (isRgb(input)) {
    return sharp(Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength), {
      raw: { width: input.width, height: input.height, channels: 3 },
    });
  }
  // failOn 'error': a truncated JPEG is an error, not a half-grey image.
  const image = sharp(input, { failOn: 'error', limitInputPixels: LIMIT_INPUT_PIXELS, ignoreIcc: options.ignoreIcc });
  return options.rotate ? image.rotate() : image;
}

type Pipeline = Awaited<ReturnType<typeof pipeline>>;

/** Runs a sharp pipeline to raw RGB, turning decoder failures into data errors naming the input. */
async function toRgb(input: ImageInput, build: (image: Pipeline) => Pipeline, options?: { rotate: boolean; ignoreIcc: boolean }): Promise<RgbImage> {
  try {
    const image = build(await pipeline(input, options));
    const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
    // Greyscale sources come back with one channel: expand to RGB.
    const rgb = new Uint8Array(info.width * info.height * 3);
    for (let i = 0, n = info.width * info.height; i < n; i++) {
      const v = data[i * info.channels]!;
      rgb[i * 3] = v;
      rgb[i * 3 + 1] = v;
      rgb[i * 3 + 2] = v;
    }
    return { data: rgb, width: info.width, height: info.height };
  } catch (cause) {
    if ((cause as { kind?: string }).kind) throw cause;
    throw dataError(`cannot decode image: ${(cause as Error).message}`, { file: describe(input), expected: 'a readable JPEG, PNG or WebP image', cause });
  }
}

/** Width and height after EXIF orientation (unless `exifRotate` is false), and the container format. */
export async function imageInfo(input: string | Buffer, options: { exifRotate?: boolean } = {}): Promise<{ width: number; height: number; format: string }> {
  const sharp = await loadSharp();
  try {
    const meta = await sharp(input).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions in header');
    const swap = options.exifRotate !== false && (meta.orientation ?? 1) >= 5;
    return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, format: meta.format ?? 'unknown' };
  } catch (cause) {
    throw dataError(`cannot read image header: ${(cause as Error).message}`, { file: describe(input), expected: 'a JPEG, PNG or WebP image', cause });
  }
}

/** Decodes to RGB with EXIF orientation applied and alpha dropped. */
export function decodeRgb(input: string | Buffer): Promise<RgbImage> {
  return toRgb(input, (image) => image);
}

/**
 * Decodes to sRGB through libvips' colour management: the embedded ICC profile (CMYK without one:
 * libvips' default CMYK profile) converted to sRGB, alpha dropped, greyscale expanded; EXIF
 * orientation applied only when asked.
 */
export function decodeSrgb(input: string | Buffer, options: { exifRotate?: boolean | undefined } = {}): Promise<RgbImage> {
  return toRgb(input, (image) => image, { rotate: options.exifRotate === true, ignoreIcc: false });
}

/** libvips interpretations whose samples pass through unconverted, with what they hold. */
const NATIVE_SPACES = {
  'b-w': { colour: 'grey', bits: 8 },
  grey16: { colour: 'grey', bits: 16 },
  srgb: { colour: 'rgb', bits: 8 },
  rgb: { colour: 'rgb', bits: 8 },
  rgb16: { colour: 'rgb', bits: 16 },
  cmyk: { colour: 'cmyk', bits: 8 },
} as const;

/**
 * Decodes an image file to its own samples, at full size, as Pillow's `Image.open` reads them:
 * no ICC conversion, no EXIF rotation (unless `exifRotate`), no shrink-on-load, 16 bits kept.
 * CMYK JPEG samples come back as ink amounts, as Pillow holds them: both invert every 4-channel
 * JPEG (Adobe's convention), with or without an Adobe APP14 segment. Palette images come back as
 * RGB(A) (libvips expands the palette, as `convert` would).
 * Other colour spaces (Lab, multiband TIFF) are converted to sRGB by libvips.
 */
export async function decodeSamples(input: string | Buffer, options: { exifRotate?: boolean | undefined } = {}): Promise<DecodedSamples> {
  const sharp = await loadSharp();
  const where = describe(input);
  try {
    const bytes = typeof input === 'string' ? await readFile(input) : input;
    let image = sharp(bytes, { failOn: 'error', limitInputPixels: LIMIT_INPUT_PIXELS, ignoreIcc: true, autoOrient: options.exifRotate === true });
    const meta = await image.metadata();
    const native = NATIVE_SPACES[meta.space as keyof typeof NATIVE_SPACES];
    const space = native && !(native.colour === 'cmyk' && meta.depth !== 'uchar') ? (meta.space as keyof typeof NATIVE_SPACES) : 'srgb';
    const target = NATIVE_SPACES[space];
    // Without a CMYK pipeline libvips would convert CMYK to sRGB through a profile.
    if (space === 'cmyk') image = image.pipelineColourspace('cmyk');
    const { data, info } = await image
      .toColourspace(space)
      .raw({ depth: target.bits === 16 ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const samples =
      target.bits === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // libvips may drop a grey image's alpha on the way out: the channel count says what is there.
    const colourChannels = target.colour === 'grey' ? 1 : target.colour === 'rgb' ? 3 : 4;
    return {
      data: samples,
      width: info.width,
      height: info.height,
      channels: info.channels,
      colour: target.colour,
      hasAlpha: info.channels > colourChannels,
      bits: target.bits,
      format: meta.format ?? 'unknown',
    };
  } catch (cause) {
    if ((cause as { kind?: string }).kind) throw cause;
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw dataError('image file not found', { file: where, cause });
    throw dataError(`cannot decode image: ${(cause as Error).message}`, { file: where, expected: 'a readable JPEG, PNG or WebP image', cause });
  }
}

/** Python's round(): half to even. Crop offsets must match torchvision's CenterCrop exactly. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * torchvision `Resize(resize)` (shorter side to `resize`, longer side truncated as int(resize·long/short))
 * followed by `CenterCrop(crop)` with offsets int(round((size − crop) / 2)).
 */
export function resizeCropGeometry(width: number, height: number, resize: number, crop: number) {
  const shorter = Math.min(width, height);
  const longer = Math.max(width, height);
  const scaledLonger = Math.floor((resize * longer) / shorter);
  const resizedWidth = width <= height ? resize : scaledLonger;
  const resizedHeight = width <= height ? scaledLonger : resize;
  const left = roundHalfEven((resizedWidth - crop) / 2);
  const top = roundHalfEven((resizedHeight - crop) / 2);
  return { resizedWidth, resizedHeight, left, top };
}

/** The refusal when the crop does not fit the resized image (torchvision would pad with black). */
export function cropTooLarge(file: string, crop: number, resizedWidth: number, resizedHeight: number) {
  return dataError(`image too small to crop ${crop}×${crop} after resizing to ${resizedWidth}×${resizedHeight}`, {
    file,
    expected: `a resize of at least ${crop}`,
    hint: 'check --resize / --crop-pct: the shorter side after resizing must be at least the crop',
  });
}

/**
 * Resize shorter side, then center crop, with libvips: one resize (with JPEG shrink-on-load), then
 * an extract. Up to a few grey levels off Pillow (see docs/evaluation.md); `--resampler libvips`.
 * By default, as torchvision: no EXIF rotation, ICC profiles ignored (CMYK still goes through
 * libvips' CMYK profile, and alpha takes part in the resize before it is dropped).
 */
export async function resizeShorterCenterCrop(
  input: ImageInput,
  options: { resize: number; crop: number; interpolation: Interpolation } & DecodeOptions,
): Promise<RgbImage> {
  const rotate = options.exifRotate === true;
  const header = isRgb(input) ? input : await imageInfo(input, { exifRotate: rotate });
  const g = resizeCropGeometry(header.width, header.height, options.resize, options.crop);
  if (g.resizedWidth < options.crop || g.resizedHeight < options.crop) throw cropTooLarge(describe(input), options.crop, g.resizedWidth, g.resizedHeight);
  const k = kernel(options.interpolation);
  return toRgb(
    input,
    (image) =>
      image
        .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: k })
        .extract({ left: g.left, top: g.top, width: options.crop, height: options.crop }),
    { rotate, ignoreIcc: options.iccToSrgb !== true },
  );
}

/** Resize to exactly width×height, ignoring aspect ratio (the 256×256 "squashed" copy). */
export function resizeExact(input: ImageInput, width: number, height: number, interpolation: Interpolation = 'bilinear'): Promise<RgbImage> {
  return toRgb(input, (image) => image.resize(width, height, { fit: 'fill', kernel: kernel(interpolation) }));
}

/** Scale so the longer side is `longer` pixels (never enlarges). */
export function resizeLongerSide(input: ImageInput, longer: number, interpolation: Interpolation = 'bilinear'): Promise<RgbImage> {
  return toRgb(input, (image) => image.resize(longer, longer, { fit: 'inside', withoutEnlargement: true, kernel: kernel(interpolation) }));
}

export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

export async function encodePng(image: RgbImage): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Loads sharp in this thread. Worker threads that use sharp need the main thread to hold it first (glibc unloads it otherwise). */
export async function preloadImageCodec(): Promise<void> {
  await loadSharp();
}
