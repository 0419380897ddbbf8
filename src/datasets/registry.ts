/**
 * The named datasets: the original test sets and the published re-creations, with their official
 * URLs and checksums. Where the authors published no checksum, `checksumSource` says so and
 * `retest fetch` records the sha256 of the first download and verifies later ones against it.
 */
import type { DatasetSpec } from './types.ts';

const CIFAR101_BASE = 'https://github.com/modestyachts/CIFAR-10.1/raw/master/datasets';
const IMAGENETV2_BASE = 'https://huggingface.co/datasets/vaishaal/ImageNetV2/resolve/main';
const NO_CIFAR101_CHECKSUM = 'none published by the CIFAR-10.1 authors: the sha256 of the first download is recorded and later downloads must match it';
const LABELS_CHECKSUM = "not published by the authors; sha256 of the released file as kept in the project's reference data (../shared/data/SHA256SUMS)";
const TFDS_CHECKSUM =
  'not published by the ImageNetV2 authors; sha256 and size of the HuggingFace release as recorded by TensorFlow Datasets (tensorflow_datasets/datasets/imagenet_v2/checksums.tsv)';

function cifar101(version: 'v4' | 'v6', count: number, labelsSha256: string): DatasetSpec {
  const prefix = `cifar10.1_${version}`;
  return {
    name: `cifar10.1-${version}`,
    title: `CIFAR-10.1 ${version}: ${count} new CIFAR-10-like test images (Recht et al. 2018)`,
    layout: 'cifar101',
    classes: 'cifar10',
    count,
    locations: [prefix, `cifar10.1/${prefix}`, `CIFAR-10.1/datasets/${prefix}`],
    downloads: [
      { url: `${CIFAR101_BASE}/${prefix}_data.npy`, fileName: `${prefix}_data.npy`, checksumSource: NO_CIFAR101_CHECKSUM, unpack: false },
      {
        url: `${CIFAR101_BASE}/${prefix}_labels.npy`,
        fileName: `${prefix}_labels.npy`,
        sha256: labelsSha256,
        bytes: 128 + 4 * count,
        checksumSource: LABELS_CHECKSUM,
        unpack: false,
      },
    ],
    homepage: 'https://github.com/modestyachts/CIFAR-10.1',
    license: 'code MIT; images under the Tiny Images terms (research use)',
  };
}

function imagenetv2(name: string, file: string, title: string, sha256: string, bytes: number): DatasetSpec {
  const folder = `${file}-format-val`;
  return {
    name,
    title,
    layout: 'index-folders',
    classes: 'imagenet',
    count: 10_000,
    locations: [folder, file, `imagenetv2/${folder}`],
    downloads: [{ url: `${IMAGENETV2_BASE}/${file}.tar.gz`, fileName: `${file}.tar.gz`, sha256, bytes, checksumSource: TFDS_CHECKSUM, unpack: true }],
    homepage: 'https://github.com/modestyachts/ImageNetV2',
    license: "MIT (dataset release); images from Flickr under their owners' terms",
  };
}

export const DATASETS: readonly DatasetSpec[] = [
  {
    name: 'cifar10-test',
    title: 'CIFAR-10 test set: 10,000 32×32 images, 10 classes (Krizhevsky 2009)',
    layout: 'cifar-bin',
    classes: 'cifar10',
    count: 10_000,
    locations: ['cifar-10-batches-bin/test_batch.bin', 'test_batch.bin', 'cifar10/cifar-10-batches-bin/test_batch.bin'],
    downloads: [
      {
        url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
        fileName: 'cifar-10-binary.tar.gz',
        md5: 'c32a1d4ab5d03f1284b67883e8d87530',
        checksumSource: 'md5 published on the CIFAR page (https://www.cs.toronto.edu/~kriz/cifar.html)',
        unpack: true,
      },
    ],
    placedCheck: {
      bytes: 30_730_000,
      labelsSha256: 'cec8a24a1e92aa2ecaa0bbd3dbfa86bf6cd8759fbd209a832824c8cf0afca9d5',
      leadingRecords: 1000,
      leadingSha256: '8314c96d7cd65618193bab23acdd5d4c4af15bf6dd00a1781d55beedf3be1ef5',
      source:
        "the official labels (test_labels_official.npy) and the first 1,000 records of the official test_batch.bin, pixel-exact (../shared/data/cifar10/test_batch_first1000.bin); the full file's checksum is not published",
    },
    homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
    license: 'no explicit license; cite Krizhevsky 2009',
  },
  cifar101('v4', 2021, '1f9544300ded199539b6662364ce7fe6c2e1ea9f87408f06db4b1a6184cffb18'),
  cifar101('v6', 2000, 'ae40beda001693674edc94d925ee8268cfe68905f8f9aff800c8dcdfcd6c9448'),
  {
    name: 'imagenet-val',
    title: 'ImageNet (ILSVRC2012) validation set: 50,000 images, 1,000 classes',
    layout: 'wnid-folders',
    classes: 'imagenet',
    count: 50_000,
    locations: ['imagenet-val', 'imagenet/val', 'ILSVRC2012_img_val'],
    downloads: [],
    manual:
      'ImageNet cannot be downloaded by retest: its terms require each user to sign up. Download ILSVRC2012_img_val.tar from https://image-net.org/download-images (after accepting the terms), ' +
      'unpack it and sort the 50,000 images into one folder per wnid (n01440764/ILSVRC2012_val_00000293.JPEG …; e.g. with the widely used valprep.sh), ' +
      'then put that folder at <data-dir>/imagenet-val or <cache>/imagenet-val (or pass its path instead of the name).',
    homepage: 'https://image-net.org/challenges/LSVRC/2012/',
    license: 'ImageNet terms of access (non-commercial research)',
  },
  imagenetv2(
    'imagenetv2-matched-frequency',
    'imagenetv2-matched-frequency',
    'ImageNetV2 MatchedFrequency: 10,000 new ImageNet test images, 10 per class (Recht et al. 2019)',
    'f0c37fdf925916b19ea1323cd9a2208cdb6959ba2c32eef2a7fc393835c9ca7c',
    1_264_079_360,
  ),
  imagenetv2(
    'imagenetv2-threshold0.7',
    'imagenetv2-threshold0.7',
    'ImageNetV2 Threshold0.7: 10,000 images with selection frequency ≥ 0.7',
    '32142bfe998f9cfa4141be691f6a80eeb1e27b24bd532a668eb08c26d98897a2',
    1_249_906_176,
  ),
  imagenetv2(
    'imagenetv2-top-images',
    'imagenetv2-top-images',
    'ImageNetV2 TopImages: the 10 images per class with the highest selection frequency',
    '85e4ace30f3f0d660152062254b8759dda66267b27f7ec0fd8d5768f1073a04b',
    1_245_927_936,
  ),
];

/** The registry entry called `name`, or undefined. */
export function findDataset(name: string): DatasetSpec | undefined {
  return DATASETS.find((spec) => spec.name === name);
}

/** The registry names, in registry order. */
export function datasetNames(): string[] {
  return DATASETS.map((spec) => spec.name);
}
