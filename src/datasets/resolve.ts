/**
 * Turns what the user typed (`cifar10-test`, or a path) into a loaded dataset. Names are looked
 * for in `--data-dir`, then in the download cache; a path to a `.bin` file, a
 * `cifar-10-batches-bin` folder, a `<prefix>_data.npy` pair or a class-folder tree works wherever
 * a name does. Missing data is an error that says what to download, from where, and where to put it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { basename, extname, join, resolve } from 'node:path';
import { dataError, usageError } from '../core/errors.ts';
import { cifar101Files, readCifar101, readCifarBin, readImageFolder, type ImageFolder } from '../formats/index.ts';
import { cifar10ClassNames, imagenetClassList } from './class-lists.ts';
import { datasetCacheDir } from './cache.ts';
import { DATASETS, findDataset } from './registry.ts';
import type { DatasetLocation, DatasetSpec, LoadedDataset, ResolveOptions } from './types.ts';

const CIFAR_SIDE = 32;

/** Whether `candidate` (a location joined to a root) holds the dataset in `spec`'s layout. */
function presentAt(spec: DatasetSpec, candidate: string): boolean {
  if (spec.layout === 'cifar101') {
    const files = cifar101Files(candidate);
    return existsSync(files.data) && existsSync(files.labels);
  }
  if (spec.layout === 'cifar-bin') return existsSync(candidate) && statSync(candidate).isFile();
  // A folder counts when it holds at least one class folder of the expected naming.
  if (!existsSync(candidate) || !statSync(candidate).isDirectory()) return false;
  const pattern = spec.layout === 'index-folders' ? /^\d+$/ : /^n\d{8}$/;
  return readdirSync(candidate, { withFileTypes: true }).some((e) => e.isDirectory() && pattern.test(e.name));
}

/** The roots searched for a named dataset, in order, with where each comes from. */
function roots(spec: DatasetSpec, options: ResolveOptions): { root: string; where: 'data-dir' | 'cache'; own: boolean }[] {
  const out: { root: string; where: 'data-dir' | 'cache'; own: boolean }[] = [];
  if (options.dataDir) {
    const dataDir = resolve(options.dataDir);
    out.push({ root: dataDir, where: 'data-dir', own: false }, { root: join(dataDir, spec.name), where: 'data-dir', own: true });
  }
  out.push({ root: datasetCacheDir(resolve(options.cacheDir), spec.name), where: 'cache', own: true });
  return out;
}

/** Where a named dataset is (first match), or every place it was looked for. */
export function locateDataset(spec: DatasetSpec, options: ResolveOptions): DatasetLocation {
  const looked: string[] = [];
  for (const { root, where, own } of roots(spec, options)) {
    // A folder named after the dataset may hold a class-folder tree directly.
    const locations = own && (spec.layout === 'index-folders' || spec.layout === 'wnid-folders') ? [...spec.locations, '.'] : spec.locations;
    for (const location of locations) {
      const candidate = join(root, location);
      if (presentAt(spec, candidate)) return { present: true, path: candidate, where };
      looked.push(spec.layout === 'cifar101' ? `${candidate}_data.npy (+ _labels.npy)` : location === '.' ? `${root}/` : candidate);
    }
  }
  return { present: false, looked };
}

/** The error for a named dataset that is not there: what to download, from where, where to put it. */
export function missingDatasetError(spec: DatasetSpec, options: ResolveOptions, looked: string[]) {
  const places =
    looked.length > 4 ? `${looked.slice(0, 4).join(', ')} and ${looked.length - 4} more places (see \`retest datasets --json\`)` : looked.join(', ');
  const cacheFolder = datasetCacheDir(resolve(options.cacheDir), spec.name);
  const where = options.dataDir ? `${cacheFolder} (or ${resolve(options.dataDir)})` : cacheFolder;
  if (spec.downloads.length === 0) {
    return dataError(`dataset ${spec.name} is not present, and retest cannot download it`, {
      file: looked[0] ?? cacheFolder,
      expected: `${spec.title}, at one of: ${places}`,
      received: 'nothing there',
      hint: `${spec.manual ?? 'Bring the files yourself.'} Here that folder is ${where}.`,
    });
  }
  const files = spec.downloads.map((d) => `${d.url}${d.unpack ? ' (unpack it there)' : ''}`).join(' and ');
  return dataError(`dataset ${spec.name} is not present`, {
    file: looked[0] ?? cacheFolder,
    expected: `${spec.title}, at one of: ${places}`,
    received: 'nothing there',
    hint: `Run \`retest fetch ${spec.name}\`, or download ${files} yourself and put ${spec.downloads.length > 1 ? 'them' : 'it'} in ${where}.`,
  });
}

/** Loads a named dataset or a path. */
export async function resolveDataset(nameOrPath: string, options: ResolveOptions): Promise<LoadedDataset> {
  const spec = findDataset(nameOrPath);
  if (spec) {
    const location = locateDataset(spec, options);
    if (!location.present) throw missingDatasetError(spec, options, location.looked);
    return loadNamed(spec, location.path);
  }
  if (existsSync(nameOrPath)) return loadPath(nameOrPath);
  if (/[\\/]/.test(nameOrPath) || /\.(bin|npy|tar|tgz|gz|zip)$/i.test(nameOrPath)) {
    throw usageError(`no such file or folder: ${nameOrPath}`, {
      file: resolve(nameOrPath),
      field: 'dataset',
      hint: 'Check the path, or give a dataset name (`retest datasets` lists them).',
    });
  }
  throw usageError(`unknown dataset ${nameOrPath}`, {
    field: 'dataset',
    expected: `a dataset name (${DATASETS.map((d) => d.name).join(', ')}) or the path of a .bin file, a <prefix>_data.npy file or an image folder`,
    received: JSON.stringify(nameOrPath),
    hint: 'Run `retest datasets` to see the named datasets and where they are looked for.',
  });
}

/** Loads a registry dataset from where it was found, checking it is complete. */
export function loadNamed(spec: DatasetSpec, path: string): LoadedDataset {
  let loaded: LoadedDataset;
  if (spec.layout === 'cifar-bin') loaded = fromCifarBin(spec.name, path);
  else if (spec.layout === 'cifar101') loaded = fromCifar101(spec.name, path);
  else {
    const list = imagenetClassList();
    if (spec.layout === 'wnid-folders' && !list) {
      const folders = readdirSync(path).filter((n) => /^n\d{8}$/.test(n));
      if (folders.length !== 1000) {
        throw dataError(`${spec.name} needs all 1,000 class folders to number its classes`, {
          file: path,
          expected: '1000 wnid folders',
          received: `${folders.length}`,
          hint: 'Without the bundled class list (data/imagenet-classes.json), labels are positions in the sorted wnid list, which needs every class.',
        });
      }
    }
    const folder = readImageFolder(path, list ? { classIds: list.ids, classNames: list.names } : {});
    const expectedLayout = spec.layout === 'index-folders' ? 'index' : 'wnid';
    if (folder.layout !== expectedLayout) {
      throw dataError(`${spec.name} should have class folders named by ${expectedLayout === 'index' ? 'class index (0…999)' : 'wnid (n01440764…)'}`, {
        file: path,
        expected: `${expectedLayout} folders`,
        received: `${folder.layout} folders`,
        hint: 'Check that the folder holds this dataset, or pass its path instead of the name.',
      });
    }
    if (folder.classNames.length > 1000) {
      throw dataError(`${spec.name} has a class folder beyond 999`, { file: path, expected: 'folders 0…999', received: `${folder.classNames.length - 1}` });
    }
    loaded = fromImageFolder(
      spec.name,
      path,
      folder,
      1000,
      list ? list.names : folder.layout === 'wnid' && folder.classNames.length === 1000 ? folder.classNames : null,
    );
  }
  if (loaded.images.length !== spec.count) {
    throw dataError(`${spec.name} is incomplete: ${loaded.images.length} images instead of ${spec.count}`, {
      file: path,
      expected: `${spec.count} images`,
      received: `${loaded.images.length}`,
      hint:
        spec.downloads.length > 0
          ? `Delete it and run \`retest fetch ${spec.name}\` again, or pass the path itself to use a subset.`
          : 'Add the missing images, or pass the path itself to use a subset.',
    });
  }
  return loaded;
}

function fromCifarBin(name: string, path: string): LoadedDataset {
  return fromCifarArrays(name, resolve(path), readCifarBin(path));
}

/** A CIFAR-10 test set held as 32×32 pixels (`.bin` or a CIFAR-10.1 pair): images named by position. */
function fromCifarArrays(name: string, source: string, arrays: { labels: ArrayLike<number>; pixels: Uint8Array }): LoadedDataset {
  return {
    name,
    source,
    numClasses: 10,
    classNames: cifar10ClassNames(),
    images: Array.from(arrays.labels, (label, i) => ({ imageId: String(i), label })),
    pixels: { height: CIFAR_SIDE, width: CIFAR_SIDE, data: arrays.pixels },
    files: null,
    labelOrder: 'fixed',
  };
}

function fromCifar101(name: string, prefix: string): LoadedDataset {
  const arrays = readCifar101(prefix);
  const files = cifar101Files(prefix);
  const bad = arrays.labels.findIndex((label) => label >= 10);
  if (bad >= 0)
    throw dataError(`label ${arrays.labels[bad]} is not a CIFAR-10 class`, {
      file: files.labels,
      record: bad,
      expected: '0…9',
      received: String(arrays.labels[bad]),
    });
  return fromCifarArrays(name, resolve(files.prefix), arrays);
}

function fromImageFolder(
  name: string,
  path: string,
  folder: ImageFolder,
  numClasses: number,
  classNames: string[] | null,
  labelOrder: LoadedDataset['labelOrder'] = 'fixed',
): LoadedDataset {
  return {
    name,
    source: resolve(path),
    numClasses,
    classNames,
    images: folder.imageIds.map((imageId, i) => ({ imageId, label: folder.labels[i]! })),
    pixels: null,
    files: folder.files,
    labelOrder,
  };
}

const CLASS_LIKE = /^(\d+|n\d{8})$/;

/** Loads a dataset from a path, recognising its format. */
export function loadPath(path: string): LoadedDataset {
  const full = resolve(path);
  const stats = statSync(full);
  if (stats.isFile()) {
    const name = basename(full);
    if (/\.bin$/i.test(name)) return fromCifarBin(name.replace(/\.bin$/i, ''), full);
    if (/_(data|labels)\.npy$/.test(name)) return fromCifar101(basename(cifar101Files(full).prefix), full);
    if (/\.(tar\.gz|tgz|tar|zip)$/i.test(name)) {
      throw usageError('archives must be unpacked first', {
        file: full,
        expected: 'a .bin file, a <prefix>_data.npy file or a folder',
        received: name,
        hint: `Unpack it (tar -xzf ${name}) and pass the folder, or use \`retest fetch\` for named datasets.`,
      });
    }
    throw usageError(`unrecognised dataset file ${name}`, {
      file: full,
      expected: 'a CIFAR-10 .bin batch, a <prefix>_data.npy file (with <prefix>_labels.npy beside it), or a folder',
      received: extname(name) || name,
    });
  }
  // Folders: CIFAR batches, an npy pair, or a class-folder tree (possibly inside one wrapper folder).
  if (existsSync(join(full, 'test_batch.bin')) || existsSync(join(full, 'cifar-10-batches-bin'))) return fromCifarBin(basename(full), full);
  const names = readdirSync(full).filter((n) => !n.startsWith('.'));
  const pairs = names.filter((n) => n.endsWith('_data.npy') && names.includes(n.replace(/_data\.npy$/, '_labels.npy')));
  if (pairs.length === 1) return fromCifar101(pairs[0]!.replace(/_data\.npy$/, ''), join(full, pairs[0]!));
  if (pairs.length > 1) {
    throw usageError('the folder holds several <prefix>_data.npy pairs', {
      file: full,
      expected: 'one pair',
      received: pairs.join(', '),
      hint: 'Pass the _data.npy file you mean.',
    });
  }
  const dirs = names.filter((n) => {
    try {
      return statSync(join(full, n)).isDirectory();
    } catch {
      return false; // a broken link
    }
  });
  if (dirs.length === 1 && !CLASS_LIKE.test(dirs[0]!) && names.length === 1) return loadPath(join(full, dirs[0]!));
  const list = imagenetClassList();
  const wnids = dirs.filter((n) => /^n\d{8}$/.test(n));
  const useImagenet = list !== null && wnids.length === dirs.length && wnids.every((w) => list.ids.includes(w));
  const folder = readImageFolder(full, useImagenet ? { classIds: list.ids, classNames: list.names } : {});
  // A retest export names all classes in its manifest, also those its sample left empty: the
  // folders alone would undercount a class-index tree whose highest classes have no images.
  const exported = folder.layout === 'index' ? exportManifestClasses(join(full, 'manifest.json')) : null;
  if (exported && exported.length >= folder.classNames.length) return fromImageFolder(basename(full), full, folder, exported.length, exported);
  const numClasses = folder.classNames.length;
  const classNames = folder.layout === 'index' ? (numClasses === 1000 && list ? list.names : null) : folder.classNames;
  return fromImageFolder(basename(full), full, folder, numClasses, classNames, folder.layout === 'index' || useImagenet ? 'fixed' : 'sorted-names');
}

const exportManifestSchema = z.object({
  format: z.literal('retest-export/1'),
  classes: z.array(z.object({ index: z.number().int().nonnegative(), names: z.array(z.string()) })).min(1),
});

/** Class names, in index order, of a `retest export` manifest; null when there is none (or it is not ours). */
function exportManifestClasses(path: string): string[] | null {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null; // someone else's manifest.json: the folders decide
  }
  const parsed = exportManifestSchema.safeParse(raw);
  if (!parsed.success) return null;
  const classes = [...parsed.data.classes].sort((a, b) => a.index - b.index);
  if (classes.some((c, i) => c.index !== i)) return null;
  return classes.map((c) => c.names[0] ?? String(c.index));
}
