/**
 * Is a present named dataset the official one? `retest datasets` answers per dataset:
 * - fetched by `retest fetch` (its download verified by md5/sha256): its content hash now against
 *   the one recorded in the marker right after that verification;
 * - placed by hand: each file against the checksums known for it — CIFAR-10.1's released label
 *   files, a CIFAR-10.1 image file's sha256 recorded by an earlier download, and for CIFAR-10's
 *   `test_batch.bin` (no published checksum) its size, its label bytes and its first 1,000 records;
 * - otherwise unverified, saying why.
 * File reads go through the file-hash cache, so an unchanged copy is read once.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { isRetestError } from '../core/errors.ts';
import { cifar101Files } from '../formats/index.ts';
import { readMarker, readRecordedChecksums } from './cache.ts';
import type { FileHashCache } from './file-hash-store.ts';
import { datasetContentHash } from './identity.ts';
import { loadNamed } from './resolve.ts';
import type { CifarBinReference, DatasetCheck, DatasetSpec } from './types.ts';

const RECORD = 3073;

/** Checks the dataset of `spec` found at `path` (`where` it was found). */
export async function verifyDataset(
  spec: DatasetSpec,
  path: string,
  where: 'data-dir' | 'cache',
  options: { cacheDir: string; hashes: FileHashCache },
): Promise<DatasetCheck> {
  const marker = where === 'cache' ? readMarker(options.cacheDir, spec.name) : null;
  if (marker?.content) {
    let content: string | null;
    try {
      content = await datasetContentHash(loadNamed(spec, path), options.hashes);
    } catch (error) {
      if (isRetestError(error)) return { status: 'modified', detail: `it no longer loads as fetched: ${error.message}` };
      throw error;
    }
    return content === marker.content
      ? {
          status: 'verified',
          detail: `same content as when \`retest fetch\` downloaded it and checked its ${marker.files.map((f) => f.verifiedBy).join(', ')} (${marker.fetchedAt})`,
        }
      : { status: 'modified', detail: 'its content differs from what `retest fetch` downloaded and checked' };
  }
  if (spec.layout === 'cifar101') return verifyCifar101(spec, path, options);
  if (spec.layout === 'cifar-bin' && spec.placedCheck) return verifyCifarBin(path, spec.placedCheck, options.hashes);
  return { status: 'unverified', detail: 'no checksum is published for the unpacked files; `retest fetch` records one when it downloads them' };
}

async function verifyCifar101(spec: DatasetSpec, prefix: string, options: { cacheDir: string; hashes: FileHashCache }): Promise<DatasetCheck> {
  const files = cifar101Files(prefix);
  const [dataDownload, labelsDownload] = [
    spec.downloads.find((d) => d.fileName.endsWith('_data.npy')),
    spec.downloads.find((d) => d.fileName.endsWith('_labels.npy')),
  ];
  if (labelsDownload?.sha256) {
    if ((await options.hashes.sha256(files.labels)) !== labelsDownload.sha256)
      return { status: 'modified', detail: `${files.labels} differs from the released labels file (sha256 ${labelsDownload.sha256.slice(0, 12)}…)` };
  }
  const recorded = dataDownload ? readRecordedChecksums(options.cacheDir)[dataDownload.url] : undefined;
  if (!recorded)
    return { status: 'unverified', detail: 'labels match the released file; the images have no published checksum and none was recorded by a download here' };
  if ((await options.hashes.sha256(files.data)) !== recorded.sha256)
    return { status: 'modified', detail: `${files.data} differs from the sha256 recorded when it was first downloaded (${recorded.recordedAt})` };
  return { status: 'verified', detail: 'labels match the released file, images the sha256 recorded at the first download' };
}

async function verifyCifarBin(file: string, reference: CifarBinReference, hashes: FileHashCache): Promise<DatasetCheck> {
  const fact = `cifar-bin-reference:${reference.labelsSha256.slice(0, 16)}:${reference.leadingSha256.slice(0, 16)}`;
  const verdict = await hashes.fact(file, fact, async (path) => cifarBinVerdict(path, reference));
  if (verdict === 'ok')
    return {
      status: 'verified',
      detail: `size, labels and the first ${reference.leadingRecords.toLocaleString('en-US')} images match the official file (${reference.source})`,
    };
  return { status: 'modified', detail: verdict };
}

/** 'ok', or what differs from the reference. */
function cifarBinVerdict(path: string, reference: CifarBinReference): string {
  const fd = openSync(path, 'r');
  try {
    const labels = createHash('sha256');
    const leading = createHash('sha256');
    const chunk = Buffer.alloc(RECORD * 1000);
    let offset = 0;
    let read: number;
    while ((read = readSync(fd, chunk, 0, chunk.length, offset)) > 0) {
      const part = chunk.subarray(0, read);
      for (let i = (RECORD - (offset % RECORD)) % RECORD; i < part.length; i += RECORD) labels.update(part.subarray(i, i + 1));
      const leadingBytes = reference.leadingRecords * RECORD;
      if (offset < leadingBytes) leading.update(part.subarray(0, Math.min(part.length, leadingBytes - offset)));
      offset += read;
    }
    if (offset !== reference.bytes) return `${offset} bytes instead of the official ${reference.bytes}`;
    if (labels.digest('hex') !== reference.labelsSha256) return 'its labels differ from the official test labels';
    if (leading.digest('hex') !== reference.leadingSha256) return `its images differ from the official ones (checked: the first ${reference.leadingRecords})`;
    return 'ok';
  } finally {
    closeSync(fd);
  }
}
