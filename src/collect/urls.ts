/**
 * A URL list (CSV with a header) as a candidate source. Columns (case-insensitive):
 * - `url` (required; an http(s) URL, or a local file path),
 * - `class` (id, index or name; else every row belongs to the `--class` given),
 * - `keyword`, `uploaded_at` (or `uploaded`), `taken_at` (or `taken`),
 * - `source` and `source_id` (or `id`): keep another source's identity (e.g. `flickr` + photo id);
 *   default source `urls` and the URL as id.
 * The whole file is checked before anything is downloaded; every bad row is reported at once.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { ClassDef } from '../classes/index.ts';
import { findClass } from '../classes/index.ts';
import { dataError, ioError } from '../core/errors.ts';
import type { Candidate, CandidateSource, SourceContext } from './types.ts';

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();
const rowSchema = z.object({
  url: z.string().trim().min(1, 'empty url'),
  class: optionalText,
  keyword: optionalText,
  uploaded_at: optionalText,
  taken_at: optionalText,
  source: optionalText,
  source_id: optionalText,
});

const ALIASES: Record<string, string> = { uploaded: 'uploaded_at', taken: 'taken_at', id: 'source_id', path: 'url', label: 'class' };

export interface UrlListSourceOptions {
  /** The CSV file. */
  file: string;
  classes: readonly ClassDef[];
  /** Class of rows without a `class` column/value. */
  classIdx?: number;
}

export function urlListSource(options: UrlListSourceOptions): CandidateSource {
  const file = resolve(options.file);
  const records = readUrlRecords(file);
  const problems: string[] = [];
  const candidates: Candidate[] = [];
  records.forEach((record, i) => {
    const result = rowCandidate(record, `line ${i + 2}`, options);
    if (typeof result === 'string') problems.push(result);
    else candidates.push(result);
  });
  if (records.length > 0 && !('url' in (records[0] as object))) {
    throw dataError('the URL list has no url column', {
      file,
      received: Object.keys(records[0] as object).join(', '),
      expected: 'a header with url (and optionally class, keyword, uploaded_at, taken_at, source, source_id)',
    });
  }
  if (problems.length > 0) {
    throw dataError(`${problems.length} bad row${problems.length === 1 ? '' : 's'} in the URL list`, {
      file,
      record: problems[0]?.split(':')[0] ?? '',
      received: problems.slice(0, 5).join('; '),
      hint: 'fix the rows; nothing was downloaded',
    });
  }
  return {
    name: 'urls',
    expected: candidates.length,
    async *candidates(context: SourceContext): AsyncIterable<Candidate> {
      for (const c of candidates) {
        context.signal?.throwIfAborted();
        yield c;
      }
    },
  };
}

/** Reads the CSV with its header row; column names are lower-cased and aliases mapped. */
function readUrlRecords(file: string): Record<string, string>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw ioError('cannot read the URL list', { file, cause });
  }
  try {
    return parse(text, {
      columns: (header: string[]) =>
        header.map((h) => {
          const k = h.trim().toLowerCase();
          return ALIASES[k] ?? k;
        }),
      skip_empty_lines: true,
      bom: true,
      relax_column_count: false,
    }) as Record<string, string>[];
  } catch (cause) {
    throw dataError(`the URL list is not valid CSV: ${(cause as Error).message}`, { file, cause, expected: 'a CSV file with a header row and a url column' });
  }
}

/** One row as a candidate, or the problem with it (prefixed by `line`) so all rows can be reported at once. */
function rowCandidate(record: Record<string, string>, line: string, options: UrlListSourceOptions): Candidate | string {
  const parsed = rowSchema.safeParse(record);
  if (!parsed.success) {
    return `${line}: ${parsed.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join(', ')}`;
  }
  const row = parsed.data;
  let classIdx = options.classIdx;
  if (row.class !== undefined) {
    const c = findClass(options.classes, row.class);
    if (!c) return `${line}: class ${JSON.stringify(row.class)} is not a class of the workspace`;
    classIdx = c.index;
  }
  if (classIdx === undefined) return `${line}: no class (add a class column or give --class)`;
  const isUrl = /^https?:\/\//i.test(row.url);
  if (!isUrl && /^[a-z][a-z0-9+.-]*:\/\//i.test(row.url)) {
    return `${line}: url: only http(s) URLs and local paths are supported, not ${JSON.stringify(row.url)}`;
  }
  const content = isUrl ? { url: row.url } : { path: resolve(row.url) };
  return {
    ...content,
    source: row.source ?? 'urls',
    sourceId: row.source_id ?? (isUrl ? row.url : resolve(row.url)),
    classIdx,
    ...(row.keyword !== undefined ? { keyword: row.keyword } : {}),
    ...(row.uploaded_at !== undefined ? { uploadedAt: row.uploaded_at } : {}),
    ...(row.taken_at !== undefined ? { takenAt: row.taken_at } : {}),
  } as Candidate;
}
