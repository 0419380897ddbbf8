/**
 * Contracts of the export stage (DESIGN §1.7): a sample revision written in the layouts users of
 * ImageNetV2 and CIFAR-10.1 already read, with a manifest that carries what those releases lacked
 * (per-image selection frequency and answer count, provenance, checksums).
 */

/** One exported image in the manifest, in release order. */
export interface ManifestImage {
  /** Path relative to the export folder (`<class_index>/<image_id>.jpeg`), or the row index for NPY exports. */
  path: string;
  /** `images.id` (stable across releases). */
  imageId: string;
  /** Class index (the folder name / label). */
  classIndex: number;
  /** Class id (wnid or name). */
  classId: string;
  /** Selection frequency the image was sampled with. */
  selectionFrequency: number;
  /** Valid answers behind it. */
  answers: number;
  /** Hex sha256 of the exported file (ImageNetV2 layout) or of the 32×32×3 pixel bytes (NPY). */
  sha256: string;
  /** Where the candidate came from (source name, its id there, URL when known). */
  source: { name: string; id: string; url: string | null };
}

/** The manifest JSON written next to an export. */
export interface Manifest {
  /** 'retest-export/1'. */
  format: 'retest-export/1';
  /** 'imagenetv2' (class-index folders of JPEGs) or 'cifar10.1' (NPY pair). */
  layout: 'imagenetv2' | 'cifar10.1';
  /** ISO time of export. */
  exportedAt: string;
  /** The revision exported, with everything needed to re-create it. */
  revision: { id: number; function: string; parameters: Record<string, unknown>; seed: number; parentId: number | null; valid: boolean; shortClasses: number[]; createdAt: string };
  /** Number of images. */
  count: number;
  /** Classes (index, id, names). */
  classes: { index: number; id: string; names: string[] }[];
  /** Files written with their sha256 (NPY exports: the two arrays). */
  files: { path: string; sha256: string; bytes: number }[];
  /** Every image in release order. */
  images: ManifestImage[];
}
