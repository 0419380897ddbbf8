export type * from './types.ts';
export { IMAGENET_AUTHOR_NAMES, CIFAR_AUTHOR_NAMES, PAPER_PAIRS, originalOf, pairTitle } from './canonical-names.ts';
export { readImagenetV2Predictions, readImagenetV2Dataset, readClassInfo, readTopkNpy, imageStem, type ImagenetV2Options } from './imagenetv2.ts';
export { readCifar101Predictions, readCifarLabels, readCifarPredictionsJson, type Cifar101Options } from './cifar101.ts';
export { normalizeTopkOrder, columnHits, type TopkOrder } from './topk-order.ts';
export { writeImportBatch, countCorrect, type WriteOptions } from './write-batch.ts';
export { loadPublished, publishedCsvPath, PUBLISHED_CITATION } from './published.ts';
export { readGenericPredictions, readLabels, topkFromLogits, type GenericOptions } from './generic.ts';
export { readFrequencies } from './frequencies.ts';
export { IMPORTERS, importerFor, type PredictionImporter, type ImportRequest } from './importers.ts';
export {
  readAccuracyTable,
  parseAccuracyCell,
  testSetSize,
  type AccuracyTable,
  type AccuracyTableOptions,
  type AccuracyColumn,
  type AccuracyEntry,
  type AccuracyCell,
} from './accuracy-table.ts';
export { writeAccuracyTables, type AccuracyWriteSummary } from './write-accuracies.ts';
export { PUBLISHED_TABLES, publishedTable, loadPublishedTables, timmFiles, publishedDir, TIMM_SOURCE, type PublishedTable } from './published-tables.ts';
