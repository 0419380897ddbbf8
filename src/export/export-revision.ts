import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataError, sha256Hex, usageError } from '../core/index.ts';
import { decodeRgb, resizeExact, writeCifar101, cifar101Files } from '../formats/index.ts';
import type { CatalogImage, ImageCatalog } from '../catalog/index.ts';
import { getRevision, type Revision, type SampleStore } from '../sample/index.ts';
import type { Manifest, ManifestImage } from './types.ts';

/** What an export reads: the revision from the sample store, its images and classes from the catalog. */
export interface ExportStores {
  /** The workspace's sample revisions. */
  sample: SampleStore;
  /** The workspace's images and classes. */
  catalog: ImageCatalog;
}

/** Options shared by both layouts. */
export interface ExportOptions {
  /** The workspace folder (stored paths are relative to it). */
  workspaceDir: string;
  /** Revision id, or 'latest' (default). */
  revision?: number | 'latest';
  /** Export an invalid (short) revision anyway (default false: refused). */
  allowInvalid?: boolean;
  /** Export time (default now). */
  now?: Date | string;
}

async function loadRevision(
  stores: ExportStores,
  options: ExportOptions,
): Promise<{ revision: Revision; meta: Map<string, CatalogImage>; classes: Manifest['classes'] }> {
  const revision = await getRevision(stores.sample, options.revision ?? 'latest');
  if (!revision.valid && !options.allowInvalid) {
    throw usageError(
      `revision ${revision.id} is not valid: classes ${revision.shortClasses.slice(0, 10).join(', ')}${revision.shortClasses.length > 10 ? ', …' : ''} are short`,
      { field: 'revision', hint: 'collect or label more candidates and sample again, or pass --allow-invalid' },
    );
  }
  const rows = await stores.catalog.images(revision.images.map((im) => im.imageId));
  const meta = new Map(rows.map((r) => [r.id, r]));
  const classes = (await stores.catalog.classes()).map((c) => ({ index: c.index, id: c.id, names: c.names }));
  return { revision, meta, classes };
}

function manifestHead(revision: Revision, classes: Manifest['classes'], layout: Manifest['layout'], now: string): Omit<Manifest, 'files' | 'images' | 'count'> {
  return {
    format: 'retest-export/1',
    layout,
    exportedAt: now,
    revision: {
      id: revision.id,
      function: revision.function,
      parameters: revision.parameters,
      seed: revision.seed,
      parentId: revision.parentId,
      valid: revision.valid,
      shortClasses: revision.shortClasses,
      createdAt: revision.createdAt,
    },
    classes,
  };
}

function ensureEmptyDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw usageError('the export path exists and is not a folder', { file: dir });
    const visible = readdirSync(dir).filter((n) => !n.startsWith('.'));
    if (visible.length > 0)
      throw usageError('the export folder is not empty', {
        file: dir,
        received: visible.slice(0, 5).join(', '),
        hint: 'export into a new folder so that files of an older release cannot mix in',
      });
  }
  mkdirSync(dir, { recursive: true });
}

/**
 * ImageNetV2 layout (DESIGN §1.7): `<out>/<class_index>/<image_id>.jpeg` — the 500-px display copies,
 * folders named by class index — and `<out>/manifest.json`. Returns the manifest.
 */
export async function exportImageFolder(stores: ExportStores, outDir: string, options: ExportOptions): Promise<Manifest> {
  const out = resolve(outDir);
  const { revision, meta, classes } = await loadRevision(stores, options);
  ensureEmptyDir(out);
  const classId = new Map(classes.map((c) => [c.index, c.id]));
  const images: ManifestImage[] = [];
  const files: Manifest['files'] = [];
  for (const im of revision.images) {
    const m = meta.get(im.imageId);
    if (!m)
      throw dataError('a sampled image is missing from the images table', {
        record: im.imageId,
        hint: 'the workspace was edited after sampling; sample again',
      });
    const src = join(options.workspaceDir, m.displayPath);
    if (!existsSync(src))
      throw dataError('the display copy of a sampled image is missing', { file: src, record: im.imageId, hint: 'run `retest collect` again to re-ingest' });
    const rel = `${im.classIdx}/${im.imageId}.jpeg`;
    mkdirSync(join(out, String(im.classIdx)), { recursive: true });
    copyFileSync(src, join(out, rel));
    const bytes = readFileSync(join(out, rel));
    const sha256 = sha256Hex(bytes);
    files.push({ path: rel, sha256, bytes: bytes.length });
    images.push({
      path: rel,
      imageId: im.imageId,
      classIndex: im.classIdx,
      classId: classId.get(im.classIdx) ?? String(im.classIdx),
      selectionFrequency: im.frequency,
      answers: im.answers,
      sha256,
      source: { name: m.source, id: m.sourceId, url: m.url },
    });
  }
  const manifest: Manifest = {
    ...manifestHead(revision, classes, 'imagenetv2', new Date(options.now ?? Date.now()).toISOString()),
    count: images.length,
    files,
    images,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Options of the NPY export. */
export interface NpyExportOptions extends ExportOptions {
  /** Pixels of an image (32×32×3 HWC RGB); default: decode the stored original and squash it to 32×32 when it is another size. */
  pixelsOf?: (imageId: string, meta: { originalPath: string }) => Promise<Uint8Array>;
}

/**
 * CIFAR-10.1 layout (DESIGN §1.7): `<prefix>_data.npy` uint8 (N,32,32,3) HWC RGB and
 * `<prefix>_labels.npy` int32, plain NPY 1.0, in release order, plus `<prefix>_manifest.json`.
 */
export async function exportNpy(stores: ExportStores, prefix: string, options: NpyExportOptions): Promise<Manifest> {
  const files0 = cifar101Files(resolve(prefix));
  for (const f of [files0.data, files0.labels])
    if (existsSync(f)) throw usageError('the export file already exists', { file: f, hint: 'choose a new prefix so that an older release is not overwritten' });
  mkdirSync(resolve(files0.prefix, '..'), { recursive: true });
  const { revision, meta, classes } = await loadRevision(stores, options);
  const n = revision.images.length;
  const pixels = new Uint8Array(n * 32 * 32 * 3);
  const labels = new Int32Array(n);
  const classId = new Map(classes.map((c) => [c.index, c.id]));
  const images: ManifestImage[] = [];
  for (let i = 0; i < n; i++) {
    const im = revision.images[i]!;
    const m = meta.get(im.imageId);
    if (!m) throw dataError('a sampled image is missing from the images table', { record: im.imageId });
    const px = options.pixelsOf
      ? await options.pixelsOf(im.imageId, { originalPath: m.originalPath })
      : await tinyPixels(join(options.workspaceDir, m.originalPath));
    if (px.length !== 32 * 32 * 3) throw dataError('an image is not 32×32×3', { record: im.imageId, expected: '3072 bytes', received: `${px.length} bytes` });
    pixels.set(px, i * 3072);
    labels[i] = im.classIdx;
    images.push({
      path: String(i),
      imageId: im.imageId,
      classIndex: im.classIdx,
      classId: classId.get(im.classIdx) ?? String(im.classIdx),
      selectionFrequency: im.frequency,
      answers: im.answers,
      sha256: sha256Hex(px),
      source: { name: m.source, id: m.sourceId, url: m.url },
    });
  }
  writeCifar101(files0.prefix, { count: n, pixels, labels });
  const files = [files0.data, files0.labels].map((f) => {
    const bytes = readFileSync(f);
    return { path: f.slice(f.lastIndexOf('/') + 1), sha256: sha256Hex(bytes), bytes: bytes.length };
  });
  const manifest: Manifest = { ...manifestHead(revision, classes, 'cifar10.1', new Date(options.now ?? Date.now()).toISOString()), count: n, files, images };
  writeFileSync(`${files0.prefix}_manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function tinyPixels(path: string): Promise<Uint8Array> {
  const img = await decodeRgb(path);
  if (img.width === 32 && img.height === 32) return img.data;
  return (await resizeExact(img, 32, 32)).data;
}
