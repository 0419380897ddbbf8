export * from './types.ts';
export { sampleMigrations } from './schema.ts';
export { roundHistogram, type HistogramRounding } from './largest-remainder.ts';
export { matchedFrequency, matchedFrequencyStrategy } from './matched-frequency.ts';
export { threshold, thresholdStrategy } from './threshold.ts';
export { topImages, topImagesStrategy } from './top-images.ts';
export { eligibility, readEligibilityInput, type EligibilityInput, type EligibilityOptions, type EligibilityReport } from './eligibility.ts';
export { addToBlacklist, removeFromBlacklist, listBlacklist } from './blacklist.ts';
export {
  createRevision,
  getRevision,
  listRevisions,
  runStrategy,
  samplingInput,
  type CreateRevisionOptions,
  type SamplingStores,
  type StrategyChoice,
} from './revisions.ts';
export { createSampleStore } from './sql-sample-store.ts';
