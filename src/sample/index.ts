export * from './types.ts';
export { sampleMigrations } from './schema.ts';
export { roundHistogram, binOf, type HistogramRounding } from './largest-remainder.ts';
export { matchedFrequency, matchedFrequencyStrategy, DEFAULT_BINS } from './matched-frequency.ts';
export { threshold, thresholdStrategy } from './threshold.ts';
export { topImages, topImagesStrategy } from './top-images.ts';
export { eligibility, type EligibilityOptions, type EligibilityReport } from './eligibility.ts';
export { addToBlacklist, removeFromBlacklist, listBlacklist } from './blacklist.ts';
export { createRevision, getRevision, listRevisions, runStrategy, samplingInput, type CreateRevisionOptions, type Revision, type StrategyChoice } from './revisions.ts';
