/**
 * Class names of the two label spaces, for labelling loaded datasets. ImageNet's come from the
 * bundled `data/imagenet-classes.json` (src/classes); when it cannot be read, callers fall back to
 * folder names (wnids) or to no names at all.
 */
import { CIFAR10_CLASS_NAMES } from '../formats/index.ts';
import { imagenetClasses } from '../classes/index.ts';

/** The 1,000 ImageNet wnids (index order) and a display name for each, or null if unavailable. */
export function imagenetClassList(): { ids: string[]; names: string[] } | null {
  try {
    const classes = imagenetClasses();
    return { ids: classes.map((c) => c.id), names: classes.map((c) => c.names[0] ?? c.id) };
  } catch {
    return null;
  }
}

export function cifar10ClassNames(): string[] {
  return [...CIFAR10_CLASS_NAMES];
}
