export type * from './types.ts';
export { DATASETS, findDataset, datasetNames } from './registry.ts';
export { resolveDataset, locateDataset, loadNamed, loadPath, missingDatasetError } from './resolve.ts';
export { fetchDataset, type FetchOptions, type FetchResult, type FetchedFile } from './fetch.ts';
export { datasetCacheDir, readMarker, readRecordedChecksums, MARKER_FILE, CHECKSUMS_FILE, type DatasetMarker } from './cache.ts';
export { imagenetClassList, cifar10ClassNames } from './class-lists.ts';
export { FileHashCache, openFileHashCache, FILE_HASHES_DB } from './file-hash-store.ts';
export { datasetContentHash, type ContentSource } from './identity.ts';
export { verifyDataset } from './verify.ts';
