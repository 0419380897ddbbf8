/**
 * Pillow's resampling filters, as `Image.resize` defines them (libImaging/Resample.c): the kernel
 * and its support (radius, in input pixels at scale 1). Written out with the same floating-point
 * operations in the same order, because the coefficients are later rounded to fixed point and a
 * different last bit can move a pixel by one grey level.
 */
import type { ConvolutionFilter } from './types.ts';

const box: ConvolutionFilter = {
  name: 'box',
  support: 0.5,
  kernel: (x) => (x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
};

const bilinear: ConvolutionFilter = {
  name: 'bilinear',
  support: 1.0,
  kernel: (x) => {
    const ax = x < 0.0 ? -x : x;
    return ax < 1.0 ? 1.0 - ax : 0.0;
  },
};

/** Pillow writes the window's constants as C floats: 0.54f and 0.46f, not the doubles. */
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

const hamming: ConvolutionFilter = {
  name: 'hamming',
  support: 1.0,
  kernel: (x) => {
    let ax = x < 0.0 ? -x : x;
    if (ax === 0.0) return 1.0;
    if (ax >= 1.0) return 0.0;
    ax = ax * Math.PI;
    return (Math.sin(ax) / ax) * (HAMMING_A + HAMMING_B * Math.cos(ax));
  },
};

/** Keys' cubic convolution with a = −0.5 (Pillow's BICUBIC; PyTorch's own bicubic uses −0.75). */
const A = -0.5;
const bicubic: ConvolutionFilter = {
  name: 'bicubic',
  support: 2.0,
  kernel: (x) => {
    const ax = x < 0.0 ? -x : x;
    if (ax < 1.0) return ((A + 2.0) * ax - (A + 3.0)) * ax * ax + 1;
    if (ax < 2.0) return (((ax - 5) * ax + 8) * ax - 4) * A;
    return 0.0;
  },
};

function sinc(x: number): number {
  if (x === 0.0) return 1.0;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Truncated sinc, three lobes. */
const lanczos: ConvolutionFilter = {
  name: 'lanczos',
  support: 3.0,
  kernel: (x) => (-3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0),
};

/** The convolution filters by Pillow's name for them (nearest is not a convolution in Pillow). */
export const PILLOW_FILTERS = { box, bilinear, hamming, bicubic, lanczos } as const;
