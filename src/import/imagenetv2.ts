/**
 * The ImageNetV2 authors' prediction layout: `<root>/<dataset>/<model>.npy`, integer `[N, k]`
 * top-k class indices (best first), rows in the order of `<metadata>/datasets/<dataset>.json`,
 * class indices from `<metadata>/class_info.json` (cid = position of the wnid in sorted order).
 *
 * Quirks of the published files, handled here:
 * - `imagenetv2-a-44/fv_64k_model.npy`: a trailing `_model` is dropped when the shorter name is a
 *   model in another folder of the same root;
 * - `fv_16k` on the V2 sets stores the top-5 best-last: detected and reversed (see topk-order.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { dataError, ioError, usageError } from '../core/errors.ts';
import { npyToNumbers, readDatasetDefinition, readNpy } from '../formats/index.ts';
import { IMAGENET_AUTHOR_NAMES } from './canonical-names.ts';
import { normalizeTopkOrder, type TopkOrder } from './topk-order.ts';
import type { ImportBatch, ImportDataset, ImportedPredictions } from './types.ts';
import { readJsonFile } from '../core/files.ts';
import { listFolder, listSubfolders } from './folders.ts';
import { checkClassIds, checkRowCount } from './validate.ts';
import { parseValue } from '../core/parse.ts';

export interface ImagenetV2Options {
  /** Folder with class_info.json and datasets/<name>.json. */
  metadata: string;
  /** Keep a model file only when this says so (by model name). */
  selectModel?: (model: string) => boolean;
  /** Top-k order of the files; 'auto' detects best-last files. */
  topkOrder?: TopkOrder;
}

const classInfoSchema = z.array(z.object({ cid: z.number().int().nonnegative(), wnid: z.string() }));

/** wnid → class index from class_info.json. */
export function readClassInfo(metadata: string): Map<string, number> {
  const file = join(metadata, 'class_info.json');
  if (!existsSync(file)) throw ioError(`no class_info.json in ${metadata}`, { file, hint: 'pass the ImageNetV2 metadata folder with --metadata' });
  const json = readJsonFile(file, 'class list', '[{cid, wnid, …}, …]');
  const classes = parseValue(json, classInfoSchema, { file, what: 'class_info.json', expected: '[{cid, wnid, …}, …]' });
  return new Map(classes.map((c) => [c.wnid, c.cid]));
}

/** The stem of an image file name (`ILSVRC2012_val_00000293.JPEG` → `ILSVRC2012_val_00000293`). */
export function imageStem(name: string): string {
  return name.replace(/\.(jpe?g|png)$/i, '');
}

export function readImagenetV2Dataset(metadata: string, folder: string, wnidToClass: Map<string, number>): ImportDataset {
  const canonical = IMAGENET_AUTHOR_NAMES[folder] ?? folder;
  const authorsName = Object.entries(IMAGENET_AUTHOR_NAMES).find(([, c]) => c === folder)?.[0] ?? folder;
  const candidates = [join(metadata, 'datasets', `${folder}.json`), join(metadata, 'datasets', `${authorsName}.json`)];
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    throw dataError(`unknown test set "${folder}"`, {
      file: join(metadata, 'datasets'),
      expected: `a definition ${folder}.json (known: ${Object.keys(IMAGENET_AUTHOR_NAMES).join(', ')})`,
      received: 'no such file',
      hint: "predictions must sit in folders named after the authors' datasets",
    });
  }
  const definition = readDatasetDefinition(file);
  const labels = new Int32Array(definition.images.length);
  definition.images.forEach((image, i) => {
    const cls = wnidToClass.get(image.wnid);
    if (cls === undefined) throw dataError(`wnid ${image.wnid} is not in class_info.json`, { file, record: i, field: 'image_filenames', received: image.wnid });
    labels[i] = cls;
  });
  return { name: canonical, source: file, numClasses: wnidToClass.size, imageIds: definition.images.map((image) => imageStem(image.imageId)), labels };
}

/** Reads one predictions file against its dataset. */
export function readTopkNpy(file: string, model: string, dataset: ImportDataset, topkOrder: TopkOrder): ImportedPredictions {
  const array = readNpy(file);
  if (array.dtype === '<f4' || array.dtype === '<f8') {
    throw dataError('top-k predictions must be integer class indices', {
      file,
      field: 'dtype',
      expected: 'an integer dtype',
      received: array.dtype,
      hint: 'logits (float [N, C]) are read by `retest import npy FILE --dataset NAME`; top-k files hold integer class indices',
    });
  }
  const [rows, k = 1] = array.shape;
  if (array.shape.length < 1 || array.shape.length > 2 || rows === undefined) {
    throw dataError('top-k predictions must be a 1-D or 2-D array', {
      file,
      field: 'shape',
      expected: '[N] or [N, k]',
      received: `[${array.shape.join(', ')}]`,
    });
  }
  if (k === 0) {
    throw dataError('top-k predictions with no class per row', {
      file,
      field: 'shape',
      expected: '[N] or [N, k] with k ≥ 1',
      received: `[${array.shape.join(', ')}]`,
      hint: 'the array holds no predictions: export at least the top-1 class of each image',
    });
  }
  checkRowCount(file, rows, dataset.labels.length, dataset.name);
  const values = npyToNumbers(array, file);
  checkClassIds(file, values, k, dataset.numClasses);
  const topk = Int32Array.from(values);
  const { order, hits } = normalizeTopkOrder(topk, k, dataset.labels, topkOrder);
  const notes = order === 'best-last' ? [`top-${k} stored best-last (column hits ${hits.slice().reverse().join(', ')}): reversed`] : [];
  return { model, dataset: dataset.name, file, k, topk, notes };
}

export function readImagenetV2Predictions(root: string, options: ImagenetV2Options): ImportBatch {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw usageError(`not a folder: ${root}`, { file: root, hint: 'give the folder that holds <dataset>/<model>.npy' });
  const folders = listSubfolders(root);
  if (folders.length === 0) throw dataError('no dataset folders found', { file: root, expected: '<root>/<dataset>/<model>.npy' });
  const wnidToClass = readClassInfo(options.metadata);
  const files = new Map(folders.map((folder) => [folder, listFolder(join(root, folder)).filter((f) => f.endsWith('.npy'))]));
  const allStems = new Set([...files.values()].flat().map((f) => basename(f, '.npy')));
  const modelName = (stem: string): string => (stem.endsWith('_model') && allStems.has(stem.slice(0, -6)) ? stem.slice(0, -6) : stem);

  const datasets: ImportDataset[] = [];
  const predictions: ImportedPredictions[] = [];
  for (const folder of folders) {
    const names = (files.get(folder) ?? []).filter((f) => (options.selectModel ?? (() => true))(modelName(basename(f, '.npy'))));
    if (names.length === 0) continue;
    const dataset = readImagenetV2Dataset(options.metadata, folder, wnidToClass);
    datasets.push(dataset);
    const seen = new Map<string, string>();
    for (const name of names) {
      const model = modelName(basename(name, '.npy'));
      const file = join(root, folder, name);
      const other = seen.get(model);
      if (other)
        throw dataError(`two files give model "${model}" on ${dataset.name}`, { file, expected: 'one file per model and test set', received: `also ${other}` });
      seen.set(model, file);
      predictions.push(readTopkNpy(file, model, dataset, options.topkOrder ?? 'auto'));
    }
  }
  return { format: 'imagenetv2-npy', datasets, predictions };
}
