/**
 * Class-folder trees of image files: `<root>/<class>/<image>.jpeg`. Folders named `0`…`999`
 * (ImageNetV2 releases) are ordered and labelled by their NUMBER — sorting them as strings
 * ("0", "1", "10", "100", …) scrambles the labels, a bug that hit many users of the originals.
 * Wnid folders (ImageNet val) are labelled by their position in the class list (sorted wnids).
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { dataError, ioError } from '../core/errors.ts';
import type { ImageFolder, ImageFolderLayout } from './types.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];
const WNID = /^n\d{8}$/;
const INDEX = /^\d+$/;

export interface ReadImageFolderOptions {
  /**
   * The full class list in label order (wnids or names). With it, a wnid/name folder's label is
   * its position in this list (so a tree holding only some classes keeps the right labels), and
   * `classNames` has one entry per class of the list. Folders absent from the list are an error.
   */
  classIds?: readonly string[];
  /** Display names parallel to `classIds` (defaults to the ids). */
  classNames?: readonly string[];
}

/** Compares file names: numerically when both stems are whole numbers, else by code unit. */
export function compareFileNames(a: string, b: string): number {
  const sa = stem(a);
  const sb = stem(b);
  if (INDEX.test(sa) && INDEX.test(sb)) {
    const d = Number(sa) - Number(sb);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function stem(name: string): string {
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}

function isImage(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/** Follows symbolic links; a broken link is not a folder. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function visible(name: string): boolean {
  return !name.startsWith('.');
}

/** Lists a class-folder tree. Throws when `root` has no class folders or mixes naming schemes. */
export function readImageFolder(root: string, options: ReadImageFolderOptions = {}): ImageFolder {
  const base = resolve(root);
  const folders = listClassFolders(base);
  const layout = layoutOf(base, folders);
  const { classes, classNames } = layout === 'index' ? labelIndexFolders(base, folders, options) : labelNamedFolders(base, folders, options);
  const images = listImages(base, classes);
  if (images.files.length === 0) {
    throw dataError('the image folder holds no images', {
      file: base,
      expected: `files ending in ${IMAGE_EXTENSIONS.join(', ')} (any case) inside the class folders`,
      received: `${classes.length} class folders, ${images.skipped.length} other files`,
    });
  }
  return {
    files: images.files,
    labels: Int32Array.from(images.labels),
    imageIds: imageIdsOf(base, images.stems, images.owners),
    classNames,
    layout,
    skipped: images.skipped,
  };
}

/** A class folder and the label its images get. */
interface ClassFolder {
  folder: string;
  label: number;
}

/** The visible sub-folders of `base` (symbolic links to folders included); none is an error. */
function listClassFolders(base: string): string[] {
  let entries;
  try {
    entries = readdirSync(base, { withFileTypes: true });
  } catch (error) {
    throw ioError(`cannot list the image folder ${base}`, { file: base, cause: error, hint: 'Pass a folder that holds one sub-folder per class.' });
  }
  const folders = entries.filter((e) => visible(e.name) && (e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(base, e.name))))).map((e) => e.name);
  if (folders.length === 0) {
    throw dataError('no class folders in the image folder', {
      file: base,
      expected: 'one sub-folder per class: 0…999 (ImageNetV2) or wnids such as n01440764 (ImageNet val)',
      received: `${entries.filter((e) => e.isFile()).length} files and no folders`,
      hint: 'Point at the folder that contains the class folders (e.g. imagenetv2-matched-frequency-format-val).',
    });
  }
  return folders;
}

/** All folders numbers → 'index'; all wnids → 'wnid'; other names → 'names'; numbers and names mixed is an error. */
function layoutOf(base: string, folders: readonly string[]): ImageFolderLayout {
  const numeric = folders.filter((name) => INDEX.test(name));
  if (numeric.length === folders.length) return 'index';
  if (numeric.length > 0) {
    throw dataError('class folders mix numbers and names', {
      file: base,
      expected: 'all folders named by class index (0…999) or all by class id',
      received: `${numeric.length} numeric (e.g. ${numeric[0]}) and ${folders.length - numeric.length} named (e.g. ${folders.find((f) => !INDEX.test(f))})`,
      hint: 'Remove the stray folders, or point at the right level of the tree.',
    });
  }
  return folders.every((name) => WNID.test(name)) ? 'wnid' : 'names';
}

/** Numbered folders: the label is the number (ordered numerically, never as strings). */
function labelIndexFolders(base: string, folders: readonly string[], options: ReadImageFolderOptions): { classes: ClassFolder[]; classNames: string[] } {
  const classes: ClassFolder[] = [];
  const seen = new Map<number, string>();
  for (const folder of [...folders].sort((a, b) => Number(a) - Number(b))) {
    const label = Number(folder);
    const other = seen.get(label);
    if (other !== undefined)
      throw dataError(`two folders name class ${label}`, { file: base, expected: 'one folder per class index', received: `${other} and ${folder}` });
    if (options.classIds && label >= options.classIds.length) {
      throw dataError(`class folder ${folder} is beyond the ${options.classIds.length} classes`, {
        file: join(base, folder),
        expected: `0…${options.classIds.length - 1}`,
        received: folder,
      });
    }
    seen.set(label, folder);
    classes.push({ folder, label });
  }
  classes.sort((a, b) => a.label - b.label); // numeric, never lexicographic
  const numClasses = options.classIds ? options.classIds.length : classes[classes.length - 1]!.label + 1;
  const classNames = Array.from({ length: numClasses }, (_, i) => options.classNames?.[i] ?? options.classIds?.[i] ?? String(i));
  return { classes, classNames };
}

/** Wnid or name folders: the label is the position in `classIds` when given, else in the sorted folder names. */
function labelNamedFolders(base: string, folders: readonly string[], options: ReadImageFolderOptions): { classes: ClassFolder[]; classNames: string[] } {
  const sorted = [...folders].sort();
  if (!options.classIds) return { classes: sorted.map((folder, label) => ({ folder, label })), classNames: sorted };
  const classIds = options.classIds;
  const position = new Map(classIds.map((id, i) => [id, i]));
  const classes = sorted.map((folder) => {
    const label = position.get(folder);
    if (label === undefined) {
      throw dataError(`class folder ${folder} is not in the class list`, {
        file: join(base, folder),
        expected: `one of the ${classIds.length} class ids (e.g. ${classIds[0]})`,
        received: folder,
        hint: 'Remove the folder, or check that this tree belongs to the dataset you named.',
      });
    }
    return { folder, label };
  });
  return { classes, classNames: classIds.map((id, i) => options.classNames?.[i] ?? id) };
}

/** The image files of each class folder in file-name order; other files are `skipped`. */
function listImages(base: string, classes: readonly ClassFolder[]) {
  const out = { files: [] as string[], labels: [] as number[], stems: [] as string[], owners: [] as string[], skipped: [] as string[] };
  for (const { folder, label } of classes) {
    const dir = join(base, folder);
    for (const name of listFiles(dir, folder)) {
      if (!isImage(name)) {
        out.skipped.push(join(dir, name));
        continue;
      }
      out.files.push(join(dir, name));
      out.labels.push(label);
      out.stems.push(stem(name));
      out.owners.push(folder);
    }
  }
  return out;
}

/** The visible non-folder entries of a class folder, sorted by `compareFileNames`; an unreadable folder is an io error. */
function listFiles(dir: string, folder: string): string[] {
  let listing;
  try {
    listing = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const denied = code === 'EACCES' || code === 'EPERM';
    throw ioError(`cannot list the class folder ${folder}${denied ? ': permission denied' : ''}`, {
      file: dir,
      ...(code ? { received: code } : {}),
      cause: error,
      hint: denied ? 'make the folder readable (chmod a+rx), or remove it from the tree' : 'check the folder',
    });
  }
  return listing
    .filter((e) => visible(e.name) && !e.isDirectory() && !(e.isSymbolicLink() && isDirectory(join(dir, e.name))))
    .map((e) => e.name)
    .sort(compareFileNames);
}

/** Ids: stems when unique (ImageNetV2 ids, ImageNet val file names), else `<folder>/<stem>`, which must be unique. */
function imageIdsOf(base: string, stems: readonly string[], owners: readonly string[]): string[] {
  if (new Set(stems).size === stems.length) return [...stems];
  const imageIds = stems.map((s, i) => `${owners[i]}/${s}`);
  if (new Set(imageIds).size !== imageIds.length) {
    const seen = new Set<string>();
    const dup = imageIds.find((id) => (seen.has(id) ? true : (seen.add(id), false)))!;
    throw dataError(`two files in one class folder share the stem ${dup}`, {
      file: join(base, dup),
      expected: 'unique file names (ignoring the extension)',
      received: dup,
    });
  }
  return imageIds;
}
