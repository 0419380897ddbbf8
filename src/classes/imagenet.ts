/**
 * ImageNet's 1,000 ILSVRC-2012 classes, generated from WordNet 3.0 by
 * `scripts/generate-imagenet-classes.ts` into `data/imagenet-classes.json` (committed with
 * WordNet's license, `data/WORDNET-LICENSE`), so users need no WordNet installation.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ClassDef } from './types.ts';
import { parseFile } from '../core/parse.ts';

export const IMAGENET_CLASSES_FILE = fileURLToPath(new URL('../../data/imagenet-classes.json', import.meta.url));

/** One entry of data/imagenet-classes.json. */
export const imagenetClassFileEntry = z.object({
  index: z.number().int().min(0),
  wnid: z.string().regex(/^n\d{8}$/),
  lemmas: z.array(z.string()).min(1),
  gloss: z.string(),
  hypernyms: z.array(z.string()),
  hypernymNames: z.array(z.string()),
  similar: z.array(z.string()),
  urls: z.array(z.string()),
});
export type ImagenetClassFileEntry = z.infer<typeof imagenetClassFileEntry>;

export const imagenetClassFile = z.object({
  source: z.string(),
  classes: z.array(imagenetClassFileEntry).length(1000),
});

let cache: ClassDef[] | undefined;

/** The 1,000 ImageNet classes in index order. */
export function imagenetClasses(): ClassDef[] {
  if (!cache) {
    const file = parseFile(IMAGENET_CLASSES_FILE, imagenetClassFile, {
      what: 'the generated ImageNet class file',
      hint: 'regenerate it: npx tsx scripts/generate-imagenet-classes.ts',
    });
    cache = file.classes.map((c) => ({
      index: c.index,
      id: c.wnid,
      names: c.lemmas,
      definition: c.gloss,
      urls: c.urls,
      hypernyms: c.hypernyms,
      hypernymNames: c.hypernymNames,
      similar: c.similar,
    }));
  }
  return cache.map((c) => ({
    ...c,
    names: [...c.names],
    urls: [...c.urls],
    hypernyms: [...c.hypernyms],
    hypernymNames: [...(c.hypernymNames ?? [])],
    similar: [...c.similar],
  }));
}
