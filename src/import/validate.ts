/** Checks shared by the importers: row counts and class ranges, with errors naming file and row. */
import { dataError } from '../core/errors.ts';

export function checkRowCount(file: string, rows: number, expected: number, dataset: string): void {
  if (rows !== expected) {
    throw dataError(`${rows} prediction rows but test set ${dataset} has ${expected} images`, {
      file,
      expected: `${expected} rows, one per image in dataset order`,
      received: `${rows} rows`,
      hint: 'the file belongs to another test set, or was cut short',
    });
  }
}

/** Every value must be an integer class index in [0, numClasses). */
export function checkClassIds(file: string, topk: ArrayLike<number>, k: number, numClasses: number): void {
  for (let i = 0; i < topk.length; i++) {
    const c = topk[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw dataError(`class id ${c} is out of range`, {
        file,
        record: `row ${Math.floor(i / k)}`,
        field: `column ${i % k}`,
        expected: `an integer in 0..${numClasses - 1}`,
        received: String(c),
      });
    }
  }
}
