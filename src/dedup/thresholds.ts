/**
 * Review thresholds: a (candidate, neighbour) pair is shown to a person when its distance is at or
 * below the threshold of its metric (among the first 30 neighbours). The original ImageNetV2 values
 * are for 256² squashed copies: squared pixel L2 1.2e8, VGG-16 fc7 squared L2 1.32e4, DSSIM 0.2205.
 * CIFAR-10.1 removed pairs automatically at squared pixel L2 ≤ 1000 on 32² (0–255 values).
 */

/** The paper's thresholds. */
export const PAPER_THRESHOLDS = {
  /** Squared L2 on raw 256² pixels (0–255). */
  pixels256: 1.2e8,
  /** Squared L2 on VGG-16 fc7 features. */
  fc7: 1.32e4,
  /** DSSIM on 256² images, 35-px window. */
  dssim: 0.2205,
  /** CIFAR-10.1 automatic removal: squared L2 on raw 32² pixels. */
  cifarAutoRemoval: 1000,
} as const;

/**
 * Standardized pixels: 2 − 2·cos between mean-removed images. Calibrated on CIFAR-10
 * (docs/dedup.md): the nearest unrelated training image of a test image is closer than 0.25 for
 * about 1 % of test images, while 99 % of JPEG q30 re-encodes, 90 % of brightness/colour shifts and
 * about three quarters of 1-px shifts or crops of an image stay below it.
 */
export const PIXELS_STD_THRESHOLD = 0.25;

/** Ranks (0-based) below this are reviewed (the paper: the first 30). */
export const REVIEW_TOP = 30;

/**
 * The default review threshold for a descriptor name, or null when there is none (ONNX features
 * other than fc7 need an explicit `--threshold`). `side` is the image side the descriptor saw.
 * Raw pixels: 1.2e8 at 256², scaled by pixel count at other sizes (same mean squared difference
 * per value, ≈ 610 — i.e. 1.2e8·(side/256)²).
 */
export function defaultThreshold(descriptor: string, side: number): number | null {
  const sized = /@(\d+)$/.exec(descriptor);
  const s = sized ? Number(sized[1]) : side;
  if (descriptor === 'dssim' || descriptor.startsWith('dssim')) return PAPER_THRESHOLDS.dssim;
  if (descriptor.startsWith('pixels-std')) return PIXELS_STD_THRESHOLD;
  if (descriptor.startsWith('pixels')) return (PAPER_THRESHOLDS.pixels256 * s * s) / (256 * 256);
  if (/fc7/i.test(descriptor)) return PAPER_THRESHOLDS.fc7;
  return null;
}
