/**
 * Predictions in generic files, for models run elsewhere (PyTorch, JAX, …):
 * - CSV: a header, `image_id` first, then either top-k class ids (columns named top1, top2, … or
 *   pred…) or one logit/score column per class;
 * - NPY: integer `[N]` / `[N, k]` top-k class ids, or float `[N, C]` logits (top-5 taken here);
 * with the test set's labels from a file (`.npy` ints, `.json` array, or CSV `image_id,label`)
 * or, when the set is already in the store, from the store.
 */
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { dataError, ioError, usageError } from '../core/errors.ts';
import { npyToNumbers, readNpy } from '../formats/index.ts';
import type { ResultsStore } from '../store/index.ts';
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
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw ioError(`cannot read ${file}`, { file, cause, hint: 'check the path' });
  }
}

/** Labels (and image ids) from a labels file, or from the store. */
export function readLabels(options: GenericOptions, store: ResultsStore, widthHint?: number): ImportDataset {
  if (!options.labels) {
    const existing = store.getDataset(options.dataset);
    if (!existing) {
      throw usageError(`unknown test set "${options.dataset}"`, {
        file: store.path,
        expected: `a test set in the store (${store.listDatasets().map((d) => d.name).join(', ') || 'none yet'}) or --labels FILE`,
        hint: 'pass the labels with --labels (npy, json or csv image_id,label)',
      });
    }
    return { name: existing.name, source: existing.source, numClasses: existing.numClasses, imageIds: store.imageIds(existing.id), labels: store.labels(existing.id) };
  }
  const file = options.labels;
  let imageIds: string[] | null = null;
  let values: Float64Array;
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') values = npyToNumbers(readNpy(file), file);
  else if (ext === '.json') {
    const json = JSON.parse(readText(file)) as unknown;
    if (!Array.isArray(json)) throw dataError('labels JSON must be an array of class ids', { file });
    values = Float64Array.from(json as number[]);
  } else if (ext === '.csv') {
    const rows = parse(readText(file), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    if (rows.length > 0 && (!('image_id' in rows[0]!) || !('label' in rows[0]!))) throw dataError('labels CSV needs columns image_id,label', { file, received: Object.keys(rows[0]!).join(',') });
    imageIds = rows.map((r) => r.image_id as string);
    values = Float64Array.from(rows, (r) => Number(r.label));
  } else throw usageError('labels must be .npy, .json or .csv', { file, received: ext || '(no extension)' });
  let max = -1;
  for (const v of values) if (v > max) max = v;
  const numClasses = options.numClasses ?? widthHint ?? max + 1;
  checkClassIds(file, values, 1, numClasses);
  return { name: options.dataset, source: file, numClasses, imageIds: imageIds ?? Array.from(values, (_, i) => String(i)), labels: Int32Array.from(values) };
}

/** Top-k (k = min(5, C)) of each logits row, best first; ties keep the lower class index. Non-finite values are errors. */
export function topkFromLogits(logits: ArrayLike<number>, rows: number, classes: number, file: string, rowName: (row: number) => string): { k: number; topk: Int32Array } {
  const k = Math.min(5, classes);
  const topk = new Int32Array(rows * k);
  const bestV = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    let filled = 0;
    for (let c = 0; c < classes; c++) {
      const v = logits[r * classes + c] as number;
      if (!Number.isFinite(v)) throw dataError(`non-finite logit ${v}`, { file, record: rowName(r), field: `class ${c}`, expected: 'a finite number', received: String(v) });
      // insertion into the sorted top-k of this row
      let j = filled < k ? filled++ : k;
      if (j === k && v <= (bestV[k - 1] as number)) continue;
      if (j === k) j = k - 1;
      while (j > 0 && v > (bestV[j - 1] as number)) { bestV[j] = bestV[j - 1] as number; topk[r * k + j] = topk[r * k + j - 1] as number; j--; }
      bestV[j] = v;
      topk[r * k + j] = c;
    }
  }
  return { k, topk };
}

export function readGenericPredictions(file: string, options: GenericOptions, store: ResultsStore): ImportBatch {
  const model = options.model ?? basename(file).replace(/\.(csv|npy)$/i, '');
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') {
    const array = readNpy(file);
    const isFloat = array.dtype === '<f4' || array.dtype === '<f8';
    const dataset = readLabels(options, store, isFloat && array.shape.length === 2 ? array.shape[1] : undefined);
    if (!isFloat) return { format: 'npy-topk', datasets: [dataset], predictions: [readTopkNpy(file, model, dataset, options.topkOrder ?? 'auto')] };
    if (array.shape.length !== 2) throw dataError('logits must be a 2-D array', { file, field: 'shape', expected: '[N, C]', received: `[${array.shape.join(', ')}]` });
    const [rows, classes] = array.shape as [number, number];
    if (rows !== dataset.labels.length) throw dataError(`${rows} rows but test set ${dataset.name} has ${dataset.labels.length} images`, { file, expected: `${dataset.labels.length} rows`, received: `${rows} rows` });
    if (classes !== dataset.numClasses) throw dataError(`${classes} logit columns but ${dataset.numClasses} classes`, { file, field: 'shape', expected: `[${rows}, ${dataset.numClasses}]`, received: `[${rows}, ${classes}]` });
    const { k, topk } = topkFromLogits(array.data as Float32Array | Float64Array, rows, classes, file, (r) => `row ${r}`);
    return { format: 'npy-logits', datasets: [dataset], predictions: [{ model, dataset: dataset.name, file, k, topk, notes: [] }] };
  }
  if (ext !== '.csv') throw usageError('generic predictions must be .csv or .npy', { file, received: ext || '(no extension)' });
  const records = parse(readText(file), { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  const header = records[0];
  if (!header || header[0] !== 'image_id' || header.length < 2) {
    throw dataError('predictions CSV must start with a header image_id,…', { file, record: 'line 1', expected: 'image_id,top1,… or image_id,<one column per class>', received: header?.join(',') ?? '(empty file)' });
  }
  const columns = header.slice(1);
  const isTopk = columns.every((c) => /^(top|pred)_?\d*$/i.test(c));
  const dataset = readLabels(options, store, isTopk ? undefined : columns.length);
  const rows = records.length - 1;
  if (rows !== dataset.labels.length) throw dataError(`${rows} prediction rows but test set ${dataset.name} has ${dataset.labels.length} images`, { file, expected: `${dataset.labels.length} rows`, received: `${rows} rows` });
  if (!isTopk && columns.length !== dataset.numClasses) {
    throw dataError(`${columns.length} score columns but ${dataset.numClasses} classes`, { file, record: 'line 1', expected: `${dataset.numClasses} columns after image_id, or top-k columns named top1, top2, …`, received: `${columns.length}` });
  }
  const where = new Map(dataset.imageIds.map((id, i) => [id, i]));
  const width = columns.length;
  const values = new Float64Array(rows * width);
  const seen = new Int32Array(rows).fill(-1);
  for (let line = 1; line <= rows; line++) {
    const record = records[line] as string[];
    const at = where.get(record[0] as string);
    if (at === undefined) throw dataError(`unknown image id "${record[0]}"`, { file, record: `line ${line + 1}`, field: 'image_id', expected: `an image of ${dataset.name}` });
    if ((seen[at] as number) >= 0) throw dataError(`image id "${record[0]}" appears twice`, { file, record: `line ${line + 1}`, field: 'image_id', received: `also line ${(seen[at] as number) + 1}` });
    seen[at] = line;
    for (let c = 0; c < width; c++) {
      const text = record[c + 1] as string;
      const v = Number(text);
      if (text === '' || Number.isNaN(v)) throw dataError('not a number', { file, record: `line ${line + 1}`, field: columns[c] as string, received: JSON.stringify(text) });
      values[at * width + c] = v;
    }
  }
  const lineOf = (row: number) => `line ${(seen[row] as number) + 1}`;
  if (isTopk) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isInteger(v) || v < 0 || v >= dataset.numClasses) {
        const row = Math.floor(i / width);
        throw dataError(`class id ${v} is out of range`, { file, record: lineOf(row), field: columns[i % width] as string, expected: `an integer in 0..${dataset.numClasses - 1}`, received: String(v) });
      }
    }
    const topk = Int32Array.from(values);
    const { order } = normalizeTopkOrder(topk, width, dataset.labels, options.topkOrder ?? 'best-first');
    return { format: 'csv-topk', datasets: [dataset], predictions: [{ model, dataset: dataset.name, file, k: width, topk, notes: order === 'best-last' ? ['top-k stored best-last: reversed'] : [] }] };
  }
  const { k, topk } = topkFromLogits(values, rows, width, file, lineOf);
  return { format: 'csv-logits', datasets: [dataset], predictions: [{ model, dataset: dataset.name, file, k, topk, notes: [] }] };
}
