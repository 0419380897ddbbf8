/**
 * The JSONL answer form: one finished assignment per line, for annotations collected elsewhere.
 *
 * {"task_id": "…", "worker_id": "raw id (hashed on import)" | "worker_hash": "…",
 *  "assignment_id": "unique id", "status": "submitted"|"approved"|"rejected" (default submitted),
 *  "accepted_at"?: ISO, "submitted_at"?: ISO,
 *  "selected": [tokens] | "selected_image_ids": [image ids],
 *  "answered_image_ids"?: [image ids]  (default: every item of the task)}
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError, type RetestErrorDetails } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { recordAssignments, type ImportedAssignment, type RecordReport } from './record-assignments.ts';
import { hashWorkerId } from './worker-hash.ts';

export const answerLineSchema = z
  .object({
    task_id: z.string().min(1),
    worker_id: z.string().min(1).optional(),
    worker_hash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    assignment_id: z.string().min(1),
    status: z.enum(['submitted', 'approved', 'rejected']).default('submitted'),
    accepted_at: z.iso.datetime({ offset: true }).optional(),
    submitted_at: z.iso.datetime({ offset: true }).optional(),
    selected: z.array(z.string()).optional(),
    selected_image_ids: z.array(z.string()).optional(),
    answered_image_ids: z.array(z.string()).optional(),
  })
  .refine((v) => (v.worker_id === undefined) !== (v.worker_hash === undefined), { message: 'give exactly one of worker_id and worker_hash' })
  .refine((v) => (v.selected === undefined) !== (v.selected_image_ids === undefined), { message: 'give exactly one of selected and selected_image_ids' });

export type AnswerLine = z.infer<typeof answerLineSchema>;

/** Imports a JSONL answers file; every line is validated before anything is written. */
export function importAnswersJsonl(db: Db, file: string, options: { salt: string; now?: Date | string }): RecordReport & { rows: number } {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const records: ImportedAssignment[] = [];
  const known = db.prepare('SELECT 1 FROM tasks WHERE id = ?');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let json: unknown;
    try { json = JSON.parse(text); } catch (cause) { throw dataError('not a JSON object', { file, record: `line ${i + 1}`, cause, received: text.slice(0, 80) }); }
    const parsed = answerLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const details: RetestErrorDetails = { file, record: `line ${i + 1}`, hint: 'see docs/labelling-and-sampling.md for the JSONL fields' };
      if (issue.path.length > 0) details.field = issue.path.join('.');
      throw dataError(`invalid answer line: ${issue.message}`, details);
    }
    const v = parsed.data;
    if (!known.get(v.task_id)) throw dataError('unknown task', { file, record: `line ${i + 1}`, field: 'task_id', received: JSON.stringify(v.task_id) });
    const r: ImportedAssignment = {
      taskId: v.task_id,
      workerHash: v.worker_hash ?? hashWorkerId(options.salt, v.worker_id!),
      source: 'import',
      externalId: v.assignment_id,
      status: v.status,
    };
    if (v.selected) r.selectedTokens = v.selected;
    if (v.selected_image_ids) r.selectedImageIds = v.selected_image_ids;
    if (v.answered_image_ids) r.answeredImageIds = v.answered_image_ids;
    if (v.accepted_at) r.claimedAt = new Date(v.accepted_at).toISOString();
    if (v.submitted_at) r.submittedAt = new Date(v.submitted_at).toISOString();
    records.push(r);
  });
  return { rows: records.length, ...recordAssignments(db, records, options.now ?? new Date()) };
}
