/**
 * Pillow's `Image.convert('RGB')` on the samples `Image.open` holds (libImaging/Convert.c, and the
 * raw modes its PNG and JPEG plugins read with):
 * - grey (L, 1-bit, 2/4-bit scaled by the decoder): the value in all three channels;
 * - grey + alpha (LA) and RGBA: alpha dropped, nothing composited — before any resizing;
 * - CMYK: R = clip(nk − ⌊(C·nk + 128 + ((C·nk + 128) >> 8)) >> 8⌋) with nk = 255 − K (and G, B
 *   from M, Y): Pillow's plain formula, no ICC profile;
 * - 16-bit RGB(A) and 16-bit grey + alpha: the high byte (Pillow's "RGB;16B", "LA;16B" raw modes);
 * - 16-bit grey without alpha: Pillow opens it as I;16, and convert('RGB') clips at 255, so any
 *   value ≥ 255 becomes white (not a scale to 8 bits).
 */
import type { DecodedSamples, RgbImage } from '../formats/index.ts';

/** Pillow's MULDIV255: a·b/255 rounded, in integers. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

function clip8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The 8-bit RGB image Pillow's `convert('RGB')` makes of these samples. */
export function pillowConvertRgb(samples: DecodedSamples): RgbImage {
  const { data, width, height, channels, colour, bits } = samples;
  // Already 8-bit RGB: the decoder's buffer is the image.
  if (colour === 'rgb' && bits === 8 && channels === 3) return { data: data as Uint8Array, width, height };
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  const result = { data: rgb, width, height };
  if (colour === 'grey') {
    const clipAt255 = bits === 16 && channels === 1;
    for (let i = 0, p = 0, o = 0; i < n; i++, p += channels, o += 3) {
      const s = data[p]!;
      const v = bits === 8 ? s : clipAt255 ? (s > 255 ? 255 : s) : s >> 8;
      rgb[o] = v;
      rgb[o + 1] = v;
      rgb[o + 2] = v;
    }
    return result;
  }
  if (colour === 'cmyk') {
    for (let i = 0, p = 0, o = 0; i < n; i++, p += channels, o += 3) {
      const nk = 255 - data[p + 3]!;
      rgb[o] = clip8(nk - mulDiv255(data[p]!, nk));
      rgb[o + 1] = clip8(nk - mulDiv255(data[p + 1]!, nk));
      rgb[o + 2] = clip8(nk - mulDiv255(data[p + 2]!, nk));
    }
    return result;
  }
  const shift = bits === 16 ? 8 : 0;
  for (let i = 0, p = 0, o = 0; i < n; i++, p += channels, o += 3) {
    rgb[o] = data[p]! >> shift;
    rgb[o + 1] = data[p + 1]! >> shift;
    rgb[o + 2] = data[p + 2]! >> shift;
  }
  return result;
}
