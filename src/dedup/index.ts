export type * from './types.ts';
export { dedupMigrations } from './schema.ts';
export { pixelsDescriptor, standardizedPixelsDescriptor, standardize, type PixelsOptions } from './pixels-descriptor.ts';
export { onnxFeaturesDescriptor, withExtraOutput, listTensors, type OnnxFeaturesOptions } from './onnx-features.ts';
export { parseDescriptor, DESCRIPTOR_FORMS } from './descriptor-spec.ts';
export { ssim, dssim, ssimWindow } from './ssim.ts';
export { dssimRerank } from './dssim-rerank.ts';
export { resampleBatch, resampleToFloat, imageAt } from './resample.ts';
export { memoryVectors, fileVectors, writeVectorFile, readRows, vectorRow } from './vector-source.ts';
export { exactKnn, exactDistance, defaultWorkers } from './exact-knn.ts';
export {
  createDotKernel,
  onnxDotKernel,
  jsDotKernel,
  gemmGraphBytes,
  onnxByteKernel,
  prepareByteShard,
  byteGemmGraphBytes,
  maxExactByteDimension,
  type DotKernel,
  type ByteDotKernel,
  type ByteKernelKind,
  type ByteShard,
} from './dot-kernel.ts';
export {
  chooseByteKernel,
  checkByteKernel,
  worstCaseBlocks,
  BYTE_KERNEL_ORDER,
  KERNEL_NAMES,
  type ByteKernelChoice,
  type ByteKernelFactory,
} from './kernel-check.ts';
export { TopK } from './top-k.ts';
export { approximateKnn, recallAtK, type ApproximateOptions, type ApproximateResult } from './approximate-knn.ts';
export { openImageSource, arraySource, fileSource, type ImageSource, type OpenSourceOptions } from './image-source.ts';
export { searchSources, approximateSearchSources, describeSource, type SearchOptions, type SearchResult } from './search.ts';
export {
  openArraySearchSources,
  searchArraySources,
  sampleRecall,
  sourceLabel,
  writeSearchSheets,
  type ArraySearchSources,
  type ArraySearchOptions,
  type ArraySearchStep,
} from './array-search.ts';
export { writeContactSheet, renderContactSheet, closestPairs, type SheetPair } from './contact-sheet.ts';
export { PAPER_THRESHOLDS, PIXELS_STD_THRESHOLD, REVIEW_TOP, defaultThreshold, reviewThreshold } from './thresholds.ts';
export { resolveDuplicates, chooseKeeper, workspaceKey, GOOD_FREQUENCY, type ResolveInput } from './resolve-duplicates.ts';
export {
  recordDecision,
  recordDecisions,
  reviewPairs,
  pendingCandidates,
  duplicateEdges,
  updateDedupStatus,
  currentDecisions,
  canonicalPair,
  unsearchedCandidates,
  listKeepers,
  addKeepers,
  removeKeepers,
} from './review-store.ts';
export { createDedupStore } from './sql-dedup-store.ts';
export { formatDistance } from './format-distance.ts';
export { searchWorkspace, workspaceSource, type WorkspaceSearchOptions, type WorkspaceSearchSummary } from './workspace-search.ts';
