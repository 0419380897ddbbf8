/**
 * Predictions in generic files, for models run elsewhere (PyTorch, JAX, …):
 * - CSV: a header, `image_id` first, then either top-k class ids (columns named top1, top2, … or
 *   pred…) or one logit/score column per class;
 * - NPY: integer `[N]` / `[N, k]` top-k class ids, or float `[N, C]` logits (top-5 taken here);
 * with the test set's labels from a file (`.npy` ints, `.json` array, or CSV `image_id,label`)
 * or, when the set is already in the store, from the store.
 */
import { basename, extname } from 'node:path';
import { columnIndex, numberCell, parseCsv, type CsvTable } from '../core/csv.ts';
import { dataError, preview, usageError } from '../core/errors.ts';
import { readJsonFile, readTextFile } from '../core/files.ts';
import { npyToNumbers, readNpy } from '../formats/index.ts';
import type { ResultsStore } from '../results/index.ts';
import { readTopkNpy } from './imagenetv2.ts';
import type { TopkOrder } from './topk-order.ts';
import { normalizeTopkOrder } from './topk-order.ts';
import type { ImportBatch, ImportDataset } from './types.ts';
import { checkClassIds } from './validate.ts';

export interface GenericOptions {
  /** Canonical test-set name. */
  dataset: string;
  /** Model name (default: the file stem). */
  model?: string;
  /** Labels file; optional when the set is already in the store. */
  labels?: string;
  /** Classes (default: from the store, the logits' width, or the largest label + 1). */
  numClasses?: number;
  topkOrder?: TopkOrder;
  /** The FORMAT the user named (`retest import csv|npy`): a file of the other kind is refused. */
  format?: 'csv' | 'npy';
}

/** Labels (and image ids) from a labels file, or from the store. */
export async function readLabels(options: GenericOptions, store: ResultsStore, widthHint?: number): Promise<ImportDataset> {
  if (!options.labels) {
    const existing = await store.getDataset(options.dataset);
    if (!existing) {
      throw usageError(`unknown test set "${options.dataset}"`, {
        file: store.location,
        expected: `a test set in the store (${(await store.listDatasets()).map((d) => d.name).join(', ') || 'none yet'}) or --labels FILE`,
        hint: 'pass the labels with --labels (npy, json or csv image_id,label)',
      });
    }
    return {
      name: existing.name,
      source: existing.source,
      numClasses: existing.numClasses,
      imageIds: await store.imageIds(existing.id),
      labels: await store.labels(existing.id),
    };
  }
  const file = options.labels;
  let imageIds: string[] | null = null;
  let values: Float64Array;
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') values = npyToNumbers(readNpy(file), file);
  else if (ext === '.json') values = labelsFromJson(file);
  else if (ext === '.csv') ({ imageIds, values } = labelsFromCsv(file));
  else throw usageError('labels must be .npy, .json or .csv', { file, received: ext || '(no extension)' });
  let max = -1;
  for (const v of values) if (v > max) max = v;
  // The labels file decides its own range; the predictions' width is checked against it later,
  // so a file with one score column too few is blamed, not the labels.
  const numClasses = options.numClasses ?? Math.max(widthHint ?? 0, max + 1);
  checkClassIds(file, values, 1, numClasses);
  return { name: options.dataset, source: file, numClasses, imageIds: imageIds ?? Array.from(values, (_, i) => String(i)), labels: Int32Array.from(values) };
}

function labelsFromJson(file: string): Float64Array {
  const json = readJsonFile(file, 'labels file', 'a JSON array of class ids');
  if (!Array.isArray(json)) throw dataError('labels JSON must be an array of class ids', { file, expected: '[0, 3, 1, …]', received: preview(json) });
  return Float64Array.from(json, (v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw dataError('a label is not a class index', { file, record: `index ${i}`, expected: 'an integer ≥ 0', received: preview(v) });
    return v;
  });
}

function labelsFromCsv(file: string): { imageIds: string[]; values: Float64Array } {
  const table = parseCsv(readTextFile(file, 'labels file'), file, ['image_id', 'label']);
  const idAt = columnIndex(table, 'image_id');
  const labelAt = columnIndex(table, 'label');
  const firstLine = new Map<string, number>();
  const imageIds = table.rows.map((row, i) => {
    const id = row[idAt] ?? '';
    const line = table.lines[i]!;
    if (id === '')
      throw dataError('empty image_id cell', { file, record: `line ${line}`, field: 'column image_id', expected: 'an image id', received: 'an empty cell' });
    const other = firstLine.get(id);
    if (other !== undefined)
      throw dataError(`image id "${id}" is listed twice in the labels`, {
        file,
        record: `line ${line}`,
        field: 'column image_id',
        expected: 'each image once',
        received: `also on line ${other}`,
      });
    firstLine.set(id, line);
    return id;
  });
  const values = Float64Array.from(table.rows, (row, i) =>
    numberCell(row[labelAt], { file, line: table.lines[i]!, column: 'label' }, { integer: true, min: 0 }),
  );
  return { imageIds, values };
}

/** Top-k (k = min(5, C)) of each logits row, best first; ties keep the lower class index. Non-finite values are errors. */
export function topkFromLogits(
  logits: ArrayLike<number>,
  rows: number,
  classes: number,
  file: string,
  rowName: (row: number) => string,
): { k: number; topk: Int32Array } {
  const k = Math.min(5, classes);
  const topk = new Int32Array(rows * k);
  const bestV = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    let filled = 0;
    for (let c = 0; c < classes; c++) {
      const v = logits[r * classes + c]!;
      if (!Number.isFinite(v))
        throw dataError(`non-finite logit ${v}`, { file, record: rowName(r), field: `class ${c}`, expected: 'a finite number', received: String(v) });
      // insertion into the sorted top-k of this row
      let j = filled < k ? filled++ : k;
      if (j === k && v <= bestV[k - 1]!) continue;
      if (j === k) j = k - 1;
      while (j > 0 && v > bestV[j - 1]!) {
        bestV[j] = bestV[j - 1]!;
        topk[r * k + j] = topk[r * k + j - 1]!;
        j--;
      }
      bestV[j] = v;
      topk[r * k + j] = c;
    }
  }
  return { k, topk };
}

export async function readGenericPredictions(file: string, options: GenericOptions, store: ResultsStore): Promise<ImportBatch> {
  const model = options.model ?? basename(file).replace(/\.(csv|npy)$/i, '');
  const ext = extname(file).toLowerCase();
  if (options.format !== undefined && ext !== `.${options.format}`) {
    throw usageError(`\`retest import ${options.format}\` reads .${options.format} files`, {
      file,
      field: '<format>',
      expected: `a .${options.format} file`,
      received: ext || '(no extension)',
      hint: ext === '.csv' || ext === '.npy' ? `use \`retest import ${ext.slice(1)} ${basename(file)}\`` : 'predictions are .csv or .npy files',
    });
  }
  if (ext === '.npy') return readNpyPredictions(file, model, options, store);
  if (ext !== '.csv') throw usageError('generic predictions must be .csv or .npy', { file, received: ext || '(no extension)' });
  return readCsvPredictions(file, model, options, store);
}

/** A .npy of integer class ids (top-k) or of float logits [N, C]. */
async function readNpyPredictions(file: string, model: string, options: GenericOptions, store: ResultsStore): Promise<ImportBatch> {
  const array = readNpy(file);
  const isFloat = array.dtype === '<f4' || array.dtype === '<f8';
  const dataset = await readLabels(options, store, isFloat && array.shape.length === 2 ? array.shape[1] : undefined);
  if (!isFloat) return { format: 'npy-topk', datasets: [dataset], predictions: [readTopkNpy(file, model, dataset, options.topkOrder ?? 'auto')] };
  if (array.shape.length !== 2)
    throw dataError('logits must be a 2-D array', { file, field: 'shape', expected: '[N, C]', received: `[${array.shape.join(', ')}]` });
  const [rows, classes] = array.shape as [number, number];
  if (rows !== dataset.labels.length)
    throw dataError(`${rows} rows but test set ${dataset.name} has ${dataset.labels.length} images`, {
      file,
      expected: `${dataset.labels.length} rows`,
      received: `${rows} rows`,
    });
  if (classes !== dataset.numClasses)
    throw dataError(`${classes} logit columns but ${dataset.numClasses} classes`, {
      file,
      field: 'shape',
      expected: `[${rows}, ${dataset.numClasses}]`,
      received: `[${rows}, ${classes}]`,
    });
  const { k, topk } = topkFromLogits(array.data as Float32Array | Float64Array, rows, classes, file, (r) => `row ${r}`);
  return { format: 'npy-logits', datasets: [dataset], predictions: [{ model, dataset: dataset.name, file, k, topk, notes: [] }] };
}

/** A CSV `image_id,top1,…` (class ids) or `image_id,<one score column per class>` (logits). */
async function readCsvPredictions(file: string, model: string, options: GenericOptions, store: ResultsStore): Promise<ImportBatch> {
  const table = parseCsv(readTextFile(file, 'predictions file'), file);
  const header = table.header;
  if (header[0] !== 'image_id' || header.length < 2) {
    throw dataError('predictions CSV must start with a header image_id,…', {
      file,
      record: 'line 1',
      expected: 'image_id,top1,… or image_id,<one column per class>',
      received: header.join(','),
    });
  }
  const columns = header.slice(1);
  const isTopk = columns.every((c) => /^(top|pred)_?\d*$/i.test(c));
  const dataset = await readLabels(options, store, isTopk ? undefined : columns.length);
  const rows = table.rows.length;
  if (rows !== dataset.labels.length)
    throw dataError(`${rows} prediction rows but test set ${dataset.name} has ${dataset.labels.length} images`, {
      file,
      expected: `${dataset.labels.length} rows`,
      received: `${rows} rows`,
    });
  if (!isTopk && columns.length !== dataset.numClasses) {
    throw dataError(`${columns.length} score columns but ${dataset.numClasses} classes`, {
      file,
      record: 'line 1',
      expected: `${dataset.numClasses} columns after image_id, or top-k columns named top1, top2, …`,
      received: `${columns.length}`,
    });
  }
  const width = columns.length;
  const { values, seen } = csvValues(table, file, dataset, isTopk);
  const lineOf = (row: number) => `line ${seen[row]}`;
  if (isTopk) {
    const topk = Int32Array.from(values);
    const { order } = normalizeTopkOrder(topk, width, dataset.labels, options.topkOrder ?? 'best-first');
    return {
      format: 'csv-topk',
      datasets: [dataset],
      predictions: [{ model, dataset: dataset.name, file, k: width, topk, notes: order === 'best-last' ? ['top-k stored best-last: reversed'] : [] }],
    };
  }
  const { k, topk } = topkFromLogits(values, rows, width, file, lineOf);
  return { format: 'csv-logits', datasets: [dataset], predictions: [{ model, dataset: dataset.name, file, k, topk, notes: [] }] };
}

/**
 * The CSV's cells in the test set's image order (row of image i at i × columns), checked as class
 * ids or logits, and the CSV line each image came from (`seen`): unknown and repeated ids are errors.
 */
function csvValues(table: CsvTable, file: string, dataset: ImportDataset, isTopk: boolean): { values: Float64Array; seen: Int32Array } {
  const columns = table.header.slice(1);
  const rows = table.rows.length;
  const where = new Map(dataset.imageIds.map((id, i) => [id, i]));
  const width = columns.length;
  const values = new Float64Array(rows * width);
  const seen = new Int32Array(rows).fill(-1);
  const rule = isTopk ? { integer: true, min: 0, max: dataset.numClasses - 1, what: 'class id' } : { what: 'logit' };
  table.rows.forEach((record, r) => {
    const line = table.lines[r]!;
    const at = where.get(record[0] as string);
    if (at === undefined)
      throw dataError(`unknown image id "${record[0]}"`, { file, record: `line ${line}`, field: 'image_id', expected: `an image of ${dataset.name}` });
    if (seen[at]! >= 0)
      throw dataError(`image id "${record[0]}" appears twice`, { file, record: `line ${line}`, field: 'image_id', received: `also line ${seen[at]}` });
    seen[at] = line;
    for (let c = 0; c < width; c++) values[at * width + c] = numberCell(record[c + 1], { file, line, column: columns[c]! }, rule);
  });
  return { values, seen };
}
