/**
 * Image sets to search, read in batches: pixel arrays (CIFAR .bin, uint8 .npy, named array
 * datasets), image files (folders, named ImageNet-style datasets: each squashed to a square, the
 * DESIGN's 256² copy), or a workspace's images (their stored square copies).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { dataError } from '../core/errors.ts';
import { decodeRgb, readCifarBin, readNpy, resizeExact } from '../formats/index.ts';
import type { ImageBatch } from './types.ts';

/** A named, ordered set of same-sized images, read in batches. */
export interface ImageSource {
  /** Name printed in results (`set`), e.g. "cifar10-test" or "data_batch_1_first4000". */
  readonly name: string;
  /** What it was read from (absolute path, or "workspace:<dir>"): equal keys mean the same set. */
  readonly key: string;
  /** Number of images. */
  readonly count: number;
  /** Size every image is delivered at. */
  readonly width: number;
  readonly height: number;
  /** Stable id per image, or null when images are named by their 0-based index. */
  readonly ids: string[] | null;
  /** Each image's role (workspace sets), or null: every image is an original. */
  readonly roles: ('candidate' | 'reference')[] | null;
  /** Each image's file relative to the workspace (workspace sets), else null. */
  readonly paths: string[] | null;
  /** Each image's class index, when the set has labels (CIFAR files, named datasets, workspaces), else null. */
  readonly labels: number[] | null;
  /** Images `start … start+count`. */
  read(start: number, count: number): Promise<ImageBatch>;
}

/** A source over pixels already in memory (N×H×W×3). */
export function arraySource(name: string, key: string, batch: ImageBatch, ids: string[] | null = null, labels: number[] | null = null): ImageSource {
  const size = batch.width * batch.height * 3;
  return {
    name,
    key,
    count: batch.count,
    width: batch.width,
    height: batch.height,
    ids,
    roles: null,
    paths: null,
    labels,
    async read(start, count) {
      return { count, width: batch.width, height: batch.height, pixels: batch.pixels.subarray(start * size, (start + count) * size) };
    },
  };
}

/** A source over image files, each decoded and squashed to side × side on read. */
export function fileSource(
  name: string,
  key: string,
  files: string[],
  side: number,
  extra: { ids?: string[] | null; roles?: ('candidate' | 'reference')[] | null; paths?: string[] | null; labels?: number[] | null } = {},
): ImageSource {
  return {
    name,
    key,
    count: files.length,
    width: side,
    height: side,
    ids: extra.ids ?? null,
    roles: extra.roles ?? null,
    paths: extra.paths ?? null,
    labels: extra.labels ?? null,
    async read(start, count) {
      const pixels = new Uint8Array(count * side * side * 3);
      for (let i = 0; i < count; i++) {
        const file = files[start + i] as string;
        const decoded = await decodeRgb(file);
        const image = decoded.width === side && decoded.height === side ? decoded : await resizeExact(decoded, side, side);
        pixels.set(image.data, i * side * side * 3);
      }
      return { count, width: side, height: side, pixels };
    },
  };
}

/** Options for `openImageSource`. */
export interface OpenSourceOptions {
  /** Folder searched first for named datasets. */
  dataDir?: string | undefined;
  /** Download cache of named datasets. */
  cacheDir: string;
  /** Side of the squashed copy for datasets of image files (default 256). */
  side?: number;
}

/**
 * Opens a dataset name or path: a CIFAR `.bin` file (or batches folder), a uint8 `.npy` of shape
 * (N, H, W, 3), an image folder, or a registry name (`cifar10-test`, `imagenet-val`, …).
 */
export async function openImageSource(nameOrPath: string, options: OpenSourceOptions): Promise<ImageSource> {
  const path = resolve(nameOrPath);
  if (existsSync(path) && statSync(path).isFile()) {
    const ext = extname(path).toLowerCase();
    if (ext === '.bin') {
      const arrays = readCifarBin(path);
      return arraySource(basename(path, ext), path, { count: arrays.count, width: 32, height: 32, pixels: arrays.pixels }, null, Array.from(arrays.labels));
    }
    if (ext === '.npy') {
      const array = readNpy(path);
      const [n, h, w, c] = array.shape;
      if (array.dtype !== '|u1' || array.shape.length !== 4 || c !== 3) {
        throw dataError('expected uint8 images of shape (N, H, W, 3)', {
          file: path,
          expected: "dtype '|u1', shape (N, H, W, 3)",
          received: `dtype '${array.dtype}', shape (${array.shape.join(', ')})`,
          hint: 'CIFAR-10.1 style `_data.npy` files have this layout',
        });
      }
      const name = basename(path, ext).replace(/_data$/, '');
      return arraySource(name, path, { count: n as number, width: w as number, height: h as number, pixels: array.data as Uint8Array });
    }
  }
  const { resolveDataset } = await import('../datasets/index.ts');
  const dataset = await resolveDataset(nameOrPath, { cacheDir: options.cacheDir, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const ids = dataset.images.map((image) => image.imageId);
  const labels = dataset.images.map((image) => image.label);
  if (dataset.pixels) {
    const { width, height, data } = dataset.pixels;
    return arraySource(dataset.name, dataset.source, { count: dataset.images.length, width, height, pixels: data }, null, labels);
  }
  if (!dataset.files) throw dataError('the dataset has neither pixels nor files', { file: dataset.source });
  return fileSource(dataset.name, dataset.source, dataset.files, options.side ?? 256, { ids, labels });
}
