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
  source: ManifestSource;
}

/** Where an exported image was collected. */
export interface ManifestSource {
  /** The candidate source (`flickr`, `folder`, `urls`, `arrays`, or what an ingest named it). */
  name: string;
  /** The image's id in that source (Flickr photo id, file path, array row). */
  id: string;
  /** The URL it was downloaded from; null for local files and arrays. */
  url: string | null;
}

/** The sample revision an export holds (the sample stage's revision, as written in the manifest). */
export interface ManifestRevision {
  /** Revision id in the workspace (`sample_revisions.id`). */
  id: number;
  /** Sampling strategy (`matched-frequency`, `threshold`, `top-images`). */
  function: string;
  /** The strategy's parameters as recorded (perClass, bins, τ, …). */
  parameters: Record<string, unknown>;
  /** The RNG seed the revision was drawn with. */
  seed: number;
  /** The revision it was derived from (carry-over), or null for a first draw. */
  parentId: number | null;
  /** False when some class is short or below its minimum reference images (exported only with allowInvalid). */
  valid: boolean;
  /** Class indices that got fewer images than asked. */
  shortClasses: number[];
  /** ISO time the revision was created. */
  createdAt: string;
}

/** A class of the exported test set. */
export interface ManifestClass {
  /** Class index: the folder name (ImageNetV2 layout) or label value (NPY). */
  index: number;
  /** Class id (wnid or name). */
  id: string;
  /** Names, the first being the display name. */
  names: string[];
}

/** A file written by the export, with its checksum. */
export interface ManifestFile {
  /** Path relative to the export folder (ImageNetV2 layout) or the file name (NPY). */
  path: string;
  /** Hex sha256 of the file's bytes. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
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
  revision: ManifestRevision;
  /** Number of images. */
  count: number;
  /** Classes (index, id, names). */
  classes: ManifestClass[];
  /** Files written with their sha256 (NPY exports: the two arrays). */
  files: ManifestFile[];
  /** Every image in release order. */
  images: ManifestImage[];
}
