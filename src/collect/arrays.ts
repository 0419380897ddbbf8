/**
 * Image arrays as a candidate source — the CIFAR-10.1 style of pool (Tiny Images with a keyword per
 * image): a CIFAR-10 binary batch (`.bin`, labels inside) or an NPY uint8 array (N, H, W, 3) HWC RGB
 * with labels from an NPY file or one `--class`. Optional keywords: one per image, from a JSON array
 * of strings or a text file with one line per image.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { ClassDef } from '../classes/index.ts';
import { dataError, ioError, usageError } from '../core/errors.ts';
import { npyToNumbers, readCifarBin, readNpy } from '../formats/index.ts';
import type { Candidate, CandidateSource, SourceContext } from './types.ts';

export interface ArrayCandidateSourceOptions {
  /** A CIFAR `.bin` file or a `.npy` (N, H, W, 3) uint8 array. */
  file: string;
  classes: readonly ClassDef[];
  /** Labels (`.npy`, N integers); default: the labels in a `.bin`. */
  labelsFile?: string;
  /** Every image belongs to this class (overrides labels). */
  classIdx?: number;
  /** One keyword per image: `.json` array of strings, or text with one line per image. */
  keywordsFile?: string;
  /** Only the first `limit` images. */
  limit?: number;
  /** Source name; default 'arrays'. */
  source?: string;
}

export function arrayCandidateSource(options: ArrayCandidateSourceOptions): CandidateSource {
  const file = resolve(options.file);
  const { count, height, width, pixels, fileLabels } = readPixels(file);
  let labels: ArrayLike<number> | undefined = fileLabels;
  if (options.labelsFile) {
    const labelArray = readNpy(resolve(options.labelsFile));
    const values = npyToNumbers(labelArray, options.labelsFile);
    if (values.length !== count) {
      throw dataError('the labels do not match the images', {
        file: options.labelsFile,
        expected: `${count} labels (one per image of ${basename(file)})`,
        received: `${values.length}`,
      });
    }
    labels = values;
  }
  if (options.classIdx === undefined && !labels) {
    throw usageError('no labels for the images', { field: '--labels', hint: 'give --labels LABELS.npy or --class ID' });
  }
  if (options.classIdx === undefined && labels) {
    for (let i = 0; i < count; i++) {
      const l = labels[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= options.classes.length) {
        throw dataError('a label is not a class index of the workspace', {
          file: options.labelsFile ?? file,
          record: i,
          expected: `an integer 0…${options.classes.length - 1}`,
          received: String(l),
        });
      }
    }
  }
  const keywords = options.keywordsFile ? readKeywords(resolve(options.keywordsFile), count) : undefined;
  const n = Math.min(count, options.limit ?? count);
  const source = options.source ?? 'arrays';
  const name = basename(file);
  const imageBytes = height * width * 3;
  return {
    name: 'arrays',
    expected: n,
    async *candidates(context: SourceContext): AsyncIterable<Candidate> {
      for (let i = 0; i < n; i++) {
        context.signal?.throwIfAborted();
        const classIdx = options.classIdx ?? (labels?.[i] as number);
        const keyword = keywords?.[i];
        yield {
          source,
          sourceId: `${name}#${i}`,
          classIdx,
          pixels: { data: pixels.subarray(i * imageBytes, (i + 1) * imageBytes), width, height },
          ...(keyword ? { keyword } : {}),
        };
      }
    },
  };
}

function readPixels(file: string): { count: number; height: number; width: number; pixels: Uint8Array; fileLabels?: Uint8Array } {
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') {
    const array = readNpy(file);
    const [count, height, width, channels] = array.shape;
    if (array.dtype !== '|u1' || array.shape.length !== 4 || channels !== 3 || !count || !height || !width) {
      throw dataError('the NPY array is not uint8 images', {
        file,
        expected: 'dtype uint8, shape (N, H, W, 3) HWC RGB',
        received: `dtype ${array.dtype}, shape (${array.shape.join(', ')})`,
      });
    }
    return { count, height, width, pixels: array.data as Uint8Array };
  }
  const cifar = readCifarBin(file);
  return { count: cifar.count, height: 32, width: 32, pixels: cifar.pixels, fileLabels: cifar.labels };
}

function readKeywords(file: string, count: number): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw ioError('cannot read the keywords file', { file, cause });
  }
  let keywords: unknown;
  if (extname(file).toLowerCase() === '.json') {
    try {
      keywords = JSON.parse(text);
    } catch (cause) {
      throw dataError('the keywords file is not valid JSON', { file, cause });
    }
    if (!Array.isArray(keywords) || !keywords.every((k) => typeof k === 'string')) {
      throw dataError('the keywords file must be a JSON array of strings', { file, expected: '["airplane", "jetliner", …] — one per image' });
    }
  } else {
    keywords = text.replace(/\r?\n$/, '').split(/\r?\n/);
  }
  const list = keywords as string[];
  if (list.length !== count) {
    throw dataError('the keywords do not match the images', { file, expected: `${count} keywords (one per image)`, received: String(list.length) });
  }
  return list;
}
