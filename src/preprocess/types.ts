/**
 * Contracts of image preprocessing: how a decoded photo becomes the crop a model sees.
 */
import type { Interpolation } from '../formats/index.ts';

/** A resampling kernel as Pillow defines it. */
export interface ConvolutionFilter {
  /** Pillow's name for the filter (lower case). */
  name: 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';
  /** Radius of the kernel in input pixels when not downscaling; scaled by max(scale, 1). */
  support: number;
  /** Kernel weight at distance `x` (in kernel units) from the output pixel's centre. */
  kernel: (x: number) => number;
}

/**
 * Fixed-point convolution weights for one axis, for a run of consecutive output positions.
 * Output position `first + i` reads `count[i]` input samples from `start[i]` on, weighted by
 * `weights[i·taps …]`.
 */
export interface AxisCoefficients {
  /** First output position described. */
  first: number;
  /** First input sample each output position reads. */
  start: Int32Array;
  /** Number of input samples each output position reads (≤ taps). */
  count: Int32Array;
  /** Weights scaled by 2^22 and rounded as Pillow does, `taps` per output position. */
  weights: Int32Array;
  /** Stride of `weights`: Pillow's ksize = 2·ceil(support) + 1. */
  taps: number;
}

/** A rectangle of the resized image, in its pixel coordinates. */
export interface CropBox {
  /** Column of the box's left edge. */
  left: number;
  /** Row of the box's top edge. */
  top: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/**
 * Which code resizes. `pillow`: this package's port of Pillow's `Image.resize`, byte-identical to
 * torchvision on Pillow. `libvips`: sharp's decode and resize (shrink-on-load, libvips' kernels),
 * a few grey levels off on average and more on upscaled photos (see docs/evaluation.md).
 */
export type Resampler = 'pillow' | 'libvips';

/** Everything that decides the crop an image becomes (torchvision's Resize + CenterCrop). */
export interface CropSpec {
  /** Shorter side after resizing; the longer side becomes int(resize·long/short). */
  resize: number;
  /** Side of the square center crop. */
  crop: number;
  /** Resampling filter (Pillow names). */
  interpolation: Interpolation;
  /** Which resampler does it. */
  resampler: Resampler;
  /** Convert embedded ICC profiles (and CMYK) to sRGB instead of ignoring them as Pillow does. */
  iccToSrgb: boolean;
  /** Rotate by the EXIF orientation tag instead of ignoring it as `Image.open` does. */
  exifRotate: boolean;
  /** timm's crop mode (crop-geometry.ts); absent: `center`, torchvision's Resize + CenterCrop. */
  mode?: import('./crop-geometry.ts').CropMode;
  /** RGB of the padding in `border` mode (timm: round(255·mean)); default black. */
  fill?: [number, number, number];
}

/** An image to crop: a file, encoded bytes, or 8-bit RGB pixels already in memory. */
export type CropSource = string | Uint8Array | CropPixels;

/** 8-bit RGB pixels in memory, row-major, 3 bytes a pixel. */
export interface CropPixels {
  /** width × height × 3 bytes. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}
