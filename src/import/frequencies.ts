/**
 * Per-image selection frequencies (the fraction of annotators who chose an image's labelled class)
 * from a file: a 2-D `.npy` of per-class annotation counts `[N, C]` (CIFAR-10H's
 * `cifar10h-counts.npy`: frequency = count of the true class / all counts), a 1-D `.npy` of
 * frequencies `[N]`, or a CSV `image_id,frequency`. Images without annotations get NaN.
 */
import { extname } from 'node:path';
import { columnIndex, numberCell, parseCsv } from '../core/csv.ts';
import { readTextFile } from '../core/files.ts';
import { dataError, usageError } from '../core/errors.ts';
import { npyToNumbers, readNpy } from '../formats/index.ts';

export function readFrequencies(file: string, labels: Int32Array, imageIds: readonly string[]): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') {
    const array = readNpy(file);
    const values = npyToNumbers(array, file);
    const rows = array.shape[0];
    if (rows !== n)
      throw dataError(`${rows} rows of frequencies but the test set has ${n} images`, {
        file,
        expected: `${n} rows in test-set order`,
        received: `shape [${array.shape.join(', ')}]`,
      });
    if (array.shape.length === 1) {
      for (let i = 0; i < n; i++) {
        const f = values[i]!;
        if (!(f >= 0 && f <= 1) && !Number.isNaN(f)) throw dataError('a selection frequency is outside [0, 1]', { file, record: i, received: String(f) });
        out[i] = f;
      }
      return out;
    }
    if (array.shape.length !== 2)
      throw dataError('frequencies must be [N] or per-class counts [N, C]', { file, received: `shape [${array.shape.join(', ')}]` });
    const c = array.shape[1]!;
    for (let i = 0; i < n; i++) {
      const label = labels[i]!;
      if (label >= c) throw dataError(`label ${label} has no count column`, { file, record: i, expected: `labels below ${c}` });
      let total = 0;
      for (let j = 0; j < c; j++) {
        const v = values[i * c + j]!;
        if (!(v >= 0)) throw dataError('annotation counts must be non-negative numbers', { file, record: i, field: `class ${j}`, received: String(v) });
        total += v;
      }
      if (total > 0) out[i] = values[i * c + label]! / total;
    }
    return out;
  }
  if (ext === '.csv') {
    const table = parseCsv(readTextFile(file, 'selection-frequency file'), file, ['image_id', 'frequency']);
    const idAt = columnIndex(table, 'image_id');
    const frequencyAt = columnIndex(table, 'frequency');
    const where = new Map(imageIds.map((id, i) => [id, i]));
    table.rows.forEach((row, i) => {
      const line = table.lines[i]!;
      const at = where.get(row[idAt] ?? '');
      if (at === undefined)
        throw dataError(`unknown image id "${row[idAt]}"`, { file, record: `line ${line}`, field: 'column image_id', expected: 'an image id of the test set' });
      out[at] = numberCell(row[frequencyAt], { file, line, column: 'frequency' }, { min: 0, max: 1 });
    });
    return out;
  }
  throw usageError('selection frequencies must be .npy or .csv', { file, received: ext || '(no extension)' });
}
