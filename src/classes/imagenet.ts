/**
 * ImageNet's 1,000 ILSVRC-2012 classes, generated from WordNet 3.0 by
 * `scripts/generate-imagenet-classes.ts` into `data/imagenet-classes.json` (committed with
 * WordNet's license, `data/WORDNET-LICENSE`), so users need no WordNet installation.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { dataError } from '../core/errors.ts';
import type { ClassDef } from './types.ts';

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
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(IMAGENET_CLASSES_FILE, 'utf8'));
    } catch (cause) {
      throw dataError('cannot read the generated ImageNet class file', { file: IMAGENET_CLASSES_FILE, cause, hint: 'regenerate it: npx tsx scripts/generate-imagenet-classes.ts' });
    }
    const parsed = imagenetClassFile.safeParse(raw);
    if (!parsed.success) {
      throw dataError('the ImageNet class file is malformed', { file: IMAGENET_CLASSES_FILE, received: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), hint: 'regenerate it: npx tsx scripts/generate-imagenet-classes.ts' });
    }
    cache = parsed.data.classes.map((c) => ({ index: c.index, id: c.wnid, names: c.lemmas, definition: c.gloss, urls: c.urls, hypernyms: c.hypernyms, hypernymNames: c.hypernymNames, similar: c.similar }));
  }
  return cache.map((c) => ({ ...c, names: [...c.names], urls: [...c.urls], hypernyms: [...c.hypernyms], hypernymNames: [...(c.hypernymNames ?? [])], similar: [...c.similar] }));
}
