/**
 * Review thresholds: a (candidate, neighbour) pair is shown to a person when its distance is at or
 * below the threshold of its metric (among the first 30 neighbours). The original ImageNetV2 values
 * are for 256² squashed copies: squared pixel L2 1.2e8, DSSIM 0.2205, and squared L2 1.32e4 between
 * VGG-16 fc7 features (after ReLU) of images fed as raw 0–255 pixels (224² squash, no mean/std) —
 * a feature threshold holds only for that model and that input. CIFAR-10.1 removed pairs
 * automatically at Euclidean pixel L2 ≤ 1000 on 32² (0–255 values), i.e. squared L2 ≤ 10⁶.
 */
import type { DescriptorInput } from './types.ts';

/** The paper's thresholds. */
export const PAPER_THRESHOLDS = {
  /** Squared L2 on raw 256² pixels (0–255). */
  pixels256: 1.2e8,
  /** Squared L2 on VGG-16 fc7 features (after ReLU), raw 0–255 input squashed to 224², no mean/std. */
  fc7: 1.32e4,
  /** DSSIM on 256² images, 35-px window. */
  dssim: 0.2205,
  /** CIFAR-10.1 automatic removal: Euclidean (not squared) L2 on raw 32² pixels. */
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
 * The default review threshold for a descriptor, or null with the reason when there is none.
 * `side` is the image side the descriptor saw; `input` how a feature model is fed.
 * Raw pixels: 1.2e8 at 256², scaled by pixel count at other sizes (same mean squared difference
 * per value, ≈ 610 — i.e. 1.2e8·(side/256)²). fc7: 1.32e4 only for a 224² model fed raw 0–255
 * values without mean/std, as the paper's VGG-16; any other input scale changes feature distances,
 * so the threshold does not transfer. Other features: none.
 */
export function reviewThreshold(descriptor: string, side: number, input?: DescriptorInput | null): { value: number | null; note: string | null } {
  const sized = /@(\d+)$/.exec(descriptor);
  const s = sized ? Number(sized[1]) : side;
  if (descriptor === 'dssim' || descriptor.startsWith('dssim')) return { value: PAPER_THRESHOLDS.dssim, note: null };
  if (descriptor.startsWith('pixels-std')) return { value: PIXELS_STD_THRESHOLD, note: null };
  if (descriptor.startsWith('pixels')) return { value: (PAPER_THRESHOLDS.pixels256 * s * s) / (256 * 256), note: null };
  if (/fc7/i.test(descriptor)) {
    const problems = input ? fc7InputProblems(input) : ['the model input is unknown'];
    if (problems.length === 0) return { value: PAPER_THRESHOLDS.fc7, note: null };
    return {
      value: null,
      note: `the paper's fc7 threshold 1.32e4 is for VGG-16 fc7 on raw 0–255 pixels squashed to 224² with no mean/std; here ${problems.join(', ')}, so it does not transfer: give --threshold`,
    };
  }
  return { value: null, note: 'no published threshold for these features: give --threshold' };
}

/** How a feature model's input differs from the paper's VGG-16 fc7 input (empty: it matches). */
function fc7InputProblems(input: DescriptorInput): string[] {
  const out: string[] = [];
  if (input.width !== 224 || input.height !== 224) out.push(`the input is ${input.width}×${input.height}`);
  if (input.scale !== 1) out.push(`values are scaled by ${input.scale === 1 / 255 ? '1/255' : input.scale}`);
  if (input.mean && input.mean.some((m) => m !== 0)) out.push(`mean [${input.mean.join(', ')}] is subtracted`);
  if (input.std && input.std.some((v) => v !== 1)) out.push(`std [${input.std.join(', ')}] divides`);
  if (input.normalisedInsideGraph) out.push('the graph normalises its input itself');
  return out;
}

/** The default review threshold's value (see `reviewThreshold`). */
export function defaultThreshold(descriptor: string, side: number, input?: DescriptorInput | null): number | null {
  return reviewThreshold(descriptor, side, input).value;
}
