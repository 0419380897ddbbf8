/**
 * Finished assignments made elsewhere (MTurk batch results, a JSONL file, aggregated vote counts)
 * stored as answers: `LabelStore.recordAssignments`, one transaction on either backend.
 */
import type { ImportedAssignment, Instant, LabelStore, RecordReport } from './types.ts';

export type { ImportedAssignment, RecordReport } from './types.ts';

/**
 * Stores finished assignments in one transaction; idempotent per (source, externalId): a repeated
 * import updates only the status (e.g. a later MTurk download after approving). The stored id is
 * `<source>:<externalId>`. A token or image id outside the task is an error (LabelError 'bad-item').
 */
export function recordAssignments(label: LabelStore, records: Iterable<ImportedAssignment>, now: Instant = new Date()): Promise<RecordReport> {
  return label.recordAssignments([...records], now);
}
