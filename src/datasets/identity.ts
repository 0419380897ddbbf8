/**
 * The identity of a test set's content: a sha256 over its image ids and labels and over every
 * image's pixels (arrays: CIFAR `.bin`, NPY pairs) or bytes (image files). Two loads with the same
 * content hash hold the same images; a changed, added or removed image changes it. The results
 * store keeps one version per content hash of a named set, and runs are tied to the version they
 * read, so a changed file is evaluated again instead of being answered from old results.
 */
import { createHash } from 'node:crypto';
import { silentProgress, type Progress } from '../core/progress.ts';
import type { FileHashCache } from './file-hash-store.ts';
import type { LoadedDataset } from './types.ts';

/** What the content hash reads: the images with labels, and either pixels or files. */
export type ContentSource = Pick<LoadedDataset, 'images' | 'pixels' | 'files'>;

const FORMAT = 'retest-dataset-content/1';

/**
 * The content hash (hex sha256) of a dataset. Pixel arrays are hashed in memory (30 MB for the
 * CIFAR-10 test set: tens of milliseconds); image files through `cache` (each file read once per
 * size and modification time). Null when the dataset has neither pixels nor files (labels only).
 */
export async function datasetContentHash(dataset: ContentSource, cache: FileHashCache, progress: Progress = silentProgress): Promise<string | null> {
  const hash = createHash('sha256').update(`${FORMAT}\n`);
  for (const image of dataset.images) hash.update(`${image.imageId}\t${image.label}\n`);
  if (dataset.pixels) {
    const { height, width, data } = dataset.pixels;
    hash.update(`pixels ${height}x${width}x3 ${data.length}\n`).update(data);
    return hash.digest('hex');
  }
  if (dataset.files) {
    progress.start(dataset.files.length, 0, 'hashing images');
    try {
      const hashes = await cache.sha256Many(dataset.files, progress);
      hash.update(`files ${hashes.length}\n`);
      for (const h of hashes) hash.update(`${h}\n`);
    } finally {
      progress.stop();
    }
    return hash.digest('hex');
  }
  return null;
}
