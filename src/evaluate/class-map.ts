/**
 * Class-folder names mapped through a model's class list. A folder tree named after classes
 * (`cat/`, `dog/`, …) is labelled by sorted folder name; a model whose sidecar lists its classes
 * (`"classes": ["airplane", "automobile", …]`) numbers them its own way. Scoring one against the
 * other scrambles the labels (a 94 % model reports 30 %), so the folders are mapped through the
 * sidecar's list, and a list that does not fit the folders is an error.
 */
import { dataError } from '../core/errors.ts';

/** What the mapping reads of a dataset. */
export interface NamedClasses {
  name: string;
  source: string;
  numClasses: number;
  images: { imageId: string; label: number }[];
  /** Name of each label (the folder names for a class-folder tree). */
  classNames?: string[] | null;
  /** `sorted-names`: labels are positions of the folder names in sorted order (see LoadedDataset). */
  labelOrder?: 'fixed' | 'sorted-names';
}

/**
 * The dataset relabelled in the model's class order, or unchanged when there is nothing to map
 * (no class list, or labels fixed by the format). `sidecar` names the list's file in errors.
 */
export function mapClassesToModel<T extends NamedClasses>(dataset: T, classes: readonly string[] | null, sidecar: string): T {
  if (!classes || dataset.labelOrder !== 'sorted-names' || !dataset.classNames) return dataset;
  const position = new Map<string, number>();
  classes.forEach((name, i) => {
    if (position.has(name))
      throw dataError(`the model's class list names "${name}" twice`, {
        file: sidecar,
        field: 'classes',
        record: i,
        expected: 'each class once',
        received: `also at ${position.get(name)}`,
      });
    position.set(name, i);
  });
  const missing = dataset.classNames.filter((name) => !position.has(name));
  if (missing.length > 0) {
    throw dataError(
      `class folder${missing.length > 1 ? 's' : ''} ${missing
        .slice(0, 5)
        .map((m) => `"${m}"`)
        .join(', ')}${missing.length > 5 ? ', …' : ''} of test set "${dataset.name}" not in the model's class list`,
      {
        file: sidecar,
        field: 'classes',
        expected: `folder names among the ${classes.length} classes: ${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', …' : ''}`,
        received: `folders ${dataset.classNames.slice(0, 10).join(', ')}${dataset.classNames.length > 10 ? ', …' : ''} in ${dataset.source}`,
        hint: 'rename the folders to the class names the sidecar lists (or fix the sidecar\'s "classes")',
      },
    );
  }
  const toModel = dataset.classNames.map((name) => position.get(name)!);
  return {
    ...dataset,
    numClasses: classes.length,
    classNames: [...classes],
    labelOrder: 'fixed',
    images: dataset.images.map((image) => ({ imageId: image.imageId, label: toModel[image.label]! })),
  };
}
