/**
 * CIFAR-10.1-style pairs: `<prefix>_data.npy` (uint8, shape (N, 32, 32, 3), HWC RGB) and
 * `<prefix>_labels.npy` (integers, shape (N,)). The writer emits uint8 data and int32 labels,
 * plain NPY 1.0, as the released CIFAR-10.1 files are.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { dataError, ioError } from '../core/errors.ts';
import { npyArray, readNpy, writeNpy } from './npy.ts';
import type { Cifar101Arrays, NpyArray } from './types.ts';

/** `x/cifar10.1_v6`, `x/cifar10.1_v6_data.npy` or `x/cifar10.1_v6_labels.npy` → `x/cifar10.1_v6`. */
export function cifar101Prefix(pathOrPrefix: string): string {
  return pathOrPrefix.replace(/_(data|labels)\.npy$/, '');
}

export function cifar101Files(pathOrPrefix: string): { prefix: string; data: string; labels: string } {
  const prefix = cifar101Prefix(pathOrPrefix);
  return { prefix, data: `${prefix}_data.npy`, labels: `${prefix}_labels.npy` };
}

/** Reads `<prefix>_data.npy` + `<prefix>_labels.npy` (prefix may also be either file's path). */
export function readCifar101(pathOrPrefix: string): Cifar101Arrays {
  const files = cifar101Files(pathOrPrefix);
  for (const file of [files.data, files.labels]) {
    if (!existsSync(file)) {
      throw ioError(`missing ${basename(file)}`, {
        file,
        expected: `${basename(files.data)} and ${basename(files.labels)} side by side`,
        hint: 'CIFAR-10.1 comes as a pair of .npy files; download both (or run `retest fetch cifar10.1-v6`).',
      });
    }
  }
  const data = readNpy(files.data);
  const labels = readNpy(files.labels);
  const shape = data.shape;
  if (data.dtype !== '|u1' || shape.length !== 4 || shape[1] !== 32 || shape[2] !== 32 || shape[3] !== 3) {
    throw dataError('CIFAR image array has the wrong type or shape', {
      file: files.data,
      field: 'header',
      expected: 'uint8 (|u1) of shape (N, 32, 32, 3)',
      received: `${data.dtype} of shape (${shape.join(', ')})`,
      hint: 'Images must be HWC RGB bytes; convert with arr.astype(np.uint8) / arr.transpose(0, 2, 3, 1) as needed.',
    });
  }
  const count = shape[0]!;
  const labelValues = integerLabels(labels, files.labels);
  if (labelValues.length !== count) {
    throw dataError('labels and images differ in number', {
      file: files.labels,
      field: 'shape',
      expected: `${count} labels (as many as images in ${basename(files.data)})`,
      received: `${labelValues.length}`,
    });
  }
  return { count, pixels: data.data as Uint8Array, labels: labelValues };
}

function integerLabels(array: NpyArray, file: string): Int32Array {
  if (array.shape.length !== 1 || array.dtype === '<f4' || array.dtype === '<f8') {
    throw dataError('labels must be a 1-d integer array', {
      file,
      field: 'header',
      expected: 'an integer dtype of shape (N,)',
      received: `${array.dtype} of shape (${array.shape.join(', ')})`,
    });
  }
  const out = new Int32Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const value = Number(array.data[i]!);
    if (value < 0 || value > 0x7fffffff)
      throw dataError(`label ${value} at row ${i} is not a class index`, { file, record: i, expected: 'an integer ≥ 0', received: String(value) });
    out[i] = value;
  }
  return out;
}

/** Writes `<prefix>_data.npy` (uint8 N×32×32×3) and `<prefix>_labels.npy` (int32). */
export function writeCifar101(pathOrPrefix: string, arrays: { count: number; pixels: Uint8Array; labels: ArrayLike<number> }): void {
  const files = cifar101Files(pathOrPrefix);
  const labels = Int32Array.from(arrays.labels);
  writeNpy(files.data, npyArray('|u1', [arrays.count, 32, 32, 3], arrays.pixels));
  writeNpy(files.labels, npyArray('<i4', [arrays.count], labels));
}
