/**
 * Canonical test-set names, and the names the original authors used for the same sets.
 * ImageNetV2's repository calls MatchedFrequency `imagenetv2-b-33`, Threshold0.7 `imagenetv2-a-44`
 * and TopImages `imagenetv2-c-12`; the CIFAR-10.1 predictions sit in folders `original`, `v4`, `v6`.
 */
export const IMAGENET_AUTHOR_NAMES: Readonly<Record<string, string>> = {
  'imagenet-validation-original': 'imagenet-val',
  'imagenetv2-b-33': 'imagenetv2-matched-frequency',
  'imagenetv2-a-44': 'imagenetv2-threshold0.7',
  'imagenetv2-c-12': 'imagenetv2-top-images',
};

export const CIFAR_AUTHOR_NAMES: Readonly<Record<string, string>> = {
  original: 'cifar10-test',
  v4: 'cifar10.1-v4',
  v6: 'cifar10.1-v6',
};

/** The (original, new) pairs the paper compares, in its order. */
export const PAPER_PAIRS: readonly { original: string; new: string; title: string }[] = [
  { original: 'cifar10-test', new: 'cifar10.1-v4', title: 'CIFAR-10 → CIFAR-10.1 (v4)' },
  { original: 'cifar10-test', new: 'cifar10.1-v6', title: 'CIFAR-10 → CIFAR-10.1 (v6)' },
  { original: 'imagenet-val', new: 'imagenetv2-matched-frequency', title: 'ImageNet → ImageNetV2 MatchedFrequency' },
  { original: 'imagenet-val', new: 'imagenetv2-threshold0.7', title: 'ImageNet → ImageNetV2 Threshold0.7' },
  { original: 'imagenet-val', new: 'imagenetv2-top-images', title: 'ImageNet → ImageNetV2 TopImages' },
];

/** The original test set of a known new one (cifar10.1-v6 → cifar10-test), or undefined. */
export function originalOf(newSet: string): string | undefined {
  return PAPER_PAIRS.find((p) => p.new === newSet)?.original;
}

/** Human title of a pair. */
export function pairTitle(original: string, newSet: string): string {
  return PAPER_PAIRS.find((p) => p.original === original && p.new === newSet)?.title ?? `${original} → ${newSet}`;
}
