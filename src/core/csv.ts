/**
 * CSV files parsed once at the boundary (csv-parse), with every problem a data error naming the
 * file, the line and what was expected: a row with a missing or extra column, an unterminated
 * quote, a missing header column, and — through `numberCell` — a numeric cell that is empty, not
 * a plain decimal number (`0x3`, `1e`, `NaN`), not an integer where one is needed, or out of range.
 */
import { createRequire } from 'node:module';

// Loaded on first use: commands that never read a CSV do not pay for the parser at start-up.
const require = createRequire(import.meta.url);
let csvParse: ((input: string, options: import('csv-parse/sync').Options) => unknown) | undefined;
function parse(input: string, options: import('csv-parse/sync').Options): unknown {
  csvParse ??= (require('csv-parse/sync') as typeof import('csv-parse/sync')).parse as (input: string, options: import('csv-parse/sync').Options) => unknown;
  return csvParse(input, options);
}
import { dataError, preview } from './errors.ts';

/** A parsed CSV file: its header and rows, each row with the line it ends on (1-based). */
export interface CsvTable {
  /** The file it came from (for errors). */
  file: string;
  /** Column names of the first line. */
  header: string[];
  /** Data rows, each as long as the header. */
  rows: string[][];
  /** Line number (1-based) of each row in `rows`. */
  lines: number[];
}

/** Where a cell is, for errors. */
export interface CellRef {
  file: string;
  /** 1-based line number. */
  line: number;
  /** Column name. */
  column: string;
}

const CSV_PROBLEMS: Record<string, string> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a row has a different number of columns than the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'a row has a different number of columns than the header',
  CSV_QUOTE_NOT_CLOSED: 'a quoted value is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a quote is followed by text before the next separator',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a quote is followed by text before the next separator',
  CSV_INVALID_OPENING_QUOTE: 'a quote opens in the middle of a value',
};

/**
 * Parses CSV text with a header line. `required` columns must be in the header (a data error
 * naming the missing one otherwise). Empty lines are skipped; values are trimmed.
 */
export function parseCsv(text: string, file: string, required: readonly string[] = []): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, info: true, bom: true }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (cause) {
    const e = cause as { code?: string; lines?: number; message?: string; record?: unknown };
    const problem = e.code ? CSV_PROBLEMS[e.code] : undefined;
    if (!problem) throw dataError(`unreadable CSV: ${e.message ?? String(cause)}`, { file, ...(e.lines ? { record: `line ${e.lines}` } : {}), cause });
    const header = firstLine(text);
    throw dataError(`unreadable CSV: ${problem}`, {
      file,
      ...(e.lines ? { record: `line ${e.lines}` } : {}),
      expected:
        e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code?.includes('QUOTE')
          ? 'every opening quote closed before the separator or the end of the line'
          : `${header.length} columns (${header.join(',')})`,
      ...(Array.isArray(e.record) ? { received: `${e.record.length} columns: ${preview((e.record as string[]).join(','), 100)}` } : {}),
      hint: 'fix the row (a missing or extra comma, or an unbalanced quote)',
      cause,
    });
  }
  const first = records[0];
  if (!first)
    throw dataError('the CSV file is empty', {
      file,
      record: 'line 1',
      expected: `a header line${required.length ? ` with ${required.join(',')}` : ''}`,
      received: 'nothing',
    });
  const header = first.record;
  for (const name of required) {
    if (!header.includes(name)) {
      throw dataError(`the CSV header has no column "${name}"`, {
        file,
        record: 'line 1',
        field: name,
        expected: `columns ${required.join(',')}`,
        received: header.join(','),
      });
    }
  }
  return { file, header, rows: records.slice(1).map((r) => r.record), lines: records.slice(1).map((r) => r.info.lines) };
}

function firstLine(text: string): string[] {
  const line =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  return line.split(',').map((s) => s.trim());
}

/** Column index of `name` in the table (the header was checked by `parseCsv`). */
export function columnIndex(table: CsvTable, name: string): number {
  const at = table.header.indexOf(name);
  if (at < 0) throw dataError(`the CSV header has no column "${name}"`, { file: table.file, record: 'line 1', field: name, received: table.header.join(',') });
  return at;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** What a numeric cell may hold. */
export interface NumberRule {
  /** Only whole numbers. */
  integer?: boolean;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** What the cell holds, for messages ("logit", "label"); default "number". */
  what?: string;
}

/**
 * A CSV cell as a number: plain decimal notation only (`3`, `-0.25`, `1e-3`); empty cells,
 * hexadecimal (`0x3`), `NaN`, `Infinity` and numbers outside `rule` are data errors naming the
 * file, line and column.
 */
export function numberCell(text: string | undefined, at: CellRef, rule: NumberRule = {}): number {
  const where = { file: at.file, record: `line ${at.line}`, field: `column ${at.column}` };
  const range = rangeText(rule);
  const value = (text ?? '').trim();
  if (value === '')
    throw dataError(`empty ${at.column} cell`, { ...where, expected: range, received: 'an empty cell', hint: 'every row needs a value in this column' });
  if (/^[+-]?(?:inf|infinity|nan)$/i.test(value)) {
    throw dataError(`non-finite ${rule.what ?? 'number'} ${value} in the ${at.column} cell`, { ...where, expected: range, received: value });
  }
  if (!(rule.integer ? INTEGER : DECIMAL).test(value)) {
    throw dataError(`the ${at.column} cell is not ${rule.integer ? 'an integer' : 'a number'} in decimal notation`, {
      ...where,
      expected: range,
      received: JSON.stringify(value),
    });
  }
  const n = Number(value);
  if (
    !Number.isFinite(n) ||
    (rule.integer && !Number.isSafeInteger(n)) ||
    (rule.min !== undefined && n < rule.min) ||
    (rule.max !== undefined && n > rule.max)
  ) {
    throw dataError(`the ${at.column} cell ${value} is ${outside(rule)}`, { ...where, expected: range, received: value });
  }
  return n;
}

function outside(rule: NumberRule): string {
  if (rule.min !== undefined && rule.max !== undefined) return `outside [${rule.min}, ${rule.max}]`;
  if (rule.min !== undefined) return `below ${rule.min}`;
  if (rule.max !== undefined) return `above ${rule.max}`;
  return 'not a finite number';
}

function rangeText(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a decimal number';
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} in ${rule.min}…${rule.max}`;
  if (rule.min !== undefined) return `${kind} ≥ ${rule.min}`;
  if (rule.max !== undefined) return `${kind} ≤ ${rule.max}`;
  return kind;
}
