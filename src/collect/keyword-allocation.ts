/**
 * CIFAR-10.1's keyword allocation (DESIGN §1.2), over any keyword-tagged candidate pool. CIFAR-10.1
 * drew its candidates from Tiny Images per keyword, in proportion to each keyword's count among the
 * original CIFAR-10 images (the authors' notebook `keywords_v6.ipynb`, `compute_new_keyword_counts`):
 * per class, its top `topK` (50) keywords by count (a stable sort: equal counts keep the order given),
 * keyword k gets `perClass · (count_k / Σ top-k counts)` images (that order of operations, in float64),
 * floored; the perClass − Σ floors images left go one each to the keywords with the largest
 * fractional remainders, ties to the earlier (higher-count) keyword. Keywords left at 0 get nothing.
 *
 * `allocateKeywords` is pure; `drawFromPool` draws that many images per keyword from a pool of
 * (image, keyword[, class]) with a seeded RNG; parsing the user's files is `readKeywordCounts` and
 * `readKeywordPool` (CSV or JSON, checked with zod, every problem reported with file and record).
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { dataError, ioError, sampleWithoutReplacement, usageError, type Rng } from '../core/index.ts';
import { parseJson } from '../core/parse.ts';

/** A keyword and how many original images carry it. */
export interface KeywordCount {
  keyword: string;
  /** Images of the original dataset of this class with this keyword (≥ 0). */
  count: number;
}

/** The original dataset's keyword counts: class key (name, index or id, as written) → keywords in file order. */
export type OriginalKeywordCounts = Map<string, KeywordCount[]>;

/** One keyword's share of its class. */
export interface KeywordShare extends KeywordCount {
  /** perClass · count / Σ top-k counts (float64, the authors' order of operations). */
  fractional: number;
  /** Images allocated: floor(fractional), plus one if it got a remainder unit. */
  allocated: number;
}

/** The allocation of one class. */
export interface ClassKeywordAllocation {
  /** Class key as given. */
  classKey: string;
  /** The top-k keywords in rank order (count descending, ties in file order), allocated ones and zeros. */
  keywords: KeywordShare[];
  /** Σ top-k counts (the denominator). */
  topKCount: number;
  /** Σ all counts of the class (how much of the class the top k cover). */
  totalCount: number;
}

/** Options of `allocateKeywords`. */
export interface KeywordAllocationOptions {
  /** Images per class (CIFAR-10.1 v6: 200). */
  perClass: number;
  /** Keywords kept per class (CIFAR-10.1 v6: 50). */
  topK: number;
}

/** Allocates `perClass` images per class over its top-k keywords (see the file comment). */
export function allocateKeywords(counts: OriginalKeywordCounts, options: KeywordAllocationOptions): ClassKeywordAllocation[] {
  if (!Number.isInteger(options.perClass) || options.perClass < 0)
    throw usageError('--per-class must be a non-negative integer', { field: '--per-class', received: String(options.perClass) });
  if (!Number.isInteger(options.topK) || options.topK < 1)
    throw usageError('--top must be a positive integer', { field: '--top', received: String(options.topK) });
  const out: ClassKeywordAllocation[] = [];
  for (const [classKey, list] of counts) {
    // Array.prototype.sort is stable: equal counts keep their order (Python's sorted(reverse=True) too).
    const top = [...list].sort((a, b) => b.count - a.count).slice(0, options.topK);
    const topKCount = top.reduce((s, k) => s + k.count, 0);
    const totalCount = list.reduce((s, k) => s + k.count, 0);
    const keywords: KeywordShare[] = top.map((k) => {
      const fractional = topKCount > 0 ? options.perClass * (k.count / topKCount) : 0;
      return { ...k, fractional, allocated: Math.floor(fractional) };
    });
    let left = topKCount > 0 ? options.perClass - keywords.reduce((s, k) => s + k.allocated, 0) : 0;
    const byGap = keywords.map((k, i) => ({ i, gap: k.fractional - Math.floor(k.fractional) })).sort((a, b) => b.gap - a.gap);
    for (const { i } of byGap) {
      if (left <= 0) break;
      (keywords[i] as KeywordShare).allocated += 1;
      left--;
    }
    out.push({ classKey, keywords, topKCount, totalCount });
  }
  return out;
}

/** Keywords allocated images in more than one class (CIFAR-10.1 v6 had one: "cruiser", automobile and ship). */
export function sharedKeywords(allocation: readonly ClassKeywordAllocation[]): { keyword: string; classKeys: string[] }[] {
  const by = new Map<string, string[]>();
  for (const c of allocation) for (const k of c.keywords) if (k.allocated > 0) by.set(k.keyword, [...(by.get(k.keyword) ?? []), c.classKey]);
  return [...by].filter(([, keys]) => keys.length > 1).map(([keyword, classKeys]) => ({ keyword, classKeys }));
}

/** One image of a keyword-tagged pool. */
export interface PoolImage {
  /** URL or file path (what `retest collect urls` reads). */
  image: string;
  keyword: string;
  /** Class key, when the pool says (then it must equal the allocation's class key); null: any class of the keyword. */
  classKey: string | null;
}

/** What `drawFromPool` drew. */
export interface PoolDraw {
  /** The chosen images, class by class, keyword by keyword. */
  selection: { image: string; classKey: string; keyword: string }[];
  /** Per class and keyword: allocated, available in the pool (not taken by an earlier class), drawn. */
  keywords: { classKey: string; keyword: string; allocated: number; available: number; drawn: number }[];
  /** Per class: images allocated − drawn (0 when the pool had enough). */
  short: { classKey: string; short: number }[];
}

/**
 * Draws each keyword's allocation from the pool, uniformly at random without replacement (pool
 * images sorted by image first, so the draw depends only on the seed). Classes are served in
 * allocation order; an image is drawn at most once, so a keyword shared by two classes splits its
 * pool. A keyword with too few images leaves its class short (reported, never hidden).
 */
export function drawFromPool(allocation: readonly ClassKeywordAllocation[], pool: readonly PoolImage[], rng: Rng): PoolDraw {
  const byKeyword = new Map<string, PoolImage[]>();
  for (const p of [...pool].sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0)))
    byKeyword.set(p.keyword, [...(byKeyword.get(p.keyword) ?? []), p]);
  const taken = new Set<string>();
  const out: PoolDraw = { selection: [], keywords: [], short: [] };
  for (const c of allocation) {
    let short = 0;
    for (const k of c.keywords) {
      if (k.allocated === 0) continue;
      const available = (byKeyword.get(k.keyword) ?? []).filter((p) => !taken.has(p.image) && (p.classKey === null || p.classKey === c.classKey));
      const drawn = available.length <= k.allocated ? available : sampleWithoutReplacement(available, k.allocated, rng);
      for (const p of drawn) {
        taken.add(p.image);
        out.selection.push({ image: p.image, classKey: c.classKey, keyword: k.keyword });
      }
      short += k.allocated - drawn.length;
      out.keywords.push({ classKey: c.classKey, keyword: k.keyword, allocated: k.allocated, available: available.length, drawn: drawn.length });
    }
    out.short.push({ classKey: c.classKey, short });
  }
  return out;
}

// ---- files ---------------------------------------------------------------------------------------

const text = z.string().trim().min(1, 'empty');
const classKey = z.union([text, z.number().int().nonnegative().transform(String)]);
const count = z.coerce.number().int('not an integer').nonnegative('negative');
/** A JSON row of counts or of original images: {class | label | cifar10_label, keyword | nn_keyword, count?}. */
const jsonRow = z
  .object({
    class: classKey.optional(),
    label: classKey.optional(),
    cifar10_label: classKey.optional(),
    keyword: text.optional(),
    nn_keyword: text.optional(),
    count: count.optional(),
  })
  .transform((r, ctx) => {
    const c = r.class ?? r.label ?? r.cifar10_label;
    const k = r.keyword ?? r.nn_keyword;
    if (c === undefined) ctx.addIssue({ code: 'custom', message: 'no class (class, label or cifar10_label)' });
    if (k === undefined) ctx.addIssue({ code: 'custom', message: 'no keyword (keyword or nn_keyword)' });
    return { classKey: c ?? '', keyword: k ?? '', count: r.count };
  });
const jsonCounts = z.union([z.record(z.string(), z.record(z.string(), count)), z.array(jsonRow)]);

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw ioError(`cannot read the ${what}`, { file, cause });
  }
}

function csvRecords(file: string, body: string, expected: string): Record<string, string>[] {
  try {
    return parse(body, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, bom: true, trim: true }) as Record<
      string,
      string
    >[];
  } catch (cause) {
    throw dataError(`not valid CSV: ${(cause as Error).message}`, { file, cause, expected });
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Adds one (class, keyword, count) in first-appearance order. */
function addCount(counts: OriginalKeywordCounts, classKey: string, keyword: string, n: number): void {
  let list = counts.get(classKey);
  if (!list) counts.set(classKey, (list = []));
  const entry = list.find((k) => k.keyword === keyword);
  if (entry) entry.count += n;
  else list.push({ keyword, count: n });
}

/**
 * The original dataset's keyword counts per class, from:
 * - CSV with a header `class,keyword,count` (one row per class and keyword), or `class,keyword`
 *   (one row per original image: counted, keywords in order of first appearance);
 * - JSON `{"<class>": {"<keyword>": count, …}, …}` (objects list integer-like keys first: use CSV
 *   or the array form when keyword order matters for ties), or an array of `{class, keyword, count}`
 *   or of one object per original image — the CIFAR-10.1 authors' `cifar10_keywords_unique.json`
 *   rows `{nn_keyword, cifar10_label, …}` work as they are.
 */
export function readKeywordCounts(path: string): OriginalKeywordCounts {
  const file = resolve(path);
  const body = readText(file, 'keyword counts');
  const counts: OriginalKeywordCounts = new Map();
  if (extname(file).toLowerCase() === '.json') {
    const data = parseJson(body, jsonCounts, {
      file,
      what: 'the keyword counts',
      expected: '{"<class>": {"<keyword>": <count>}} or [{"class", "keyword", "count"?}] (also {"cifar10_label", "nn_keyword"})',
    });
    if (Array.isArray(data)) for (const r of data) addCount(counts, r.classKey, r.keyword, r.count ?? 1);
    else for (const [c, keywords] of Object.entries(data)) for (const [k, n] of Object.entries(keywords)) addCount(counts, c, k, n);
    return counts;
  }
  const records = csvRecords(file, body, 'a CSV file with a header: class,keyword[,count]');
  const problems: string[] = [];
  records.forEach((r, i) => {
    const line = i + 2;
    if (!r.class || !r.keyword) {
      problems.push(`line ${line}: class and keyword are required`);
      return;
    }
    const n = r.count === undefined ? 1 : Number(r.count);
    if (!Number.isInteger(n) || n < 0) problems.push(`line ${line}: count ${JSON.stringify(r.count)} is not a non-negative integer`);
    else addCount(counts, r.class, r.keyword, n);
  });
  if (problems.length > 0)
    throw dataError(`${problems.length} bad row(s) in the keyword counts`, {
      file,
      record: problems[0]?.split(':')[0] ?? '',
      received: problems.slice(0, 5).join('; '),
      expected: 'class,keyword[,count] with a non-negative integer count',
    });
  if (counts.size === 0) throw dataError('the keyword counts are empty', { file, expected: 'at least one class,keyword row' });
  return counts;
}

const poolRow = z.object({ image: text, keyword: text, class: classKey.optional() });

/**
 * A keyword-tagged candidate pool: CSV with a header `image,keyword[,class]` (`url` or `path` may
 * name the image column), JSON `{"<image>": "<keyword>", …}`, or an array of `{image, keyword, class?}`.
 */
export function readKeywordPool(path: string): PoolImage[] {
  const file = resolve(path);
  const body = readText(file, 'keyword pool');
  let rows: unknown[];
  if (extname(file).toLowerCase() === '.json') {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch (cause) {
      throw dataError('the keyword pool is not valid JSON', { file, cause, expected: '{"<image>": "<keyword>"} or [{image, keyword, class?}]' });
    }
    rows = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' ? Object.entries(raw).map(([image, keyword]) => ({ image, keyword })) : [raw];
  } else {
    rows = csvRecords(file, body, 'a CSV file with a header: image,keyword[,class]').map((r) => ({
      image: r.image ?? r.url ?? r.path,
      keyword: r.keyword,
      ...(r.class ? { class: r.class } : {}),
    }));
  }
  const out: PoolImage[] = [];
  const problems: string[] = [];
  rows.forEach((row, i) => {
    const parsed = poolRow.safeParse(row);
    if (parsed.success) out.push({ image: parsed.data.image, keyword: parsed.data.keyword, classKey: parsed.data.class ?? null });
    else problems.push(`record ${i}: ${issues(parsed.error)}`);
  });
  if (problems.length > 0)
    throw dataError(`${problems.length} bad record(s) in the keyword pool`, {
      file,
      record: problems[0]?.split(':')[0] ?? '',
      received: problems.slice(0, 5).join('; '),
      expected: 'image (or url/path) and keyword, optionally class',
    });
  const seen = new Set<string>();
  for (const [i, p] of out.entries()) {
    if (seen.has(p.image))
      throw dataError('the same image appears twice in the keyword pool', {
        file,
        record: i,
        field: 'image',
        received: p.image,
        hint: 'give each image one keyword (and class)',
      });
    seen.add(p.image);
  }
  return out;
}
