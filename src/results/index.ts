export type * from './types.ts';
export { createResultsStore, countBatch } from './sql-store.ts';
export { RESULTS_MIGRATIONS } from './schema.ts';
export { datasetFingerprint, canonicalJson, configHash, archivedName } from './identity.ts';
export { thisProcess, ownerIsGone } from './owner.ts';
