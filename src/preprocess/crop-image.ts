/**
 * One image → the crop a model sees, as torchvision's classic eval transform makes it:
 * `Image.open(f).convert('RGB')`, `Resize(resize)` (shorter side to `resize`, longer side
 * int(resize·long/short)), `CenterCrop(crop)` (offsets int(round((side − crop)/2)), half to even).
 */
// The sharp adapter itself rather than formats/index.ts: this module is the crop workers' whole
// graph, and the folder's face would also load zod and the dataset parsers (+0.25 s per worker).
import { cropTooLarge, decodeSamples, decodeSrgb, resizeCropGeometry, resizeShorterCenterCrop, type RgbImage } from '../formats/image-io.ts';
import { pillowConvertRgb } from './pillow-convert.ts';
import { pillowResizeCrop } from './pillow-resample.ts';
import type { CropSource, CropSpec } from './types.ts';

function isPixels(source: CropSource): source is RgbImage {
  return typeof source === 'object' && !(source instanceof Uint8Array);
}

/** How errors name a source. */
export function describeSource(source: CropSource): string {
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
  if (spec.resampler === 'libvips') {
    const input = typeof source === 'string' || isPixels(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return resizeShorterCenterCrop(input, spec);
  }
  const rgb = isPixels(source) ? source : await openRgb(source, spec);
  const g = resizeCropGeometry(rgb.width, rgb.height, spec.resize, spec.crop);
  if (g.resizedWidth < spec.crop || g.resizedHeight < spec.crop) throw cropTooLarge(describeSource(source), spec.crop, g.resizedWidth, g.resizedHeight);
  return pillowResizeCrop(rgb, g.resizedWidth, g.resizedHeight, { left: g.left, top: g.top, width: spec.crop, height: spec.crop }, spec.interpolation);
}
