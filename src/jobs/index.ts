export type * from './types.ts';
export { inProcessRunner, type InProcessOptions } from './in-process-runner.ts';
export { queueRunner, startQueueWorker, parseQueueUrl, QUEUE_NAME, type QueueWorker, type QueueWorkerOptions, type QueueLocation } from './queue-runner.ts';
export { groupState, flattenJobs, newGroupId } from './group.ts';
