/**
 * Listing the authors' folder layouts (`<root>/<dataset>/<model>.npy`, `<root>/{original,v4,v6}/`):
 * a broken symbolic link or an unreadable folder is an error naming it, not a crash.
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataError, fromSystemError, ioError } from '../core/errors.ts';

/** The entries of a folder (sorted); an unreadable folder is an io error naming it. */
export function listFolder(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (cause) {
    const fault = fromSystemError(cause, dir);
    throw ioError(`cannot list the folder: ${fault?.message ?? (cause as Error).message}`, {
      file: dir,
      hint: fault?.hint ?? 'check the path and its permissions',
      cause,
    });
  }
}

/** The sub-folders of `root` (following links, sorted). A link that points nowhere is a data error naming it. */
export function listSubfolders(root: string): string[] {
  return listFolder(root).filter((name) => {
    const path = join(root, name);
    try {
      return statSync(path).isDirectory();
    } catch (cause) {
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw dataError(`broken symbolic link ${name} in the predictions folder`, {
          file: path,
          expected: 'a folder or file that exists',
          received: `a link to ${readlinkSync(path)}, which does not exist`,
          hint: 'remove the link or point it at the folder it stood for',
          cause,
        });
      }
      throw fromSystemError(cause, path) ?? cause;
    }
  });
}
