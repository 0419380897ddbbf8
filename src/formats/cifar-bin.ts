/**
 * CIFAR-10 binary batches: 3073-byte records, 1 label byte then 1024 R, 1024 G, 1024 B bytes
 * (channel-planar, rows top to bottom). Reads a single `.bin` file or the official
 * `cifar-10-batches-bin` folder; returns pixels interleaved (HWC RGB).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { dataError, ioError } from '../core/errors.ts';
import { writeFileAtomic } from './write-atomic.ts';
import type { CifarArrays } from './types.ts';

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE;
/** Bytes per record: label + 3 planes of 32×32. */
export const CIFAR_RECORD_BYTES = 1 + 3 * CIFAR_PIXELS;
/** CIFAR-10 has 10 classes; label bytes above 9 are corrupt. */
export const CIFAR10_CLASSES = 10;
/** Class names in label order (`batches.meta.txt`). */
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The files of each split inside `cifar-10-batches-bin`. */
export const CIFAR_BATCH_FILES = {
  test: ['test_batch.bin'],
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
} as const;

export interface ReadCifarBinOptions {
  /** Which split to read when `path` is a folder (default `test`). Ignored for a single file. */
  split?: 'test' | 'train';
}

/** The batch files `path` stands for: itself, or the split's files inside a batches folder. */
export function cifarBatchFiles(path: string, split: 'test' | 'train' = 'test'): string[] {
  if (!existsSync(path))
    throw ioError(`no such file or folder: ${path}`, {
      file: path,
      hint: 'Check the path, or use a dataset name such as cifar10-test (see `retest datasets`).',
    });
  if (!statSync(path).isDirectory()) return [path];
  const folder = existsSync(join(path, 'cifar-10-batches-bin')) ? join(path, 'cifar-10-batches-bin') : path;
  const files = CIFAR_BATCH_FILES[split].map((name) => join(folder, name));
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    const present = readdirSync(folder).filter((name) => name.endsWith('.bin'));
    throw ioError(`the CIFAR-10 ${split} split is incomplete in ${folder}`, {
      file: missing[0]!,
      expected: CIFAR_BATCH_FILES[split].join(', '),
      received: present.length > 0 ? present.join(', ') : 'no .bin files',
      hint: 'Unpack the official cifar-10-binary.tar.gz there (or run `retest fetch cifar10-test`), or pass the .bin file itself.',
    });
  }
  return files;
}

/** Parses the bytes of one batch file; `file` names it in errors. */
export function parseCifarBin(bytes: Uint8Array, file: string): CifarArrays {
  const count = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
  const rest = bytes.length - count * CIFAR_RECORD_BYTES;
  if (bytes.length === 0) {
    throw dataError(`empty CIFAR-10 batch file`, {
      file,
      field: 'byte 0',
      expected: `records of ${CIFAR_RECORD_BYTES} bytes`,
      received: '0 bytes',
      hint: 'The file is empty: download or copy it again.',
    });
  }
  if (rest !== 0) {
    const offset = count * CIFAR_RECORD_BYTES;
    throw dataError(`truncated CIFAR-10 batch file: record ${count} starts at byte ${offset} but only ${rest} of its ${CIFAR_RECORD_BYTES} bytes are there`, {
      file,
      record: count,
      field: `byte ${offset}`,
      expected: `a size that is a multiple of ${CIFAR_RECORD_BYTES} bytes`,
      received: `${bytes.length} bytes (${count} whole records + ${rest} bytes)`,
      hint: 'The file was cut short (interrupted download or copy): fetch it again.',
    });
  }
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * CIFAR_PIXELS * 3);
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR_RECORD_BYTES;
    const label = bytes[base]!;
    if (label >= CIFAR10_CLASSES) {
      throw dataError(`CIFAR-10 record ${r} has label ${label}`, {
        file,
        record: r,
        field: `byte ${base}`,
        expected: `a label byte 0…${CIFAR10_CLASSES - 1}`,
        received: String(label),
        hint: 'This is not a CIFAR-10 batch (CIFAR-100 binaries have 2 label bytes), or it is corrupt.',
      });
    }
    labels[r] = label;
    const out = r * CIFAR_PIXELS * 3;
    const red = base + 1;
    const green = red + CIFAR_PIXELS;
    const blue = green + CIFAR_PIXELS;
    for (let p = 0; p < CIFAR_PIXELS; p++) {
      const o = out + p * 3;
      pixels[o] = bytes[red + p]!;
      pixels[o + 1] = bytes[green + p]!;
      pixels[o + 2] = bytes[blue + p]!;
    }
  }
  return { count, labels, pixels };
}

/** Reads a `.bin` batch file, or a split of the official `cifar-10-batches-bin` folder. */
export function readCifarBin(path: string, options: ReadCifarBinOptions = {}): CifarArrays {
  const parts = cifarBatchFiles(path, options.split ?? 'test').map((file) => parseCifarBin(readFileSync(file), file));
  if (parts.length === 1) return parts[0]!;
  const count = parts.reduce((sum, part) => sum + part.count, 0);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * CIFAR_PIXELS * 3);
  let at = 0;
  for (const part of parts) {
    labels.set(part.labels, at);
    pixels.set(part.pixels, at * CIFAR_PIXELS * 3);
    at += part.count;
  }
  return { count, labels, pixels };
}

/** Encodes arrays as batch-file bytes (HWC RGB in, channel-planar out). */
export function encodeCifarBin(arrays: CifarArrays): Uint8Array {
  checkArrays(arrays);
  const { count, labels, pixels } = arrays;
  const out = new Uint8Array(count * CIFAR_RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR_RECORD_BYTES;
    out[base] = labels[r]!;
    const src = r * CIFAR_PIXELS * 3;
    for (let p = 0; p < CIFAR_PIXELS; p++) {
      out[base + 1 + p] = pixels[src + p * 3]!;
      out[base + 1 + CIFAR_PIXELS + p] = pixels[src + p * 3 + 1]!;
      out[base + 1 + 2 * CIFAR_PIXELS + p] = pixels[src + p * 3 + 2]!;
    }
  }
  return out;
}

/** Writes arrays as one CIFAR-10 batch file (atomically: a reader never sees half a file). */
export function writeCifarBin(path: string, arrays: CifarArrays): void {
  writeFileAtomic(path, encodeCifarBin(arrays));
}

function checkArrays({ count, labels, pixels }: CifarArrays): void {
  const where = { file: '<arrays>', hint: 'Pass count images: labels of length count and pixels of count×32×32×3 bytes.' };
  if (!Number.isInteger(count) || count < 0) throw dataError('count must be a whole number', { ...where, field: 'count', received: String(count) });
  if (labels.length !== count)
    throw dataError('labels do not match count', { ...where, field: 'labels', expected: `${count} labels`, received: `${labels.length}` });
  if (pixels.length !== count * CIFAR_PIXELS * 3) {
    throw dataError('pixels do not match count', { ...where, field: 'pixels', expected: `${count * CIFAR_PIXELS * 3} bytes`, received: `${pixels.length}` });
  }
  const bad = labels.findIndex((label) => label >= CIFAR10_CLASSES);
  if (bad >= 0)
    throw dataError(`label ${labels[bad]} is not a CIFAR-10 class`, { ...where, record: bad, field: 'labels', expected: '0…9', received: String(labels[bad]) });
}

/** `test_batch.bin` → `test_batch`: a dataset name for a path. */
export function cifarBinName(path: string): string {
  return basename(path).replace(/\.bin$/i, '');
}
