/**
 * Contracts of the dataset file formats: what each reader returns and each writer takes.
 * Pixel arrays are always 8-bit RGB, interleaved (HWC), images one after another (N×H×W×3).
 */

/** CIFAR-10 images and labels, as read from (or written to) the binary batch format. */
export interface CifarArrays {
  /** Number of images. */
  count: number;
  /** One class index (0…9) per image. */
  labels: Uint8Array;
  /** count×32×32×3 bytes, HWC RGB (the file itself is channel-planar; readers convert). */
  pixels: Uint8Array;
}

/** The NPY dtypes retest reads and writes (little-endian; `|u1` has no byte order). */
export type NpyDtype = '|u1' | '<u2' | '<i4' | '<i8' | '<f4' | '<f8';

/** The typed array that holds the elements of each dtype. */
export interface NpyDataByDtype {
  /** Unsigned 8-bit integers (images, labels). */
  '|u1': Uint8Array;
  /** Unsigned 16-bit integers. */
  '<u2': Uint16Array;
  /** Signed 32-bit integers. */
  '<i4': Int32Array;
  /** Signed 64-bit integers (NumPy's default int). */
  '<i8': BigInt64Array;
  /** 32-bit floats. */
  '<f4': Float32Array;
  /** 64-bit floats. */
  '<f8': Float64Array;
}

/** An n-dimensional array from (or for) a `.npy` file, C (row-major) order. */
export interface NpyArray {
  /** Element type, in NPY `descr` notation. */
  dtype: NpyDtype;
  /** Dimensions; `[]` for a scalar (one element). */
  shape: number[];
  /** The elements in C order; its length is the product of `shape`. */
  data: Uint8Array | Uint16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;
}

/** A CIFAR-10.1-style pair: `<prefix>_data.npy` (uint8 N×32×32×3) + `<prefix>_labels.npy`. */
export interface Cifar101Arrays {
  /** Number of images. */
  count: number;
  /** count×32×32×3 bytes, HWC RGB, exactly as stored in `_data.npy`. */
  pixels: Uint8Array;
  /** One class index per image (any integer dtype in the file; int32 here). */
  labels: Int32Array;
}

/**
 * How class folders are named. `index`: `0`…`999` (ImageNetV2 releases), label = the number.
 * `wnid`: WordNet ids `n01440764`… (ImageNet val), label = position in the class list.
 * `names`: any other names (torchvision ImageFolder style), label = position in sorted order.
 */
export type ImageFolderLayout = 'index' | 'wnid' | 'names';

/** The images of a class-folder tree, in a stable order (classes in label order, files sorted). */
export interface ImageFolder {
  /** Absolute path of each image file. */
  files: string[];
  /** Class index of each image. */
  labels: Int32Array;
  /** Id of each image: the file stem, or `<folder>/<stem>` when stems repeat across folders. */
  imageIds: string[];
  /**
   * Name of each class index (length = number of classes). `index` layout: the class list's names
   * when one was given, else the index as a string; `wnid`/`names` layouts: the folder names
   * (or the given class list).
   */
  classNames: string[];
  /** How the class folders were named. */
  layout: ImageFolderLayout;
  /** Files in class folders that were skipped because they are not .jpg/.jpeg/.png. */
  skipped: string[];
}

/** One entry of an ImageNetV2 authors' dataset definition. */
export interface DatasetDefinitionImage {
  /** Image id as the authors wrote it (a sha1 for candidates, `ILSVRC2012_val_00000293.JPEG` for val). */
  imageId: string;
  /** The WordNet id of its class. */
  wnid: string;
}

/** The ImageNetV2 authors' dataset JSON (`datasets/<name>.json`), parsed. */
export interface DatasetDefinition {
  /** The file it was read from. */
  path: string;
  /** The images in dataset order. */
  images: DatasetDefinitionImage[];
  /** `sampling_function` (e.g. `sample_wnid_histogram`), or null when absent. */
  samplingFunction: string | null;
  /** The recorded sampling seed, or null. */
  seed: number | null;
  /** The revision this one started from (`starting_from`), or null. */
  startingFrom: string | null;
  /** Every other field of the file (parameters, time, user, validity), as written. */
  parameters: Record<string, unknown>;
}
