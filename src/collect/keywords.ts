/**
 * Search queries for a class (DESIGN §1.2): one query per lemma, with the original authors'
 * options, and the per-class quota split evenly over the queries: floor(quota / queries) each, the
 * remainder dropped, as the authors' `flickr_search.py` did (`int(max_images / len(synset))`).
 */
import type { ClassDef } from '../classes/index.ts';

export interface KeywordOptions {
  /** Append a hypernym's name to each lemma when that name occurs in the class's gloss ("crane" → "crane wading bird"). */
  appendHypernym?: boolean;
  /** Also search each multi-word lemma with its words concatenated ("great white shark" → "greatwhiteshark"). */
  concatenateCompounds?: boolean;
  /** Hand-written queries per class id (wnid or name), replacing the lemmas. */
  overrides?: Record<string, string[]>;
}

/** The queries for one class, in order, without repeats (case-insensitive). */
export function queriesForClass(c: ClassDef, options: KeywordOptions = {}): string[] {
  const override = options.overrides?.[c.id];
  const queries: string[] = [];
  const push = (q: string) => {
    const text = q.trim();
    if (text !== '' && !queries.some((x) => x.toLowerCase() === text.toLowerCase())) queries.push(text);
  };
  if (override) {
    for (const q of override) push(q);
    return queries;
  }
  const gloss = ` ${c.definition.toLowerCase()} `;
  const hypernym = options.appendHypernym
    ? (c.hypernymNames ?? []).find(
        (h) => gloss.includes(` ${h.toLowerCase()} `) || gloss.includes(` ${h.toLowerCase()};`) || gloss.includes(` ${h.toLowerCase()},`),
      )
    : undefined;
  for (const lemma of c.names) {
    const base = hypernym && !lemma.toLowerCase().includes(hypernym.toLowerCase()) ? `${lemma} ${hypernym}` : lemma;
    push(base);
    if (options.concatenateCompounds && /[\s-]/.test(lemma)) push(lemma.replace(/[\s-]+/g, ''));
  }
  return queries;
}

/**
 * Splits `quota` evenly over `parts` queries: floor(quota / parts) each. The remainder is dropped
 * (`'drop'`, the default and the authors' rule: 200 over 3 lemmas asks for 66 + 66 + 66), or given to
 * the first query (`'first'`, not the authors' rule: 68 + 66 + 66).
 */
export function splitQuota(quota: number, parts: number, remainder: 'drop' | 'first' = 'drop'): number[] {
  if (parts <= 0) return [];
  const base = Math.floor(quota / parts);
  const out = new Array<number>(parts).fill(base);
  if (remainder === 'first') out[0] = base + (quota - base * parts);
  return out;
}
