/**
 * Planted near-duplicates: transformations a copied image typically went through (JPEG re-encode,
 * small shifts, rescales, brightness/colour shifts, small crops), applied to real CIFAR images.
 */
import { decodeRgb, encodeJpeg, resizeExact } from '../../src/formats/index.ts';
import type { ImageBatch } from '../../src/dedup/index.ts';

export interface Planted {
  /** Name of the transformation, e.g. "jpeg q30". */
  name: string;
  apply(image: ImageBatch): Promise<ImageBatch>;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function map(image: ImageBatch, f: (x: number, y: number, c: number) => number): ImageBatch {
  const out = new Uint8Array(image.width * image.height * 3);
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) for (let c = 0; c < 3; c++) out[(y * image.width + x) * 3 + c] = clamp(f(x, y, c));
  return { count: 1, width: image.width, height: image.height, pixels: out };
}

const at = (image: ImageBatch, x: number, y: number, c: number) => {
  const xx = Math.min(image.width - 1, Math.max(0, x));
  const yy = Math.min(image.height - 1, Math.max(0, y));
  return image.pixels[(yy * image.width + xx) * 3 + c]!;
};

const rgb = (image: ImageBatch) => ({ data: image.pixels, width: image.width, height: image.height });
const batch = (img: { data: Uint8Array; width: number; height: number }): ImageBatch => ({ count: 1, width: img.width, height: img.height, pixels: img.data });

export const jpeg = (quality: number): Planted => ({
  name: `jpeg q${quality}`,
  async apply(image) {
    return batch(await decodeRgb(await encodeJpeg(rgb(image), quality)));
  },
});

/** Shift by (dx, dy) pixels, edges replicated. */
export const shift = (dx: number, dy: number): Planted => ({
  name: `shift ${dx},${dy}px`,
  async apply(image) {
    return map(image, (x, y, c) => at(image, x - dx, y - dy, c));
  },
});

/** Rescale the content by `factor` about the centre, keeping the frame size (crop or edge-pad). */
export const rescale = (factor: number): Planted => ({
  name: `rescale ${factor > 1 ? '+' : ''}${Math.round((factor - 1) * 100)}%`,
  async apply(image) {
    const side = Math.round(image.width * factor);
    const scaled = batch(await resizeExact(rgb(image), side, side));
    const off = Math.floor((side - image.width) / 2);
    return map(image, (x, y, c) => at(scaled, x + off, y + off, c));
  },
});

export const brightness = (delta: number): Planted => ({
  name: `brightness ${delta > 0 ? '+' : ''}${delta}`,
  async apply(image) {
    return map(image, (x, y, c) => at(image, x, y, c) + delta);
  },
});

/** Per-channel gain and offset (a colour cast). */
export const colour = (gains: [number, number, number], offsets: [number, number, number]): Planted => ({
  name: `colour ×${gains.join('/')} +${offsets.join('/')}`,
  async apply(image) {
    return map(image, (x, y, c) => at(image, x, y, c) * gains[c as 0 | 1 | 2] + offsets[c as 0 | 1 | 2]);
  },
});

/** Crop `border` px from every side and resize back to the full frame. */
export const crop = (border: number): Planted => ({
  name: `crop ${border}px`,
  async apply(image) {
    const side = image.width - 2 * border;
    const inner = map({ ...image, width: side, height: side, pixels: new Uint8Array(side * side * 3) }, (x, y, c) => at(image, x + border, y + border, c));
    return batch(await resizeExact(rgb(inner), image.width, image.height));
  },
});

export const PLANTED: Planted[] = [
  jpeg(90),
  jpeg(60),
  jpeg(30),
  shift(1, 0),
  shift(2, 1),
  shift(3, 3),
  rescale(1.1),
  rescale(0.9),
  brightness(25),
  brightness(-25),
  colour([1.1, 1, 0.9], [0, 10, -10]),
  crop(1),
  crop(2),
];
