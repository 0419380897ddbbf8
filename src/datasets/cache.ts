/**
 * The download cache: `<cache>/<dataset name>/` holds what `retest fetch` downloaded and unpacked,
 * plus a marker (`.retest-dataset.json`: what was fetched, from where, with which checksums).
 * `<cache>/checksums.json` remembers the sha256 of every download that has no published checksum,
 * so that later downloads of the same URL are verified against the first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseFile } from '../core/parse.ts';
import { writeFileAtomic } from '../formats/index.ts';

export const MARKER_FILE = '.retest-dataset.json';
export const CHECKSUMS_FILE = 'checksums.json';

/** The cache folder of one dataset. */
export function datasetCacheDir(cacheDir: string, name: string): string {
  return join(cacheDir, name);
}

const markerSchema = z.object({
  name: z.string(),
  fetchedAt: z.string(),
  files: z.array(
    z.object({
      url: z.string(),
      fileName: z.string(),
      bytes: z.number().int().nonnegative(),
      sha256: z.string(),
      md5: z.string(),
      verifiedBy: z.enum(['md5', 'sha256', 'recorded-sha256', 'first-download']),
      unpacked: z.boolean(),
    }),
  ),
  /** Content hash of the dataset as fetched (see identity.ts), after its download was verified. */
  content: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type DatasetMarker = z.infer<typeof markerSchema>;

/** The marker of a fetched dataset, or null when it was never fetched (or was placed by hand). */
export function readMarker(cacheDir: string, name: string): DatasetMarker | null {
  const file = join(datasetCacheDir(cacheDir, name), MARKER_FILE);
  if (!existsSync(file)) return null;
  return parseFile(file, markerSchema, { what: 'the dataset marker in the cache', hint: `Delete ${file} and run \`retest fetch ${name}\` again.` });
}

export function writeMarker(cacheDir: string, marker: DatasetMarker): void {
  writeFileAtomic(join(datasetCacheDir(cacheDir, marker.name), MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
}

const checksumsSchema = z.record(
  z.string(),
  z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative(), recordedAt: z.string() }),
);
export type RecordedChecksums = z.infer<typeof checksumsSchema>;

/** sha256 recorded on first download, by URL. */
export function readRecordedChecksums(cacheDir: string): RecordedChecksums {
  const file = join(cacheDir, CHECKSUMS_FILE);
  if (!existsSync(file)) return {};
  return parseFile(file, checksumsSchema, {
    what: 'the checksum record in the cache',
    hint: `Fix or delete ${file} (deleting it forgets the recorded checksums).`,
  });
}

export function recordChecksum(cacheDir: string, url: string, sha256: string, bytes: number, now = new Date()): void {
  const all = readRecordedChecksums(cacheDir);
  all[url] = { sha256, bytes, recordedAt: now.toISOString() };
  writeFileAtomic(join(cacheDir, CHECKSUMS_FILE), `${JSON.stringify(all, null, 2)}\n`);
}
