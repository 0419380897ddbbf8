import { existsSync } from 'node:fs';
import { usageError } from '../core/errors.ts';
import { cifar10Classes } from './cifar10.ts';
import { readCustomClasses } from './custom.ts';
import { imagenetClasses } from './imagenet.ts';
import type { ClassDef, ClassRow } from './types.ts';

/** `imagenet`, `cifar10`, or a path to a classes JSON file. */
export function loadClasses(spec: string): ClassDef[] {
  if (spec === 'imagenet') return imagenetClasses();
  if (spec === 'cifar10') return cifar10Classes();
  if (!existsSync(spec)) {
    throw usageError('unknown class list', {
      field: '--classes',
      received: JSON.stringify(spec),
      expected: 'imagenet, cifar10, or the path of a classes JSON file',
    });
  }
  return readCustomClasses(spec);
}

/** The public row shape printed by `retest classes`. */
export function toClassRow(c: ClassDef): ClassRow {
  return { index: c.index, wnid: c.id, lemmas: c.names, gloss: c.definition, hypernyms: c.hypernyms, similar: c.similar };
}

/** Finds a class by index ("3"), id ("n01440764", "cat") or name; undefined when none matches. */
export function findClass(classes: readonly ClassDef[], key: string): ClassDef | undefined {
  if (/^\d+$/.test(key)) {
    const byIndex = classes[Number(key)];
    if (byIndex) return byIndex;
  }
  return classes.find((c) => c.id === key) ?? classes.find((c) => c.names.includes(key));
}
