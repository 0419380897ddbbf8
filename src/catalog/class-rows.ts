/**
 * The `classes` table's rows ↔ ClassDef for the catalog (./sql-catalog.ts): list columns are JSON
 * arrays, and a row that does not decode is a data error naming the class and the column (never a
 * bare SyntaxError).
 */
import type { ClassDef } from '../classes/index.ts';
import { dataError } from '../core/index.ts';

/** The columns of a `classes` row, in insert order (`similar` quoted: a keyword in PostgreSQL). */
export const CLASS_COLUMNS = ['idx', 'id', 'names', 'definition', 'urls', '"similar"', 'hypernyms', 'hypernym_names'] as const;

/** A `classes` row as stored. */
export interface ClassTableRow {
  /** Class index (0-based, no gaps). */
  idx: number;
  /** WordNet id or the custom id. */
  id: string;
  /** JSON array of names. */
  names: string;
  /** The gloss. */
  definition: string;
  /** JSON array of reference URLs. */
  urls: string;
  /** JSON array of similar classes' ids (negative controls). */
  similar: string;
  /** JSON array of hypernym ids. */
  hypernyms: string;
  /** JSON array of the hypernyms' lemmas. */
  hypernym_names: string;
}

/** The values of a class's row, in `CLASS_COLUMNS` order. */
export function classRowValues(c: ClassDef): [number, string, string, string, string, string, string, string] {
  return [
    c.index,
    c.id,
    JSON.stringify(c.names),
    c.definition,
    JSON.stringify(c.urls),
    JSON.stringify(c.similar),
    JSON.stringify(c.hypernyms),
    JSON.stringify(c.hypernymNames ?? []),
  ];
}

/** The class list from its rows ordered by index: a gap in the indices or a broken JSON column is a data error naming `file`. */
export function classesFromRows(rows: readonly ClassTableRow[], file: string): ClassDef[] {
  return rows.map((r, i) => {
    if (r.idx !== i)
      throw dataError('the classes table has a gap in its indices', { file, record: i, field: 'idx', expected: String(i), received: String(r.idx) });
    const json = (field: keyof ClassTableRow) => decodeClassColumn(r, field, file);
    return {
      index: r.idx,
      id: r.id,
      names: json('names'),
      definition: r.definition,
      urls: json('urls'),
      similar: json('similar'),
      hypernyms: json('hypernyms'),
      hypernymNames: json('hypernym_names'),
    };
  });
}

function decodeClassColumn(row: ClassTableRow, field: keyof ClassTableRow, file: string): string[] {
  const text = row[field];
  let value: unknown;
  try {
    value = JSON.parse(String(text));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) {
    throw dataError('a classes row holds a column that is not a JSON array', {
      file,
      record: `class ${row.idx} (${row.id})`,
      field: String(field),
      expected: 'a JSON array',
      received: String(text).slice(0, 80),
      hint: 'fix the row, or re-create the workspace from its class list',
    });
  }
  return value as string[];
}
