/**
 * How a job names the data it reads: a path relative to the shared data folder (each process's
 * `--data-dir`, mounted wherever that machine mounts it) plus the content's identity, so that a
 * worker reads exactly what the submitter meant — or fails the job saying why. It never guesses.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { dataError, usageError } from '../core/errors.ts';
import { hashFile } from '../core/hash.ts';

/** Data a job reads. */
export interface DataRef {
  /** Path relative to the data folder, with '/' separators. */
  path: string;
  /** sha256 of the file's bytes (files), or the dataset's content hash (folders; see `datasetContentHash`). */
  identity: string;
}

/** The path of `absolute` relative to `dataDir`; a usage error when it is not inside it (workers could not find it). */
export function relativeToDataDir(absolute: string, dataDir: string | undefined, what: string): string {
  if (dataDir === undefined || dataDir === '') {
    throw usageError(`--queue needs --data-dir: jobs name ${what} relative to the data folder every worker sees`, {
      field: '--data-dir',
      hint: 'give the shared data folder, the same one `retest worker --data-dir` is given (mounted where each machine mounts it)',
    });
  }
  const root = resolve(dataDir);
  const rel = relative(root, resolve(absolute));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw usageError(`${what} is not inside the data folder, so workers cannot find it`, {
      file: resolve(absolute),
      field: '--data-dir',
      expected: `a path under ${root}`,
      hint: 'put the data in the shared folder, or give the folder that holds it as --data-dir',
    });
  }
  return rel.split(sep).join('/');
}

/** Where a worker finds `ref` under its `dataDir`; a clear error when it cannot see it. */
export function locateDataRef(ref: DataRef, dataDir: string): string {
  const path = join(resolve(dataDir), ...ref.path.split('/'));
  if (!existsSync(path)) {
    throw dataError(`this worker cannot see the job's data: ${ref.path} is not in its data folder`, {
      file: path,
      field: '--data-dir',
      expected: `${ref.path} under ${resolve(dataDir)}`,
      received: 'nothing there',
      hint: 'start `retest worker` with --data-dir pointing at the shared data folder the jobs were submitted with',
    });
  }
  return path;
}

const fileHashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** sha256 of a file, remembered by (path, size, mtime) for the life of the process. */
export async function fileIdentity(path: string): Promise<string> {
  const stat = statSync(path);
  const known = fileHashes.get(path);
  if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;
  const sha256 = await hashFile(path);
  fileHashes.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
  return sha256;
}

/** Refuses data whose identity is not the one the job was submitted with (the file changed, or another copy). */
export function checkIdentity(ref: DataRef, path: string, actual: string | null): void {
  if (actual !== ref.identity) {
    throw dataError(`the job's data differs from what was submitted: ${ref.path} has other content on this worker`, {
      file: path,
      field: 'content hash',
      expected: ref.identity,
      received: actual ?? 'none',
      hint: 'every worker must see the same files as the submitter; re-submit after changing data',
    });
  }
}

/** A file's `DataRef` (sha256 of its bytes). */
export async function fileRef(absolute: string, dataDir: string | undefined, what: string): Promise<DataRef> {
  const path = relativeToDataDir(absolute, dataDir, what);
  return { path, identity: await fileIdentity(resolve(absolute)) };
}

/** `locateDataRef` + the sha256 check, for a file. */
export async function openFileRef(ref: DataRef, dataDir: string): Promise<string> {
  const path = locateDataRef(ref, dataDir);
  if (!statSync(path).isFile()) throw dataError(`the job's data ${ref.path} is a folder on this worker, a file was submitted`, { file: path });
  checkIdentity(ref, path, await fileIdentity(path));
  return path;
}
