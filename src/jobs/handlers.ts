/**
 * Every job kind retest runs, by name: what a `retest worker` (or the in-process runner) executes.
 */
import type { ResultsStore } from '../results/index.ts';
import { runDedupMerge, runDedupSearch, type DedupMergeJob, type DedupSearchJob } from './dedup-jobs.ts';
import { runDescribeFinish, runDescribeShard, type DescribeFinishJob, type DescribeShardJob } from './describe-jobs.ts';
import { runIngestBatch, type IngestBatchJob } from './ingest-jobs.ts';
import { runEvalFinish, runEvalShard, type EvalFinishJob, type EvalShardJob } from './eval-job.ts';
import type { JobHandlers } from './types.ts';

/** What handlers need from the process that runs them. */
export interface HandlerServices {
  /** The results store (`--db`), opened on first use and kept open. */
  results(): Promise<ResultsStore>;
  /** onnxruntime / search threads per job (default 1). */
  threads?: number;
}

export function jobHandlers(services: HandlerServices): JobHandlers {
  const threads = services.threads ?? 1;
  return {
    'dedup-search': (data: DedupSearchJob, context) => runDedupSearch({ ...data, threads: data.threads ?? threads }, context),
    'dedup-merge': (data: DedupMergeJob, context) => runDedupMerge(data, context),
    'eval-shard': (data: EvalShardJob, context) => runEvalShard(data, context, { results: services.results, threads }),
    'eval-finish': (data: EvalFinishJob, context) => runEvalFinish(data, context, services),
    'describe-shard': (data: DescribeShardJob, context) => runDescribeShard(data, context),
    'describe-finish': (data: DescribeFinishJob, context) => runDescribeFinish(data, context),
    'ingest-batch': (data: IngestBatchJob, context) => runIngestBatch(data, context),
    /** Does nothing: probes the queue's dispatch latency (bench:distributed) and whether workers answer. */
    noop: async () => null,
  } as JobHandlers;
}
