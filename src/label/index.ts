export * from './types.ts';
export { labelMigrations, adaptiveMigrations } from './schema.ts';
export { LabelError, isLabelError } from './errors.ts';
export { hashWorkerId } from './worker-hash.ts';
export { createLabelStore } from './sql-label-store.ts';
export { referenceHistograms } from './reference-histograms.ts';
// The paper's bins live in core (one definition for label, sample, plan and the server); re-exported for label's callers.
export { frequencyBin } from '../core/frequency-bins.ts';
export { planClassTasks, DEFAULT_TASK_SHAPE, type TaskShape, type ClassPool, type PlannedTask, type ClassTaskReport } from './compose-tasks.ts';
export { createTasks, readPools, type CreateTasksOptions, type CreateTasksReport } from './create-tasks.ts';
export { recordAssignments, type ImportedAssignment, type RecordReport } from './record-assignments.ts';
export { exportMturk, importMturkResults, externalQuestionXml, imageUrl, mturkTime, type MturkExportOptions } from './mturk.ts';
export { importAnswersJsonl, answerLineSchema, type AnswerLine } from './jsonl.ts';
export { importVoteCounts, type VoteCountOptions } from './vote-counts.ts';
export { fitFrequencyPrior, misplacementProbability, binAgainst, type FrequencyPrior } from './frequency-prior.ts';
export {
  allocateFollowUps,
  canChangeBin,
  DEFAULT_ADAPTIVE,
  type ImageTally,
  type AdaptiveOptions,
  type FollowUp,
  type Allocation,
} from './adaptive-allocation.ts';
export { createAdaptiveTasks, readTallies, composeFollowUps, type AdaptiveTasksOptions, type AdaptiveRoundReport } from './adaptive-tasks.ts';
