export type * from './types.ts';
export { inProcessRunner, type InProcessOptions } from './in-process-runner.ts';
export { queueRunner, startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './queue-runner.ts';
export { parseQueueUrl, QUEUE_NAME, type QueueLocation } from './queue-url.ts';
export { groupState, flattenJobs, newGroupId } from './group.ts';
export { jobHandlers, type HandlerServices } from './handlers.ts';
export {
  searchFromCli,
  planDedupSearch,
  runDedupSearch,
  runDedupMerge,
  mergedNeighbours,
  searchThroughRunner,
  jobsDidNotFinish,
  type DedupSearchJob,
  type DedupMergeJob,
  type DedupPartial,
  type DedupMerged,
  type DedupPlanInput,
  type QueuedSearchInput,
} from './dedup-jobs.ts';
export { fileRef, openFileRef, locateDataRef, relativeToDataDir, checkIdentity, fileIdentity, type DataRef } from './data-ref.ts';
export { progressLine, terminalGroupProgress } from './progress.ts';
export {
  planEval,
  runEvalShard,
  runEvalFinish,
  evalFromCli,
  type EvalShardJob,
  type EvalFinishJob,
  type EvalShardResult,
  type EvalPlan,
  type EvalPlanInput,
  type EvalFromCliInput,
} from './eval-job.ts';
export {
  planDescribe,
  runDescribeShard,
  runDescribeFinish,
  openVectorFile,
  describeThroughRunner,
  type DescribeShardJob,
  type DescribeFinishJob,
  type VectorManifest,
  type QueuedDescribeInput,
} from './describe-jobs.ts';
export { runIngestBatch, ingestThroughRunner, ingestFromCli, type IngestBatchJob, type IngestBatchResult, type QueuedIngestInput } from './ingest-jobs.ts';
