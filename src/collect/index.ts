export type {
  Candidate,
  CandidateContent,
  CandidateSource,
  SourceContext,
  SourceFailure,
  IngestOptions,
  IngestSummary,
  StoredContent,
  StoreTarget,
} from './types.ts';
export { candidateId, linkedCandidateId } from './identity.ts';
export { parseDateWindow, unixBounds, mysqlBounds, type DateWindow } from './dates.ts';
export { queriesForClass, splitQuota, type KeywordOptions } from './keywords.ts';
export {
  FlickrClient,
  flickrSource,
  largestUrl,
  flickrDates,
  FLICKR_REST_URL,
  FLICKR_EXTRAS,
  type FlickrClientOptions,
  type FlickrSourceOptions,
  type FlickrPage,
  type FlickrPhoto,
  type FlickrSearchParams,
} from './flickr.ts';
export { folderSource, listImages, FOLDER_IMAGE_EXTENSIONS, type FolderSourceOptions } from './folder.ts';
export { urlListSource, type UrlListSourceOptions } from './urls.ts';
export { arrayCandidateSource, type ArrayCandidateSourceOptions } from './arrays.ts';
export { ingest, storeCandidate, ingestFailureReason, isIngested } from './ingest.ts';
export { collectStatus, statusFromCounts, listIngestFailures, type CollectStatus } from './status.ts';
export {
  allocateKeywords,
  sharedKeywords,
  drawFromPool,
  readKeywordCounts,
  readKeywordPool,
  type KeywordCount,
  type KeywordShare,
  type OriginalKeywordCounts,
  type ClassKeywordAllocation,
  type KeywordAllocationOptions,
  type PoolImage,
  type PoolDraw,
} from './keyword-allocation.ts';
