/**
 * The one adapter for sharp (libvips). Everything that decodes, resizes or encodes images goes
 * through here, so the resampling rules (torchvision/Pillow-compatible resize-then-crop, Python's
 * half-to-even crop offsets) are written once. sharp is loaded lazily: commands that never touch
 * an image never pay for it.
 */
import { dataError } from '../core/errors.ts';

type Sharp = (typeof import('sharp'))['default'];
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
export type Interpolation = 'bilinear' | 'bicubic' | 'nearest';

const KERNEL = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest' } as const;

function isRgb(input: ImageInput): input is RgbImage {
  return typeof input === 'object' && !Buffer.isBuffer(input) && 'data' in input;
}

function describe(input: ImageInput): string {
  return typeof input === 'string' ? input : isRgb(input) ? `<${input.width}×${input.height} pixels>` : `<${input.length} bytes>`;
}

async function pipeline(input: ImageInput) {
  const sharp = await loadSharp();
  if (isRgb(input)) {
    return sharp(Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength), {
      raw: { width: input.width, height: input.height, channels: 3 },
    });
  }
  // failOn 'error': a truncated JPEG is an error, not a half-grey image.
  return sharp(input, { failOn: 'error', limitInputPixels: 268_402_689 }).rotate();
}

/** Runs a sharp pipeline to raw RGB, turning decoder failures into data errors naming the input. */
async function toRgb(input: ImageInput, build: (image: Awaited<ReturnType<typeof pipeline>>) => Awaited<ReturnType<typeof pipeline>>): Promise<RgbImage> {
  try {
    const image = build(await pipeline(input));
    const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
    // Greyscale sources come back with one channel: expand to RGB.
    const rgb = new Uint8Array(info.width * info.height * 3);
    for (let i = 0, n = info.width * info.height; i < n; i++) {
      const v = data[i * info.channels] as number;
      rgb[i * 3] = v; rgb[i * 3 + 1] = v; rgb[i * 3 + 2] = v;
    }
    return { data: rgb, width: info.width, height: info.height };
  } catch (cause) {
    if ((cause as { kind?: string }).kind) throw cause;
    throw dataError(`cannot decode image: ${(cause as Error).message}`, { file: describe(input), expected: 'a readable JPEG, PNG or WebP image', cause });
  }
}

/** Width and height after EXIF orientation, and the container format. */
export async function imageInfo(input: string | Buffer): Promise<{ width: number; height: number; format: string }> {
  const sharp = await loadSharp();
  try {
    const meta = await sharp(input).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions in header');
    const swap = (meta.orientation ?? 1) >= 5;
    return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, format: meta.format ?? 'unknown' };
  } catch (cause) {
    throw dataError(`cannot read image header: ${(cause as Error).message}`, { file: describe(input), expected: 'a JPEG, PNG or WebP image', cause });
  }
}

/** Decodes to RGB with EXIF orientation applied and alpha dropped. */
export function decodeRgb(input: string | Buffer): Promise<RgbImage> {
  return toRgb(input, (image) => image);
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

/** Resize shorter side, then center crop: one resize, then an extract. */
export async function resizeShorterCenterCrop(
  input: ImageInput,
  options: { resize: number; crop: number; interpolation: Interpolation },
): Promise<RgbImage> {
  const { width, height } = isRgb(input) ? input : await imageInfo(input);
  const g = resizeCropGeometry(width, height, options.resize, options.crop);
  if (g.resizedWidth < options.crop || g.resizedHeight < options.crop) {
    throw dataError(`image too small to crop ${options.crop}×${options.crop} after resizing to ${g.resizedWidth}×${g.resizedHeight}`, { file: describe(input) });
  }
  return toRgb(input, (image) =>
    image
      .resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: KERNEL[options.interpolation] })
      .extract({ left: g.left, top: g.top, width: options.crop, height: options.crop }),
  );
}

/** Resize to exactly width×height, ignoring aspect ratio (the 256×256 "squashed" copy). */
export function resizeExact(input: ImageInput, width: number, height: number, interpolation: Interpolation = 'bilinear'): Promise<RgbImage> {
  return toRgb(input, (image) => image.resize(width, height, { fit: 'fill', kernel: KERNEL[interpolation] }));
}

/** Scale so the longer side is `longer` pixels (never enlarges). */
export function resizeLongerSide(input: ImageInput, longer: number, interpolation: Interpolation = 'bilinear'): Promise<RgbImage> {
  return toRgb(input, (image) => image.resize(longer, longer, { fit: 'inside', withoutEnlargement: true, kernel: KERNEL[interpolation] }));
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
