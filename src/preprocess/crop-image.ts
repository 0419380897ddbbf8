/**
 * One image → the crop a model sees, as torchvision's classic eval transform makes it:
 * `Image.open(f).convert('RGB')`, `Resize(resize)` (shorter side to `resize`, longer side
 * int(resize·long/short)), `CenterCrop(crop)` (offsets int(round((side − crop)/2)), half to even).
 */
// The sharp adapter itself rather than formats/index.ts: this module is the crop workers' whole
// graph, and the folder's face would also load zod and the dataset parsers (+0.25 s per worker).
import { cropTooLarge, decodeSamples, decodeSrgb, resizeCropGeometry, resizeShorterCenterCrop, type RgbImage } from '../formats/index.ts';
import { pillowConvertRgb } from './pillow-convert.ts';
import { pillowResizeCrop } from './pillow-resample.ts';
import { cropGeometry } from './crop-geometry.ts';
import type { CropSource, CropSpec } from './types.ts';

function isPixels(source: CropSource): source is RgbImage {
  return typeof source === 'object' && !(source instanceof Uint8Array);
}

/** How errors name a source. */
export function cropSourceName(source: CropSource): string {
  if (typeof source === 'string') return source;
  return isPixels(source) ? `<${source.width}×${source.height} pixels>` : `<${source.byteLength} bytes>`;
}

/** The RGB image Pillow's `Image.open(f).convert('RGB')` gives (or libvips' sRGB decode when asked). */
export async function openRgb(source: string | Uint8Array, spec: Pick<CropSpec, 'iccToSrgb' | 'exifRotate'>): Promise<RgbImage> {
  const input = typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  if (spec.iccToSrgb) return decodeSrgb(input, { exifRotate: spec.exifRotate });
  return pillowConvertRgb(await decodeSamples(input, { exifRotate: spec.exifRotate }));
}

/** The `crop`×`crop` RGB crop of one image. */
export async function cropImage(source: CropSource, spec: CropSpec): Promise<RgbImage> {
  if (spec.mode !== undefined && spec.mode !== 'center') return timmCrop(source, spec);
  if (spec.resampler === 'libvips') {
    const input = typeof source === 'string' || isPixels(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return resizeShorterCenterCrop(input, spec);
  }
  const rgb = isPixels(source) ? source : await openRgb(source, spec);
  const g = resizeCropGeometry(rgb.width, rgb.height, spec.resize, spec.crop);
  if (g.resizedWidth < spec.crop || g.resizedHeight < spec.crop) throw cropTooLarge(cropSourceName(source), spec.crop, g.resizedWidth, g.resizedHeight);
  return pillowResizeCrop(rgb, g.resizedWidth, g.resizedHeight, { left: g.left, top: g.top, width: spec.crop, height: spec.crop }, spec.interpolation);
}

/**
 * `squash` and `border` crops (crop-geometry.ts): the resize as Pillow's `Image.resize` to the
 * geometry's size, the part of the box inside the resized image, the rest (border mode) `fill`.
 */
async function timmCrop(source: CropSource, spec: CropSpec): Promise<RgbImage> {
  if (spec.resampler === 'libvips') throw new RangeError(`crop mode ${spec.mode} needs the Pillow resampler`);
  const rgb = isPixels(source) ? source : await openRgb(source, spec);
  const g = cropGeometry(rgb.width, rgb.height, spec.mode!, spec.resize, spec.crop);
  const x0 = Math.max(0, g.left),
    y0 = Math.max(0, g.top);
  const x1 = Math.min(g.resizedWidth, g.left + g.crop),
    y1 = Math.min(g.resizedHeight, g.top + g.crop);
  if (x0 === g.left && y0 === g.top && x1 === g.left + g.crop && y1 === g.top + g.crop) {
    return pillowResizeCrop(rgb, g.resizedWidth, g.resizedHeight, { left: g.left, top: g.top, width: g.crop, height: g.crop }, spec.interpolation);
  }
  const inner = pillowResizeCrop(rgb, g.resizedWidth, g.resizedHeight, { left: x0, top: y0, width: x1 - x0, height: y1 - y0 }, spec.interpolation);
  const out = new Uint8Array(g.crop * g.crop * 3);
  const [r, gr, b] = spec.fill ?? [0, 0, 0];
  for (let i = 0; i < out.length; i += 3) {
    out[i] = r;
    out[i + 1] = gr;
    out[i + 2] = b;
  }
  const width = x1 - x0;
  for (let y = 0; y < y1 - y0; y++) {
    out.set(inner.data.subarray(y * width * 3, (y + 1) * width * 3), ((y + y0 - g.top) * g.crop + (x0 - g.left)) * 3);
  }
  return { data: out, width: g.crop, height: g.crop };
}
