/**
 * `retest fetch NAME`: downloads a named dataset's files into the cache with a progress bar,
 * resumes a partial download with an HTTP Range request, verifies md5/sha256 (or records the
 * sha256 of a first download when no checksum is published), unpacks `.tar.gz` archives, and
 * writes a marker. A file that fails verification is deleted: nothing corrupt stays in the cache.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { dataError, ioError, isRetestError, usageError } from '../core/errors.ts';
import { downloadToFile, FileDownloadError, networkReason } from '../core/http.ts';
import { silentProgress, type Progress } from '../core/progress.ts';
import { datasetCacheDir, readMarker, readRecordedChecksums, recordChecksum, writeMarker, type DatasetMarker } from './cache.ts';
import { findDataset, datasetNames } from './registry.ts';
import { openFileHashCache } from './file-hash-store.ts';
import { datasetContentHash } from './identity.ts';
import { loadNamed, locateDataset } from './resolve.ts';
import type { DatasetDownload, DatasetSpec } from './types.ts';

export interface FetchOptions {
  /** The download cache; the dataset goes to `<cacheDir>/<name>/`. */
  cacheDir: string;
  /** Byte progress (a terminal bar from the CLI; silent by default). */
  progress?: Progress;
  /** Download from `<mirror>/<fileName>` instead of the official URL (checksums still apply). */
  mirror?: string | undefined;
  /** Download again even when the dataset is already in the cache. */
  force?: boolean;
  /** Abort a download when no data arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Attempts after a cut connection, a network error or a 5xx/429, each resuming where the last stopped (default 3). */
  retries?: number;
  /** First wait between attempts in ms, doubling each time (default 1 s). */
  retryBackoffMs?: number;
  /** Clock, for markers and recorded checksums. */
  now?: () => Date;
}

export interface FetchedFile {
  /** The URL downloaded from. */
  url: string;
  fileName: string;
  /** Size of the download. */
  bytes: number;
  sha256: string;
  md5: string;
  /** How it was verified: a published md5/sha256, a sha256 recorded by an earlier download, or none (first download, now recorded). */
  verifiedBy: 'md5' | 'sha256' | 'recorded-sha256' | 'first-download';
  /** Bytes that were already there from an interrupted download. */
  resumedFrom: number;
  /** Whether it was an archive unpacked into the cache. */
  unpacked: boolean;
}

export interface FetchResult {
  name: string;
  /** Where the dataset now is (what `resolveDataset` will load). */
  path: string;
  /** The dataset's cache folder. */
  cacheFolder: string;
  /** True when it was already fetched and nothing was downloaded. */
  alreadyPresent: boolean;
  /** The files downloaded now (empty when already present). */
  files: FetchedFile[];
}

const DOWNLOADS_DIR = '.downloads';

/** Fetches a registry dataset by name, or a spec (tests and mirrors pass their own). */
export async function fetchDataset(nameOrSpec: string | DatasetSpec, options: FetchOptions): Promise<FetchResult> {
  const spec = typeof nameOrSpec === 'string' ? findDataset(nameOrSpec) : nameOrSpec;
  if (!spec) {
    throw usageError(`unknown dataset ${String(nameOrSpec)}`, {
      field: 'NAME',
      expected: datasetNames().join(', '),
      received: JSON.stringify(nameOrSpec),
      hint: 'Run `retest datasets` for the list.',
    });
  }
  const cacheDir = resolve(options.cacheDir);
  const folder = datasetCacheDir(cacheDir, spec.name);
  if (spec.downloads.length === 0) {
    throw usageError(`${spec.name} cannot be downloaded by retest`, { field: 'NAME', received: spec.name, hint: spec.manual ?? 'Bring the files yourself.' });
  }
  const now = options.now ?? (() => new Date());

  const existing = locateDataset(spec, { cacheDir });
  if (!options.force && existing.present && readMarker(cacheDir, spec.name)) {
    return { name: spec.name, path: existing.path, cacheFolder: folder, alreadyPresent: true, files: [] };
  }

  mkdirSync(join(folder, DOWNLOADS_DIR), { recursive: true });
  const files: FetchedFile[] = [];
  for (const download of spec.downloads) files.push(await fetchFile(download, { folder, cacheDir, now }, options));
  rmSync(join(folder, DOWNLOADS_DIR), { recursive: true, force: true });

  const path = locateDownloaded(spec, cacheDir, folder);
  const content = await contentHashOrNull(spec, path, cacheDir);
  const marker: DatasetMarker = {
    name: spec.name,
    fetchedAt: now().toISOString(),
    files: files.map(({ url, fileName, bytes, sha256, md5, verifiedBy, unpacked }) => ({ url, fileName, bytes, sha256, md5, verifiedBy, unpacked })),
    ...(content ? { content } : {}),
  };
  writeMarker(cacheDir, marker);
  return { name: spec.name, path, cacheFolder: folder, alreadyPresent: false, files };
}

/** Downloads, verifies and puts in place (moved, or unpacked) one file of the dataset. */
async function fetchFile(
  download: DatasetDownload,
  { folder, cacheDir, now }: { folder: string; cacheDir: string; now: () => Date },
  options: FetchOptions,
): Promise<FetchedFile> {
  const progress = options.progress ?? silentProgress;
  const url = options.mirror ? `${options.mirror.replace(/\/+$/, '')}/${download.fileName}` : download.url;
  const partial = join(folder, DOWNLOADS_DIR, `${download.fileName}.part`);
  const got = await downloadFile(url, partial, download, progress, {
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    retries: options.retries ?? 3,
    backoffMs: options.retryBackoffMs ?? 1_000,
  });
  const verifiedBy = verify(download, url, partial, got, cacheDir);
  if (download.unpack) {
    await unpack(partial, folder, download.fileName, progress);
    rmSync(partial, { force: true });
  } else {
    const target = join(folder, download.fileName);
    rmSync(target, { force: true, recursive: true });
    renameSync(partial, target);
  }
  // Keyed by the official URL, so a mirror's copy is checked against the same record.
  if (verifiedBy === 'first-download') recordChecksum(cacheDir, download.url, got.sha256, got.bytes, now());
  return {
    url,
    fileName: download.fileName,
    bytes: got.bytes,
    sha256: got.sha256,
    md5: got.md5,
    verifiedBy,
    resumedFrom: got.resumedFrom,
    unpacked: download.unpack,
  };
}

/** The path of the downloaded dataset; an error listing what is there when its layout is not the expected one. */
function locateDownloaded(spec: DatasetSpec, cacheDir: string, folder: string): string {
  const location = locateDataset(spec, { cacheDir });
  if (!location.present) {
    throw dataError(`the download of ${spec.name} does not contain the expected files`, {
      file: folder,
      expected: spec.locations.join(' or '),
      received:
        readdirSync(folder)
          .filter((n) => !n.startsWith('.'))
          .join(', ') || 'nothing',
      hint: "The release may have changed its layout; please report it, and pass the unpacked folder's path instead of the name meanwhile.",
    });
  }
  return location.path;
}

/**
 * The content just verified (through its download's checksum) is what `retest datasets` later
 * checks the copy against. A download that does not load is left for `retest eval` to explain (null).
 */
async function contentHashOrNull(spec: DatasetSpec, path: string, cacheDir: string): Promise<string | null> {
  const hashes = await openFileHashCache(cacheDir);
  try {
    return await datasetContentHash(loadNamed(spec, path), hashes);
  } catch (error) {
    if (!isRetestError(error)) throw error;
    return null;
  } finally {
    await hashes.close();
  }
}

interface Downloaded {
  bytes: number;
  sha256: string;
  md5: string;
  resumedFrom: number;
}

/**
 * Downloads `url` into `partial` through the one download stack (src/core/http.ts): an earlier
 * partial download is continued with a Range request, and a connection cut mid-file is retried
 * `retries` times, each retry continuing where the last stopped. Hashes cover the whole file.
 */
async function downloadFile(
  url: string,
  partial: string,
  download: DatasetDownload,
  progress: Progress,
  options: { idleTimeoutMs: number; retries: number; backoffMs: number },
): Promise<Downloaded> {
  let sha256 = createHash('sha256');
  let md5 = createHash('md5');
  let started = false;
  try {
    const got = await downloadToFile(url, partial, {
      idleTimeoutMs: options.idleTimeoutMs,
      retries: options.retries,
      backoffMs: options.backoffMs,
      expectedBytes: download.bytes,
      onStart: async ({ from, total }) => {
        if (started) progress.stop();
        started = true;
        sha256 = createHash('sha256');
        md5 = createHash('md5');
        if (from > 0) await feed(partial, from, [sha256, md5]);
        progress.start(total ?? download.bytes ?? 0, from, download.fileName);
      },
      onChunk: (chunk) => {
        sha256.update(chunk);
        md5.update(chunk);
        progress.tick(chunk.byteLength);
      },
    });
    if (got.alreadyComplete) return { bytes: got.bytes, ...(await hashExisting(partial, got.bytes)), resumedFrom: got.resumedFrom };
    return { bytes: got.bytes, sha256: sha256.digest('hex'), md5: md5.digest('hex'), resumedFrom: got.resumedFrom };
  } catch (error) {
    if (error instanceof FileDownloadError && error.status !== undefined) {
      throw ioError(`download failed: HTTP ${error.status} ${error.statusText}`, {
        file: url,
        received: `HTTP ${error.status}`,
        expected: 'HTTP 200 or 206',
        hint:
          error.status === 404
            ? "The file has moved: check the dataset's homepage (see `retest datasets`) and use --mirror or download it by hand."
            : 'Try again later.',
      });
    }
    throw unreachable(url, download, partial, error);
  } finally {
    if (started) progress.stop();
  }
}

async function feed(path: string, bytes: number, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) for (const h of hashes) h.update(chunk as Buffer);
}

async function hashExisting(path: string, bytes: number): Promise<{ sha256: string; md5: string }> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  await feed(path, bytes, [sha256, md5]);
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

function unreachable(url: string, download: DatasetDownload, partial: string, error: unknown) {
  if (isRetestError(error)) return error;
  const reason = error instanceof FileDownloadError ? error.message : networkReason(error);
  const kept = existsSync(partial) && statSync(partial).size > 0;
  const folder = dirname(dirname(partial));
  return ioError(`cannot download ${download.fileName}: ${reason}`, {
    file: url,
    cause: error,
    hint:
      `Run the command again when the network is back${kept ? ` (the ${statSync(partial).size} bytes already in ${partial} are kept and the download resumes)` : ''}, ` +
      `or download ${url} yourself${download.unpack ? ', unpack it,' : ''} and put it in ${folder}.`,
  });
}

/** Checks the download against its published checksum, or one recorded earlier; deletes it on mismatch. */
function verify(download: DatasetDownload, url: string, partial: string, got: Downloaded, cacheDir: string): FetchedFile['verifiedBy'] {
  const fail = (what: string, expected: string, received: string) => {
    rmSync(partial, { force: true });
    return dataError(`${download.fileName} failed verification: ${what} mismatch`, {
      file: url,
      field: what,
      expected,
      received,
      hint: `The download was corrupt or the file changed upstream; it was deleted. Run the command again; if it keeps failing, the release changed (checksum source: ${download.checksumSource}).`,
    });
  };
  if (download.bytes !== undefined && got.bytes !== download.bytes) throw fail('size', `${download.bytes} bytes`, `${got.bytes} bytes`);
  if (download.md5 !== undefined) {
    if (got.md5 !== download.md5) throw fail('md5', download.md5, got.md5);
    return 'md5';
  }
  if (download.sha256 !== undefined) {
    if (got.sha256 !== download.sha256) throw fail('sha256', download.sha256, got.sha256);
    return 'sha256';
  }
  const recorded = readRecordedChecksums(cacheDir)[download.url];
  if (recorded) {
    if (got.sha256 !== recorded.sha256) throw fail('sha256', `${recorded.sha256} (recorded at the first download, ${recorded.recordedAt})`, got.sha256);
    return 'recorded-sha256';
  }
  return 'first-download';
}

/** Unpacks a .tar.gz into a staging folder, then moves its top-level entries into `folder`. */
async function unpack(archive: string, folder: string, fileName: string, progress: Progress): Promise<void> {
  const staging = join(folder, DOWNLOADS_DIR, `unpack-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const size = statSync(archive).size;
  progress.start(size, 0, `unpacking ${fileName}`);
  try {
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        progress.tick(chunk.length);
        callback(null, chunk);
      },
    });
    await pipeline(createReadStream(archive), counter, tar.x({ cwd: staging, strict: true }));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw dataError(`cannot unpack ${fileName}: ${(error as Error).message}`, {
      file: archive,
      cause: error,
      hint: "The archive is damaged: delete the dataset's cache folder and fetch it again.",
    });
  } finally {
    progress.stop();
  }
  for (const entry of readdirSync(staging)) {
    const target = join(folder, entry);
    rmSync(target, { recursive: true, force: true });
    renameSync(join(staging, entry), target);
  }
  rmSync(staging, { recursive: true, force: true });
}
