/**
 * The CIFAR-10.1 authors' prediction layout: `<root>/{original,v4,v6}/<model>_predictions.json`,
 * each a JSON array of predicted class ids in test-set order. `original` is scored against the
 * official CIFAR-10 test labels, `v4`/`v6` against the CIFAR-10.1 label files.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { dataError, ioError, usageError } from '../core/errors.ts';
import { parseFile, parseValue } from '../core/parse.ts';
import { npyToNumbers, readNpy } from '../formats/index.ts';
import { CIFAR_AUTHOR_NAMES } from './canonical-names.ts';
import type { ImportBatch, ImportDataset, ImportedPredictions } from './types.ts';
import { listFolder, listSubfolders } from './folders.ts';
import { checkClassIds, checkRowCount } from './validate.ts';

export interface Cifar101Options {
  /** A folder holding the label files (directly, or in cifar10/ and cifar10.1/ below it). */
  metadata: string;
  selectModel?: (model: string) => boolean;
}

const LABEL_FILES: Record<string, string[]> = {
  original: ['test_labels_official.npy', 'cifar10/test_labels_official.npy'],
  v4: ['cifar10.1_v4_labels.npy', 'cifar10.1/cifar10.1_v4_labels.npy'],
  v6: ['cifar10.1_v6_labels.npy', 'cifar10.1/cifar10.1_v6_labels.npy'],
};

export function readCifarLabels(metadata: string, folder: string): ImportDataset {
  const candidates = (LABEL_FILES[folder] ?? []).map((f) => join(metadata, f));
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw ioError(`no labels for ${folder}`, { file: metadata, expected: candidates.join(' or '), hint: 'pass the folder with the label files as --metadata' });
  }
  const values = npyToNumbers(readNpy(file), file);
  checkClassIds(file, values, 1, 10);
  return {
    name: CIFAR_AUTHOR_NAMES[folder] as string,
    source: file,
    numClasses: 10,
    imageIds: Array.from(values, (_, i) => String(i)),
    labels: Int32Array.from(values),
  };
}

const predictionsSchema = z.array(z.number().int().min(0).max(9));

const predictionsFile = { what: 'the predictions file', expected: 'a JSON array of class ids, integers in 0..9, one per test image' } as const;

/** One model's predictions; a bad class id anywhere is one RetestError naming the file with every bad row in `issues`. */
export function readCifarPredictionsJson(file: string, model: string, dataset: ImportDataset): ImportedPredictions {
  const rows = parseFile(file, z.array(z.unknown()), predictionsFile);
  checkRowCount(file, rows.length, dataset.labels.length, dataset.name);
  const predictions = parseValue(rows, predictionsSchema, { ...predictionsFile, file });
  return { model, dataset: dataset.name, file, k: 1, topk: Int32Array.from(predictions), notes: [] };
}

export function readCifar101Predictions(root: string, options: Cifar101Options): ImportBatch {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw usageError(`not a folder: ${root}`, { file: root, hint: 'give the folder that holds original/, v4/, v6/' });
  const folders = listSubfolders(root);
  const unknown = folders.filter((f) => !(f in CIFAR_AUTHOR_NAMES));
  if (unknown.length > 0)
    throw dataError(`unknown test set folder "${unknown[0]}"`, { file: join(root, unknown[0] as string), expected: 'original, v4 or v6' });
  if (folders.length === 0) throw dataError('no test-set folders found', { file: root, expected: 'original/, v4/, v6/' });
  const datasets: ImportDataset[] = [];
  const predictions: ImportedPredictions[] = [];
  for (const folder of folders) {
    const names = listFolder(join(root, folder))
      .filter((f) => f.endsWith('_predictions.json'))
      .sort()
      .filter((f) => (options.selectModel ?? (() => true))(f.slice(0, -'_predictions.json'.length)));
    if (names.length === 0) continue;
    const dataset = readCifarLabels(options.metadata, folder);
    datasets.push(dataset);
    for (const name of names) predictions.push(readCifarPredictionsJson(join(root, folder, name), name.slice(0, -'_predictions.json'.length), dataset));
  }
  return { format: 'cifar10.1-json', datasets, predictions };
}
