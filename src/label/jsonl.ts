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
import { dataError } from '../core/index.ts';
import { parseJson } from '../core/parse.ts';
import type { ImportedAssignment, LabelStore, RecordReport } from './types.ts';
import { hashWorkerId } from './worker-hash.ts';

export const answerLineSchema = z
  .object({
    task_id: z.string().min(1),
    worker_id: z.string().min(1).optional(),
    worker_hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
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

/**
 * Imports a JSONL answers file; every line is checked (`answerLineSchema`, through
 * src/core/parse.ts: one error naming the file, the line and every problem found) and every task
 * looked up before anything is written.
 */
export async function importAnswersJsonl(
  label: LabelStore,
  file: string,
  options: { salt: string; now?: Date | string },
): Promise<RecordReport & { rows: number }> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const parsed: { line: number; value: AnswerLine }[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    parsed.push({
      line: i + 1,
      value: parseJson(text, answerLineSchema, {
        file,
        record: `line ${i + 1}`,
        what: 'an answer line',
        hint: 'see docs/labelling-and-sampling.md for the JSONL fields',
      }),
    });
  });
  const known = await label.taskTokens(parsed.map((p) => p.value.task_id));
  const records: ImportedAssignment[] = parsed.map(({ line, value: v }) => {
    if (!known.has(v.task_id)) throw dataError('unknown task', { file, record: `line ${line}`, field: 'task_id', received: JSON.stringify(v.task_id) });
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
    return r;
  });
  return { rows: records.length, ...(await label.recordAssignments(records, options.now ?? new Date())) };
}
