/**
 * Contracts of the named-dataset registry and of a loaded dataset.
 */

/** A test set ready to evaluate: its images (as pixels or as files) with labels. */
export interface LoadedDataset {
  /** The registry name (`cifar10-test`), or for a path the file/folder name without extension. */
  name: string;
  /** Absolute path of what was read (the .bin file, the npy prefix, the image folder). */
  source: string;
  /** Number of classes of the label space (10 for CIFAR-10, 1000 for ImageNet). */
  numClasses: number;
  /** Name of each class index (length numClasses), or null when unknown. */
  classNames: string[] | null;
  /** Every image in dataset order: a stable id and its class index. */
  images: {
    /** Stable id within the dataset: the record index for arrays; for image files the file stem, or `<class folder>/<stem>` when stems repeat. */
    imageId: string;
    /** Class index of the image (0 ≤ label < numClasses). */
    label: number;
  }[];
  /** All images' pixels (N×H×W×3 HWC RGB) when the format stores arrays (CIFAR), else null. */
  pixels: {
    /** Height of every image in pixels. */
    height: number;
    /** Width of every image in pixels. */
    width: number;
    /** N·H·W·3 bytes, image after image, HWC RGB. */
    data: Uint8Array;
  } | null;
  /** Absolute path per image when images are files (ImageNet), else null. */
  files: string[] | null;
  /**
   * Where the labels come from. `fixed`: the format gives them (CIFAR label bytes, NPY labels,
   * class-index folders 0…999, wnid folders placed by the ImageNet class list). `sorted-names`:
   * positions of the class-folder names in sorted order (torchvision's ImageFolder), so a model
   * whose sidecar lists its classes by name maps the folders through that list instead.
   */
  labelOrder: 'fixed' | 'sorted-names';
}

/** How a dataset is stored on disk once present. */
export type DatasetLayout =
  /** CIFAR-10 binary batch (`test_batch.bin`). */
  | 'cifar-bin'
  /** `<prefix>_data.npy` + `<prefix>_labels.npy`. */
  | 'cifar101'
  /** Class folders named `0`…`999`. */
  | 'index-folders'
  /** Class folders named by wnid. */
  | 'wnid-folders';

/** One file to download for a dataset. */
export interface DatasetDownload {
  /** Official URL. */
  url: string;
  /** File name it is saved under in the dataset's cache folder. */
  fileName: string;
  /** Expected md5 (hex), when one is published. */
  md5?: string;
  /** Expected sha256 (hex), when one is known. */
  sha256?: string;
  /** Expected size in bytes, when known. */
  bytes?: number;
  /**
   * Where the checksum comes from, or why there is none. With no md5/sha256, the first download's
   * sha256 is recorded in the cache (`checksums.json`) and later downloads must match it.
   */
  checksumSource: string;
  /** `.tar.gz` archives are unpacked into the dataset's cache folder after verification. */
  unpack: boolean;
}

/** A named dataset in the registry. */
export interface DatasetSpec {
  /** Registry name, as typed on the command line. */
  name: string;
  /** One line saying what it is. */
  title: string;
  /** Storage layout once present. */
  layout: DatasetLayout;
  /** Label space: CIFAR-10 (10 classes) or ImageNet (1000). */
  classes: 'cifar10' | 'imagenet';
  /** Number of images of the complete dataset (a different count is an error). */
  count: number;
  /**
   * Where the data is looked for, relative to the `--data-dir` folder, to `<data-dir>/<name>`
   * and to the dataset's cache folder `<cache>/<name>`; the first present wins. For `cifar101`
   * these are prefixes (`cifar10.1_v6` → `cifar10.1_v6_data.npy` + `cifar10.1_v6_labels.npy`).
   */
  locations: string[];
  /** Files `retest fetch` downloads; empty when the user must bring the data (ImageNet val). */
  downloads: DatasetDownload[];
  /** For datasets that cannot be downloaded: what the user must do instead. */
  manual?: string;
  /**
   * A check of a copy placed by hand (no `retest fetch` marker) when the unpacked file has no
   * published checksum: checksums of parts of it computed from an exact copy of the official file.
   */
  placedCheck?: CifarBinReference;
  /** Project page, for docs and error hints. */
  homepage: string;
  /** License / terms of use, in a few words. */
  license: string;
}

/** Reference checksums of an official CIFAR-10 batch file, for copies placed by hand. */
export interface CifarBinReference {
  /** Exact size of the official file. */
  bytes: number;
  /** sha256 of its label bytes (the first byte of every record), in order. */
  labelsSha256: string;
  /** Number of leading records covered by `leadingSha256`. */
  leadingRecords: number;
  /** sha256 of those leading records, byte for byte. */
  leadingSha256: string;
  /** Where the reference figures come from. */
  source: string;
}

/** The outcome of checking a present dataset against what is known of the official files. */
export interface DatasetCheck {
  /** `verified`: matches; `modified`: differs from the official content; `unverified`: nothing to compare with. */
  status: 'verified' | 'modified' | 'unverified';
  /** One sentence: against what, or what differs. */
  detail: string;
}

/** Where datasets are looked for. */
export interface ResolveOptions {
  /** Folder searched first (`--data-dir`, env RETEST_DATA_DIR). */
  dataDir?: string | undefined;
  /** The download cache (`--cache`, env RETEST_CACHE; `cacheDir()` in src/cli/options.ts). */
  cacheDir: string;
}

/** Where a named dataset was found, or where it was looked for. */
export type DatasetLocation =
  | {
      /** Found. */
      present: true;
      /** Path of the first match (file, npy prefix or folder). */
      path: string;
      /** Found under the data folder or in the download cache. */
      where: 'data-dir' | 'cache';
    }
  | {
      /** Not found anywhere. */
      present: false;
      /** Every path tried, in search order. */
      looked: string[];
    };
