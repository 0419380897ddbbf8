/**
 * The classes of a test set (DESIGN §1.1). A class is what labellers are asked about and what a
 * model's output index means; its `index` is the label stored everywhere else.
 */

/** One class. */
export interface ClassDef {
  /** 0-based label index. ImageNet: position of the wnid in sorted order (0 = n01440764 tench). */
  index: number;
  /** Stable identifier: the WordNet 3.0 synset id (`wnid`, "n" + 8-digit offset) or a plain name ("airplane"). Unique. */
  id: string;
  /** Names shown to labellers and searched for; for WordNet synsets its lemmas in WordNet order (underscores → spaces). At least one. */
  names: string[];
  /** One-sentence definition shown to labellers (WordNet gloss); '' when none. */
  definition: string;
  /** Reference pages (e.g. Wikipedia) shown to labellers; may be empty. */
  urls: string[];
  /** Direct hypernym ids (WordNet wnids); empty for classes without a hierarchy. */
  hypernyms: string[];
  /** Names (lemmas) of the direct hypernyms, in order; used by the "append the hypernym" search option. Absent when unknown. */
  hypernymNames?: string[];
  /** Ids of the most similar other classes, most similar first (hard negative controls); may be empty. */
  similar: string[];
}

/** A named built-in class list, or a custom JSON file. */
export type ClassSetName = 'imagenet' | 'cifar10';

/** The `retest classes --json` row: the public shape. */
export interface ClassRow {
  /** Label index. */
  index: number;
  /** WordNet id, or the class id when the class is not a WordNet synset. */
  wnid: string;
  /** Names (lemmas). */
  lemmas: string[];
  /** Definition (gloss). */
  gloss: string;
  /** Hypernym wnids. */
  hypernyms: string[];
  /** Most similar classes' ids, most similar first (itself excluded). */
  similar: string[];
}
