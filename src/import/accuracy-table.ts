/**
 * Published per-model accuracy tables (timm's `results-*.csv`, a paper's table, a leaderboard) read
 * as counts: not per-image predictions, so nothing per image is known about these models.
 *
 * - `--key COL[,COL]` names a model: the key cells joined by '@' (timm: `model,img_size` →
 *   `resnet50.a1_in1k@224`); a key seen twice is an error (the key is too short).
 * - Either one test set per file (`testSet` + `value` column, optionally a `top5` column) or a wide
 *   table (`wide`): every column that is not a key, not skipped and holds only numbers is a test
 *   set named by its header (or by `map`).
 * - Percent or fraction is decided per column: percent when a cell has a '%' sign or any value
 *   exceeds 1, else fraction (`units` forces one). Values must lie in [0, 100] or [0, 1].
 * - Empty cells (also '-', '—', 'n/a', 'na', 'nan') mean "not measured": that model has no result on
 *   that set, never an accuracy of 0.
 * - Counts are round(accuracy × n), n from `n` or the known size of the set.
 *
 * Pure apart from reading the file: everything is validated here, errors name file, line and column.
 */
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { dataError, ioError, usageError } from '../core/errors.ts';
import { findDataset } from '../datasets/index.ts';

/** How a table is read. */
export interface AccuracyTableOptions {
  /** Columns whose cells, joined by '@', name a model (at least one). */
  key: readonly string[];
  /** One test set per file: its canonical name (with `value`). */
  testSet?: string;
  /** One test set per file: the column with the top-1 accuracy. */
  value?: string;
  /** One test set per file: the column with the top-5 accuracy (optional). */
  top5?: string;
  /** Every other numeric column is a test set (top-1), named by its header or `map`. */
  wide?: boolean;
  /** Column header → canonical test-set name (`val` → `imagenet-val`). */
  map?: Readonly<Record<string, string>>;
  /** Columns to leave out of a wide table (numbers that are not accuracies: parameter counts, …). */
  skip?: readonly string[];
  /** Test set → number of images; known sets default to their size. */
  n?: Readonly<Record<string, number>>;
  /** 'auto' (per column, the default), or force 'percent' / 'fraction' for every column. */
  units?: 'auto' | 'percent' | 'fraction';
}

/** How one column of the table was read. */
export interface AccuracyColumn {
  /** Header of the column. */
  column: string;
  /** Canonical test-set name it holds. */
  testSet: string;
  /** Which accuracy it holds. */
  metric: 'top1' | 'top5';
  /** Percent (0–100) or fraction (0–1). */
  units: 'percent' | 'fraction';
  /** Why: 'forced' (--units), a '%' sign, a value above 1, or all values ≤ 1. */
  unitsReason: 'forced' | 'percent sign' | 'value above 1' | 'all values ≤ 1';
  /** Images in the test set. */
  n: number;
  /** Where n came from: given with --n, or the known size of the set. */
  nSource: 'given' | 'known';
  /** Cells with an accuracy. */
  measured: number;
  /** Empty cells: models not measured on this set. */
  empty: number;
  /** Smallest and largest value as written (in the column's units); null when nothing was measured. */
  range: [number, number] | null;
}

/** One model's published accuracy on one test set. */
export interface AccuracyEntry {
  /** Model name: the key cells joined by '@'. */
  model: string;
  /** Canonical test-set name. */
  testSet: string;
  /** Images in the test set. */
  n: number;
  /** Top-1 accuracy as a fraction, as published. */
  top1Accuracy: number;
  /** round(top1Accuracy × n). */
  top1Correct: number;
  /** Top-5 accuracy as a fraction; null when the table has none for this model. */
  top5Accuracy: number | null;
  /** round(top5Accuracy × n), or null. */
  top5Correct: number | null;
  /** Line of the file the value is on (1 = header). */
  line: number;
  /** Column the top-1 value came from. */
  column: string;
  /** Units of that column. */
  units: 'percent' | 'fraction';
}

/** A table, read. */
export interface AccuracyTable {
  /** The file read. */
  file: string;
  /** Models (rows with a key), in file order. */
  models: string[];
  /** How each accuracy column was read. */
  columns: AccuracyColumn[];
  /** Columns of a wide table that were not read as test sets, with why. */
  ignored: { column: string; reason: string }[];
  /** Every (model, test set) with a top-1 accuracy, in file order then column order. */
  entries: AccuracyEntry[];
}

/** Cell texts that mean "not measured". */
const EMPTY = new Set(['', '-', '—', '–', 'n/a', 'na', 'nan', 'none', 'null']);
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?$/;

/** A parsed accuracy cell: null when empty ("not measured"). */
export type AccuracyCell = { value: number; percentSign: boolean } | null;

/** Parses one accuracy cell: null when empty, else the number and whether it carried a '%' sign. */
export function parseAccuracyCell(text: string): AccuracyCell | 'not a number' {
  const t = text.trim();
  if (EMPTY.has(t.toLowerCase())) return null;
  if (!NUMBER.test(t)) return 'not a number';
  const percentSign = t.endsWith('%');
  return { value: Number(percentSign ? t.slice(0, -1) : t), percentSign };
}

/** The image count of a test set: given, else the known size, else an error naming the option. */
export function testSetSize(testSet: string, given: Readonly<Record<string, number>> | undefined, file: string): { n: number; source: 'given' | 'known' } {
  const n = given?.[testSet];
  if (n !== undefined) return { n, source: 'given' };
  const known = findDataset(testSet)?.count;
  if (known !== undefined) return { n: known, source: 'known' };
  throw usageError(`the number of images of test set "${testSet}" is not known`, {
    file,
    field: '--n',
    expected: `--n ${testSet}=N (known sets: imagenet-val, the ImageNetV2 sets, cifar10-test, cifar10.1-v4, cifar10.1-v6)`,
    hint: 'counts are round(accuracy × n), so n is needed: pass it with --n',
  });
}

interface Row {
  line: number;
  cells: string[];
}

function readRows(file: string): { header: string[]; rows: Row[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw ioError(`cannot read ${file}`, { file, cause, hint: 'check the path' });
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { skip_empty_lines: true, trim: true, info: true, relax_column_count: false }) as unknown as typeof records;
  } catch (cause) {
    const line = (cause as { lines?: number }).lines;
    throw dataError('not a valid CSV table', { file, ...(line ? { record: `line ${line}` } : {}), cause, hint: (cause as Error).message });
  }
  const first = records[0];
  if (!first) throw dataError('the table is empty', { file, expected: 'a header line and one line per model' });
  const header = first.record;
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw dataError('a column has no header', { file, record: 'line 1', expected: 'a name for every column' });
    if (seen.has(h)) throw dataError(`column "${h}" appears twice in the header`, { file, record: 'line 1', field: h });
    seen.add(h);
  }
  return { header, rows: records.slice(1).map((r) => ({ line: r.info.lines, cells: r.record })) };
}

function requireColumn(header: readonly string[], column: string, file: string, option: string): number {
  const at = header.indexOf(column);
  if (at < 0) throw usageError(`no column "${column}" in the table`, { file, field: option, expected: `one of ${header.join(', ')}`, received: column });
  return at;
}

interface ColumnPlan {
  at: number;
  column: string;
  testSet: string;
  metric: 'top1' | 'top5';
}

/** Reads a published accuracy table. */
export function readAccuracyTable(file: string, options: AccuracyTableOptions): AccuracyTable {
  checkTableOptions(file, options);
  const { header, rows } = readRows(file);
  const keyAt = options.key.map((k) => requireColumn(header, k, file, '--key'));
  const { plans, ignored } = options.wide ? planWideColumns(file, header, rows, keyAt, options) : planNarrowColumns(file, header, options);
  checkOneColumnPerTestSet(file, plans);
  const values = parseCells(file, plans, rows);
  const columns = plans.map((p, c) => describeColumn(file, p, values[c]!, rows, options));
  const { models, entries } = tableEntries(file, rows, keyAt, plans, values, columns, options);
  return { file, models, columns, ignored, entries };
}

/** The flags that must go together: --key, and --wide or --test-set with --value. */
function checkTableOptions(file: string, options: AccuracyTableOptions): void {
  if (options.key.length === 0) throw usageError('--key needs at least one column', { field: '--key', hint: 'e.g. --key model (timm: --key model,img_size)' });
  if (options.wide && (options.testSet || options.value || options.top5)) {
    throw usageError('--wide reads every numeric column as a test set: it does not take --test-set/--value/--top5', { field: '--wide' });
  }
  if (!options.wide && (!options.testSet || !options.value)) {
    throw usageError('give --test-set NAME --value COLUMN (one test set per file), or --wide (one column per test set)', {
      file,
      field: options.testSet ? '--value' : '--test-set',
    });
  }
}

type ColumnChoice = { plans: ColumnPlan[]; ignored: { column: string; reason: string }[] };

/** --wide: every numeric column but the key and --skip is a test set (named by --map). */
function planWideColumns(file: string, header: readonly string[], rows: readonly Row[], keyAt: readonly number[], options: AccuracyTableOptions): ColumnChoice {
  const plans: ColumnPlan[] = [];
  const ignored: { column: string; reason: string }[] = [];
  for (const c of options.skip ?? []) requireColumn(header, c, file, '--skip');
  for (const c of Object.keys(options.map ?? {})) requireColumn(header, c, file, '--map');
  header.forEach((column, at) => {
    if (keyAt.includes(at)) return;
    if (options.skip?.includes(column)) {
      ignored.push({ column, reason: 'skipped (--skip)' });
      return;
    }
    const bad = rows.find((r) => parseAccuracyCell(r.cells[at] ?? '') === 'not a number');
    if (bad) {
      ignored.push({ column, reason: `not numeric (line ${bad.line}: ${JSON.stringify(bad.cells[at])})` });
      return;
    }
    plans.push({ at, column, testSet: options.map?.[column] ?? column, metric: 'top1' });
  });
  if (plans.length === 0)
    throw dataError('no numeric columns besides the key', {
      file,
      record: 'line 1',
      received: header.join(','),
      hint: 'a wide table has one accuracy column per test set',
    });
  return { plans, ignored };
}

/** --test-set NAME --value COLUMN [--top5 COLUMN]: one test set per file. */
function planNarrowColumns(file: string, header: readonly string[], options: AccuracyTableOptions): ColumnChoice {
  const testSet = options.testSet as string;
  const plans: ColumnPlan[] = [
    { at: requireColumn(header, options.value as string, file, '--value'), column: options.value as string, testSet, metric: 'top1' },
  ];
  if (options.top5) plans.push({ at: requireColumn(header, options.top5, file, '--top5'), column: options.top5, testSet, metric: 'top5' });
  return { plans, ignored: [] };
}

function checkOneColumnPerTestSet(file: string, plans: readonly ColumnPlan[]): void {
  const setOwner = new Map<string, string>();
  for (const p of plans) {
    if (p.metric !== 'top1') continue;
    const other = setOwner.get(p.testSet);
    if (other)
      throw usageError(`columns "${other}" and "${p.column}" both name test set "${p.testSet}"`, {
        file,
        field: '--map',
        hint: 'map each column to its own test set',
      });
    setOwner.set(p.testSet, p.column);
  }
}

/** Every cell of the planned columns parsed once (null = empty, "not measured"). */
function parseCells(file: string, plans: readonly ColumnPlan[], rows: readonly Row[]): AccuracyCell[][] {
  return plans.map((p) =>
    rows.map((r) => {
      const parsed = parseAccuracyCell(r.cells[p.at] ?? '');
      if (parsed === 'not a number') {
        throw dataError('not a number', {
          file,
          record: `line ${r.line}`,
          field: p.column,
          expected: 'an accuracy (76.13, 0.7613 or 76.13%), or an empty cell for "not measured"',
          received: JSON.stringify(r.cells[p.at]),
        });
      }
      return parsed;
    }),
  );
}

/** A column's units (forced, or decided from its values), range check and test-set size. */
function describeColumn(file: string, p: ColumnPlan, cells: readonly AccuracyCell[], rows: readonly Row[], options: AccuracyTableOptions): AccuracyColumn {
  const measured = cells.filter((v) => v !== null);
  const max = Math.max(...measured.map((v) => v.value));
  const [units, unitsReason]: [AccuracyColumn['units'], AccuracyColumn['unitsReason']] =
    options.units && options.units !== 'auto'
      ? [options.units, 'forced']
      : measured.some((v) => v.percentSign)
        ? ['percent', 'percent sign']
        : max > 1
          ? ['percent', 'value above 1']
          : ['fraction', 'all values ≤ 1'];
  const limit = units === 'percent' ? 100 : 1;
  cells.forEach((v, i) => {
    if (v && !(v.value >= 0 && v.value <= limit)) {
      throw dataError(`an accuracy outside [0, ${limit}]`, {
        file,
        record: `line ${(rows[i] as Row).line}`,
        field: p.column,
        expected: `a ${units === 'percent' ? 'percentage in [0, 100]' : 'fraction in [0, 1]'}`,
        received: String(v.value),
        hint: options.wide ? `if "${p.column}" is not an accuracy, leave it out with --skip ${p.column}` : 'check --value, or force the units with --units',
      });
    }
  });
  const size = testSetSize(p.testSet, options.n, file);
  return {
    column: p.column,
    testSet: p.testSet,
    metric: p.metric,
    units,
    unitsReason,
    n: size.n,
    nSource: size.source,
    measured: measured.length,
    empty: cells.length - measured.length,
    range: measured.length > 0 ? [Math.min(...measured.map((v) => v.value)), max] : null,
  };
}

/** The model of a row: its key cells joined by '@' (an empty key cell is an error). */
function modelKey(file: string, row: Row, keyAt: readonly number[], options: AccuracyTableOptions): string {
  return keyAt
    .map((at, k) => {
      const cell = (row.cells[at] ?? '').trim();
      if (cell === '')
        throw dataError('empty model key', { file, record: `line ${row.line}`, field: options.key[k] as string, expected: 'a value in every key column' });
      return cell;
    })
    .join('@');
}

/** One entry per (model, test set) with a measured top-1; each model once. */
function tableEntries(
  file: string,
  rows: readonly Row[],
  keyAt: readonly number[],
  plans: readonly ColumnPlan[],
  values: readonly AccuracyCell[][],
  columns: readonly AccuracyColumn[],
  options: AccuracyTableOptions,
): { models: string[]; entries: AccuracyEntry[] } {
  const models: string[] = [];
  const lineOf = new Map<string, number>();
  const entries: AccuracyEntry[] = [];
  // value × n / 100 rather than (value / 100) × n: one rounding fewer before round().
  const read = (c: number, i: number): { accuracy: number; correct: number } | null => {
    const v = values[c]![i];
    if (!v) return null;
    const scale = columns[c]!.units === 'percent' ? 100 : 1;
    return { accuracy: v.value / scale, correct: Math.round((v.value * columns[c]!.n) / scale) };
  };
  rows.forEach((row, i) => {
    const model = modelKey(file, row, keyAt, options);
    const before = lineOf.get(model);
    if (before !== undefined) {
      throw dataError(`model "${model}" appears twice`, {
        file,
        record: `line ${row.line}`,
        field: options.key.join(','),
        received: `also line ${before}`,
        hint: `the key does not identify a model: add a column to --key${basename(file).startsWith('results-') ? ' (timm: --key model,img_size)' : ''}`,
      });
    }
    lineOf.set(model, row.line);
    models.push(model);
    plans.forEach((p, c) => {
      const top1 = p.metric === 'top1' ? read(c, i) : null;
      if (top1 === null) return;
      const column = columns[c]!;
      const top5At = plans.findIndex((q) => q.metric === 'top5' && q.testSet === p.testSet);
      const top5 = top5At >= 0 ? read(top5At, i) : null;
      entries.push({
        model,
        testSet: p.testSet,
        n: column.n,
        top1Accuracy: top1.accuracy,
        top1Correct: top1.correct,
        top5Accuracy: top5?.accuracy ?? null,
        top5Correct: top5?.correct ?? null,
        line: row.line,
        column: p.column,
        units: column.units,
      });
    });
  });
  return { models, entries };
}
