/**
 * A contact sheet: equal-size RGB crops laid out in a grid (row-major, 2-pixel grey gutters), for
 * a person to see at a glance what a model is fed.
 */
import type { RgbImage } from '../formats/index.ts';

const GUTTER = 2;
const BACKGROUND = 128;

/** The grid of `crops` (each side×side×3 bytes), `columns` wide (default: about square). */
export function contactSheet(crops: readonly Uint8Array[], side: number, columns = Math.max(1, Math.ceil(Math.sqrt(crops.length)))): RgbImage {
  const rows = Math.max(1, Math.ceil(crops.length / columns));
  const width = columns * side + (columns + 1) * GUTTER;
  const height = rows * side + (rows + 1) * GUTTER;
  const data = new Uint8Array(width * height * 3).fill(BACKGROUND);
  crops.forEach((crop, i) => {
    const left = GUTTER + (i % columns) * (side + GUTTER);
    const top = GUTTER + Math.floor(i / columns) * (side + GUTTER);
    for (let y = 0; y < side; y++) data.set(crop.subarray(y * side * 3, (y + 1) * side * 3), ((top + y) * width + left) * 3);
  });
  return { data, width, height };
}
