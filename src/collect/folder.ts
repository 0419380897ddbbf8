/**
 * A local folder as a candidate source: every image file under it (recursively, sorted by path).
 * With `classIdx` all images belong to that class; without it each top-level sub-folder names a
 * class (its id, index or name) and the files inside belong to it.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { ClassDef } from '../classes/index.ts';
import { findClass } from '../classes/index.ts';
import { ioError, usageError } from '../core/errors.ts';
import type { Candidate, CandidateSource, SourceContext } from './types.ts';

/** Extensions read as images (sharp decodes them); other files are ignored. */
export const FOLDER_IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

export interface FolderSourceOptions {
  /** The folder. */
  root: string;
  /** The workspace's classes (to resolve class folders). */
  classes: readonly ClassDef[];
  /** All images belong to this class; otherwise top-level sub-folders name the classes. */
  classIdx?: number;
  /** Source name written to the rows; default 'folder'. */
  source?: string;
}

export function folderSource(options: FolderSourceOptions): CandidateSource {
  const root = resolve(options.root);
  const files = listImages(root);
  const source = options.source ?? 'folder';
  const items: { path: string; classIdx: number | undefined }[] = files.map((path) => ({ path, classIdx: options.classIdx }));
  if (options.classIdx === undefined) {
    const unknown = new Set<string>();
    for (const item of items) {
      const rel = relative(root, item.path);
      const top = rel.includes(sep) ? rel.slice(0, rel.indexOf(sep)) : undefined;
      if (top === undefined) continue;
      const c = findClass(options.classes, top);
      if (c) item.classIdx = c.index;
      else unknown.add(top);
    }
    if (unknown.size > 0) {
      throw usageError('sub-folders that name no class of the workspace', {
        file: root,
        received: [...unknown].slice(0, 5).join(', '),
        expected: 'one sub-folder per class, named by its id (wnid), index or name',
        hint: 'or give --class ID to put every image of the folder in one class',
      });
    }
  }
  return {
    name: 'folder',
    expected: items.length,
    async *candidates(context: SourceContext): AsyncIterable<Candidate> {
      for (const item of items) {
        context.signal?.throwIfAborted();
        if (item.classIdx === undefined) {
          context.onFailure({ source, sourceId: item.path, urlOrPath: item.path, reason: 'file is not inside a class folder (give --class ID)' });
          continue;
        }
        yield { source, sourceId: item.path, classIdx: item.classIdx, path: item.path };
      }
    },
  };
}

/** Image files under `root`, recursively, sorted by path; hidden files and folders skipped. */
export function listImages(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (cause) {
      throw ioError('cannot list the folder', { file: dir, cause, hint: 'check that the folder exists and is readable' });
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(path).isDirectory());
      if (isDir) walk(path);
      else if (FOLDER_IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(path);
    }
  };
  walk(root);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
