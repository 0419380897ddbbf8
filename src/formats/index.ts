export type * from './types.ts';
export {
  readCifarBin,
  writeCifarBin,
  parseCifarBin,
  encodeCifarBin,
  cifarBatchFiles,
  CIFAR_RECORD_BYTES,
  CIFAR_BATCH_FILES,
  CIFAR10_CLASS_NAMES,
  type ReadCifarBinOptions,
} from './cifar-bin.ts';
export { parseNpy, readNpy, writeNpy, encodeNpy, encodeNpyHeader, npyArray, npyToNumbers, npyDtypeName, NPY_DTYPES } from './npy.ts';
export { NpyFileWriter } from './npy-writer.ts';
export { readCifar101, writeCifar101, cifar101Files, cifar101Prefix } from './cifar101.ts';
export { readImageFolder, compareFileNames, IMAGE_EXTENSIONS, type ReadImageFolderOptions } from './image-folder.ts';
export { readDatasetDefinition, parseDatasetDefinition } from './dataset-definition.ts';
export { writeFileAtomic } from './write-atomic.ts';
export * from './image-io.ts';
