/**
 * The prediction importers behind `retest import FORMAT PATH`: one small interface, one object per
 * format (strategies; conformance-tested together in test/import/importers.test.ts). Each reads and
 * validates everything into an `ImportBatch`; `writeImportBatch` then stores it in one transaction.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { usageError } from '../core/errors.ts';
import type { ResultsStore } from '../results/index.ts';
import { readCifar101Predictions } from './cifar101.ts';
import { readGenericPredictions } from './generic.ts';
import { readImagenetV2Predictions } from './imagenetv2.ts';
import type { TopkOrder } from './topk-order.ts';
import type { ImportBatch } from './types.ts';

export interface ImportRequest {
  /** The folder (authors' layouts) or file (csv, npy) to read. */
  path: string;
  /** Labels/metadata folder (imagenetv2, cifar10.1). */
  metadata?: string;
  /** Keep a model only when this says so; all by default. */
  selectModel?: (model: string) => boolean;
  /** Order of stored top-k rows; 'auto' detects best-last files. */
  topkOrder?: TopkOrder;
  /** Canonical test-set name (csv, npy). */
  dataset?: string;
  /** Model name (csv, npy; default: the file stem). */
  model?: string;
  /** Labels file (csv, npy), when the set is not in the store yet. */
  labels?: string;
  /** Number of classes (csv, npy). */
  numClasses?: number;
  /** The store (generic formats read a registered set's labels from it). */
  store: ResultsStore;
}

export interface PredictionImporter {
  /** The FORMAT argument. */
  readonly format: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Reads and validates everything (the store is only read, for a registered set's labels). */
  read(request: ImportRequest): Promise<ImportBatch>;
}

function needMetadata(request: ImportRequest, format: string, what: string): string {
  if (!request.metadata) throw usageError(`${format} import needs --metadata`, { field: '--metadata', hint: what });
  if (!existsSync(request.metadata)) throw usageError(`no such folder: ${request.metadata}`, { field: '--metadata', hint: what });
  return resolve(request.metadata);
}

function needDataset(request: ImportRequest, format: string): string {
  if (!request.dataset)
    throw usageError(`${format} import needs --dataset`, { field: '--dataset', hint: 'the canonical test-set name, e.g. imagenetv2-matched-frequency' });
  return request.dataset;
}

const generic = (format: 'csv' | 'npy', summary: string): PredictionImporter => ({
  format,
  summary,
  read: (request) =>
    readGenericPredictions(
      resolve(request.path),
      {
        dataset: needDataset(request, format),
        format,
        ...(request.model ? { model: request.model } : {}),
        ...(request.labels ? { labels: resolve(request.labels) } : {}),
        ...(request.numClasses ? { numClasses: request.numClasses } : {}),
        ...(request.topkOrder ? { topkOrder: request.topkOrder } : {}),
      },
      request.store,
    ),
});

export const IMPORTERS: readonly PredictionImporter[] = [
  {
    format: 'imagenetv2',
    summary: "<root>/<dataset>/<model>.npy top-k (the ImageNetV2 authors' layout); --metadata: class_info.json + datasets/",
    read: async (request) =>
      readImagenetV2Predictions(resolve(request.path), {
        metadata: needMetadata(request, 'imagenetv2', 'the folder with class_info.json and datasets/<name>.json'),
        ...(request.selectModel ? { selectModel: request.selectModel } : {}),
        ...(request.topkOrder ? { topkOrder: request.topkOrder } : {}),
      }),
  },
  {
    format: 'cifar10.1',
    summary: '<root>/{original,v4,v6}/<model>_predictions.json; --metadata: the label .npy files',
    read: async (request) =>
      readCifar101Predictions(resolve(request.path), {
        metadata: needMetadata(request, 'cifar10.1', 'the folder with test_labels_official.npy and cifar10.1_v{4,6}_labels.npy'),
        ...(request.selectModel ? { selectModel: request.selectModel } : {}),
      }),
  },
  generic('csv', 'image_id,top1,… or image_id,<one score per class>; --dataset, --labels unless the set is in the store'),
  generic('npy', 'integer [N,k] top-k or float [N,C] logits in dataset order; --dataset, --labels as for csv'),
];

export function importerFor(format: string): PredictionImporter {
  const importer = IMPORTERS.find((i) => i.format === format);
  if (!importer)
    throw usageError(`unknown import format "${format}"`, { field: '<format>', expected: IMPORTERS.map((i) => i.format).join(', '), received: format });
  return importer;
}
