/**
 * A minimal reader for WordNet 3.0's noun database (`data.noun`), enough to generate ImageNet's
 * classes: lemmas, gloss, hypernyms, and NLTK-compatible path similarity. Pure functions over the
 * file's bytes; used by scripts/generate-imagenet-classes.ts (users get the generated JSON).
 *
 * data.noun line format (wndb(5WN)):
 *   offset lex_filenum ss_type w_cnt(hex) [word lex_id]… p_cnt(3 digits) [ptr_symbol offset pos source/target]… | gloss
 * Offsets are byte offsets of the line in the file, so a synset is read by seeking to its offset.
 */
import { dataError } from '../core/errors.ts';

/** One noun synset. */
export interface NounSynset {
  /** "n" + 8-digit offset. */
  wnid: string;
  /** Lemmas in WordNet order, underscores replaced by spaces (case kept). */
  lemmas: string[];
  /**
   * The whole gloss as in data.noun, trimmed: definition plus quoted examples when it has them. This
   * is what the ImageNetV2 authors' class_info.json shows labellers (28 of the 1,000 classes have examples).
   */
  gloss: string;
  /** Definition as NLTK's `Synset.definition()`: the gloss without quoted examples, trimmed of spaces and ';'. */
  definition: string;
  /** Direct hypernyms (`@`), then instance hypernyms (`@i`), as wnids in file order. */
  hypernyms: string[];
}

/** Reads noun synsets from the bytes of data.noun by offset, caching parsed lines. */
export class NounDatabase {
  private readonly cache = new Map<string, NounSynset>();
  constructor(
    private readonly bytes: Uint8Array,
    private readonly file = 'data.noun',
  ) {}

  synset(wnid: string): NounSynset {
    const cached = this.cache.get(wnid);
    if (cached) return cached;
    if (!/^n\d{8}$/.test(wnid)) throw dataError('not a noun wnid', { file: this.file, received: JSON.stringify(wnid), expected: 'n + 8 digits' });
    const offset = Number(wnid.slice(1));
    if (offset >= this.bytes.length) throw dataError('wnid offset beyond the end of data.noun', { file: this.file, record: wnid });
    let end = offset;
    while (end < this.bytes.length && this.bytes[end] !== 0x0a) end++;
    const line = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, end - offset).toString('utf8');
    const synset = parseDataLine(line, this.file);
    if (synset.wnid !== wnid) {
      throw dataError('wnid does not start a synset line in data.noun (is this WordNet 3.0?)', { file: this.file, record: wnid, received: line.slice(0, 40) });
    }
    this.cache.set(wnid, synset);
    return synset;
  }

  /** Every ancestor (and the synset itself) with its shortest hypernym-path depth: NLTK's `_shortest_hypernym_paths`. */
  ancestorDepths(wnid: string): Map<string, number> {
    const depths = new Map<string, number>();
    const queue: [string, number][] = [[wnid, 0]];
    for (let head = 0; head < queue.length; head++) {
      const [id, depth] = queue[head] as [string, number];
      if (depths.has(id)) continue;
      depths.set(id, depth);
      for (const h of this.synset(id).hypernyms) queue.push([h, depth + 1]);
    }
    return depths;
  }
}

/** Parses one data.noun line. */
export function parseDataLine(line: string, file = 'data.noun'): NounSynset {
  const bar = line.indexOf(' | ');
  const fields = (bar >= 0 ? line.slice(0, bar) : line).trim().split(/\s+/);
  const gloss = bar >= 0 ? line.slice(bar + 3) : '';
  const [offset, , ssType, wCntHex] = fields;
  if (!offset || !/^\d{8}$/.test(offset) || ssType !== 'n' || !wCntHex) {
    throw dataError('malformed data.noun line', { file, received: line.slice(0, 60) });
  }
  const wCnt = parseInt(wCntHex, 16);
  const lemmas: string[] = [];
  let i = 4;
  for (let w = 0; w < wCnt; w++, i += 2) lemmas.push((fields[i] ?? '').replace(/_/g, ' '));
  const pCnt = Number(fields[i]);
  i += 1;
  const hypernyms: string[] = [];
  const instanceHypernyms: string[] = [];
  for (let p = 0; p < pCnt; p++, i += 4) {
    const symbol = fields[i];
    const target = `${fields[i + 2]}${fields[i + 1]}`;
    if (symbol === '@') hypernyms.push(target);
    else if (symbol === '@i') instanceHypernyms.push(target);
  }
  return { wnid: `n${offset}`, lemmas, gloss: gloss.trim(), definition: nltkDefinition(gloss), hypernyms: [...hypernyms, ...instanceHypernyms] };
}

/** NLTK: `re.sub(r'["].*?["]', '', gloss).strip().strip('; ')`. */
export function nltkDefinition(gloss: string): string {
  return stripChars(gloss.replace(/".*?"/g, '').trim(), '; ');
}

function stripChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start] as string)) start++;
  while (end > start && chars.includes(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

/**
 * NLTK's `path_similarity` for nouns of WordNet 3.0 (no simulated root is needed: every noun
 * reaches `entity`): 1 / (shortest path through a common ancestor + 1).
 */
export function pathSimilarity(a: Map<string, number>, b: Map<string, number>): number {
  let best = Infinity;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [id, d1] of small) {
    const d2 = large.get(id);
    if (d2 !== undefined && d1 + d2 < best) best = d1 + d2;
  }
  return Number.isFinite(best) ? 1 / (best + 1) : 0;
}
