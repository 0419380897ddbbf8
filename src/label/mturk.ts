/**
 * MTurk interchange (DESIGN §1.3): the HIT input CSV (one row per task: the class's names and
 * definition, and one opaque image URL per item), the images renamed to their opaque tokens for a
 * static host (the original used encrypted file names on S3), a HIT layout for the requester UI, an
 * ExternalQuestion XML for HITs served by `retest serve` (its /mturk route assigns tasks itself),
 * and import of the batch results CSV that MTurk's requester UI downloads.
 *
 * MTurk WorkerIds are hashed as `hashWorkerId(salt, "mturk:" + WorkerId)`, the same id the server's
 * MTurk mode uses, so one worker has one hash whichever way their answers arrive.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { dataError, parseCsv, readTextFile, usageError } from '../core/index.ts';
import { parseJson } from '../core/parse.ts';
import type { ImportedAssignment, LabelSources, LabelStore, RecordReport } from './types.ts';
import { hashWorkerId } from './worker-hash.ts';

/** Options of `exportMturk`. */
export interface MturkExportOptions {
  /** Public URL prefix the images are served from, e.g. https://my-bucket.s3.amazonaws.com/hits (the HIT CSV uses `<baseUrl>/<token>.jpg`). */
  baseUrl: string;
  /** URL of `retest serve` for the ExternalQuestion (default: baseUrl's origin). */
  serverUrl?: string;
  /** The workspace folder: when given, the display copies are written to `<out>/images/<token>.jpg` for upload. */
  workspaceDir?: string;
  /** Only tasks of this kind. */
  kind?: 'main' | 'reference';
  /** Only tasks with fewer than N submitted/approved assignments (default true). */
  onlyOpen?: boolean;
}

export const EXTERNAL_QUESTION_NS = 'http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd';

/** Public URL of an item's image: `<baseUrl>/<token>.jpg`. */
export function imageUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(token)}.jpg`;
}

/** The ExternalQuestion XML for HITs served by `retest serve`: `<serverUrl>/mturk`; MTurk appends assignmentId, hitId, workerId, turkSubmitTo. */
export function externalQuestionXml(serverUrl: string, frameHeight = 0): string {
  const url = `${serverUrl.replace(/\/+$/, '')}/mturk`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ExternalQuestion xmlns="${EXTERNAL_QUESTION_NS}">\n  <ExternalURL>${escapeXml(url)}</ExternalURL>\n  <FrameHeight>${frameHeight}</FrameHeight>\n</ExternalQuestion>\n`;
}

/**
 * Writes `hits.csv` (columns task_id, kind, class_index, class_id, names, definition, urls, items,
 * image_1…image_K; K = the largest task), `hit-layout.html` (a requester-UI layout whose checkboxes
 * `item_1…item_K` come back as `Answer.item_N.on`), `external-question.xml`, and with
 * `workspaceDir` the images as `images/<token>.jpg`. Returns the number of tasks and images written.
 */
export async function exportMturk(
  label: LabelStore,
  sources: LabelSources,
  outDir: string,
  options: MturkExportOptions,
): Promise<{ tasks: number; images: number; files: string[] }> {
  if (!/^https:\/\//.test(options.baseUrl) && !/^http:\/\/(localhost|127\.0\.0\.1)/.test(options.baseUrl)) {
    throw usageError('--base-url must be an https URL (MTurk shows HITs over https)', {
      field: 'base-url',
      received: options.baseUrl,
      expected: 'https://my-bucket.s3.amazonaws.com/hits',
    });
  }
  const tasks = await label.exportTasks({ ...(options.kind ? { kind: options.kind } : {}), onlyOpen: options.onlyOpen ?? true });
  const classes = new Map((await sources.classes()).map((c) => [c.index, c]));
  const displayPaths = options.workspaceDir ? new Map((await sources.images()).map((im) => [im.id, im.displayPath])) : new Map<string, string>();
  const rows: string[][] = [];
  let width = 0;
  let images = 0;
  mkdirSync(outDir, { recursive: true });
  if (options.workspaceDir) mkdirSync(join(outDir, 'images'), { recursive: true });
  for (const t of tasks) {
    const items = t.items;
    width = Math.max(width, items.length);
    const c = classes.get(t.classIdx);
    rows.push([
      t.id,
      t.kind,
      String(t.classIdx),
      c?.id ?? '',
      (c?.names ?? []).join(' or '),
      c?.definition ?? '',
      (c?.urls ?? []).join(' '),
      String(items.length),
      ...items.map((it) => imageUrl(options.baseUrl, it.token)),
    ]);
    if (options.workspaceDir) {
      for (const it of items) {
        const display = displayPaths.get(it.imageId);
        const src = display ? join(options.workspaceDir, display) : '';
        if (!src || !existsSync(src))
          throw dataError('the display copy of a task image is missing', {
            file: src || '(no images row)',
            record: it.token,
            hint: 'run `retest collect` again to re-ingest',
          });
        if (extname(src).toLowerCase() !== '.jpg' && extname(src).toLowerCase() !== '.jpeg') throw dataError('display copies must be JPEG', { file: src });
        copyFileSync(src, join(outDir, 'images', `${it.token}.jpg`));
        images++;
      }
    }
  }
  const header = [
    'task_id',
    'kind',
    'class_index',
    'class_id',
    'names',
    'definition',
    'urls',
    'items',
    ...Array.from({ length: width }, (_, i) => `image_${i + 1}`),
  ];
  writeFileSync(join(outDir, 'hits.csv'), stringify([header, ...rows.map((r) => [...r, ...Array(header.length - r.length).fill('')])]));
  writeFileSync(join(outDir, 'hit-layout.html'), hitLayout(width));
  writeFileSync(join(outDir, 'external-question.xml'), externalQuestionXml(options.serverUrl ?? new URL(options.baseUrl).origin));
  return { tasks: tasks.length, images, files: ['hits.csv', 'hit-layout.html', 'external-question.xml', ...(options.workspaceDir ? ['images/'] : [])] };
}

function hitLayout(width: number): string {
  const cells = Array.from(
    { length: width },
    (_, i) => `    <label class="cell"><img src="\${image_${i + 1}}" alt="image ${i + 1}"><crowd-checkbox name="item_${i + 1}">select</crowd-checkbox></label>`,
  ).join('\n');
  return `<!-- retest HIT layout for the MTurk requester UI. Columns come from hits.csv. -->
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <input type="hidden" name="task_id" value="\${task_id}">
  <h2>Which of these images contain at least one object of type \${names}?</h2>
  <p><b>Definition:</b> \${definition}</p>
  <p>Select an image if it contains the object, regardless of occlusion, other objects, clutter or text in the scene.
  Only select photographs (no drawings or paintings). Reference: \${urls}</p>
  <style>.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}.cell img{max-width:100%;display:block}</style>
  <div class="grid">
${cells}
  </div>
</crowd-form>
`;
}

/** Options of `importMturkResults`. */
export interface MturkImportOptions {
  /** Salt for hashing WorkerIds (the workspace's `LabelStore.workerSalt()`). */
  salt: string;
  /** Used for rows without SubmitTime. */
  now?: Date | string;
}

const TRUE = new Set(['true', 'on', '1', 'yes', 'checked']);
const STATUS: Record<string, ImportedAssignment['status']> = { submitted: 'submitted', approved: 'approved', rejected: 'rejected' };

/**
 * Imports an MTurk batch results CSV. Required columns: HITId, AssignmentId, WorkerId,
 * AssignmentStatus; AcceptTime and SubmitTime are read when present (MTurk writes them like
 * "Wed Mar 04 10:12:31 PST 2020"; ISO is accepted too). The task is `Input.task_id` (from
 * hits.csv), else `Answer.task_id`, else the task whose external_id is the HITId. The selection is
 * read from `Answer.item_N.on` / `Answer.item_N` (1-based positions; true/on/1), or `Answer.selected`
 * (tokens separated by | , or spaces), or `Answer.taskAnswers` (crowd-form JSON). Every problem in
 * the file is a RetestError naming the line and column. Worker ids are stored only as salted hashes
 * of "mturk:<WorkerId>".
 */
export async function importMturkResults(label: LabelStore, file: string, options: MturkImportOptions): Promise<RecordReport & { rows: number }> {
  const table = parseCsv(readTextFile(file, 'MTurk batch results CSV'), file);
  const columns = table.header;
  checkResultColumns(columns, file);
  const rows = table.rows.map((cells) => Object.fromEntries(columns.map((name, c) => [name, cells[c] ?? ''])) as Record<string, string>);
  if (rows.length === 0) return { rows: 0, inserted: 0, statusChanged: 0, unchanged: 0, answers: 0, conflicts: [] };
  const byHit = await label.tasksByExternalId(rows.map((row) => (row.HITId ?? '').trim()));
  const taskIdOf = (row: Record<string, string>) => {
    const given = (row['Input.task_id'] ?? row['Answer.task_id'] ?? '').trim();
    return given !== '' ? given : (byHit.get((row.HITId ?? '').trim()) ?? '');
  };
  const tokens = await label.taskTokens(rows.map(taskIdOf).filter((id) => id !== ''));
  const links: { taskId: string; externalId: string }[] = [];
  const records: ImportedAssignment[] = [];
  rows.forEach((row, i) => {
    const line = `line ${table.lines[i]}`;
    const taskId = taskIdOf(row);
    const hitId = (row.HITId ?? '').trim();
    records.push(assignmentFromRow(row, taskId, tokens.get(taskId), { file, line, salt: options.salt }));
    if (hitId) links.push({ taskId, externalId: hitId });
  });
  await label.linkExternalIds(links);
  return { rows: rows.length, ...(await label.recordAssignments(records, options.now ?? new Date())) };
}

/** The columns MTurk's batch results always have; a file without one of them is not a batch results CSV. */
function checkResultColumns(columns: readonly string[], file: string): void {
  for (const required of ['HITId', 'AssignmentId', 'WorkerId', 'AssignmentStatus']) {
    if (!columns.includes(required))
      throw dataError(`the batch results CSV has no ${required} column`, {
        file,
        record: 'line 1',
        field: required,
        expected: 'MTurk batch results columns HITId, AssignmentId, WorkerId, AssignmentStatus, AcceptTime, SubmitTime, Input.*, Answer.*',
        received: columns.slice(0, 8).join(', '),
        hint: 'download it from the requester UI: Manage → Results → Download CSV',
      });
  }
}

/** One row of the results CSV as an assignment to record; every bad cell is a data error naming the line and column. */
function assignmentFromRow(
  row: Record<string, string>,
  taskId: string,
  taskTokens: string[] | undefined,
  where: { file: string; line: string; salt: string },
): ImportedAssignment {
  const { file, line } = where;
  const hitId = (row.HITId ?? '').trim();
  if (taskId === '' || taskTokens === undefined) {
    throw dataError('the row names no task of this workspace', {
      file,
      record: line,
      field: 'Input.task_id',
      received: JSON.stringify(taskId || hitId),
      hint: 'publish HITs from the hits.csv written by `retest tasks export mturk` (it has a task_id column)',
    });
  }
  const statusText = (row.AssignmentStatus ?? '').trim().toLowerCase();
  const status = STATUS[statusText];
  if (!status)
    throw dataError('unknown AssignmentStatus', {
      file,
      record: line,
      field: 'AssignmentStatus',
      expected: 'Submitted, Approved or Rejected',
      received: JSON.stringify(row.AssignmentStatus),
    });
  const workerId = (row.WorkerId ?? '').trim();
  if (!workerId) throw dataError('empty WorkerId', { file, record: line, field: 'WorkerId' });
  const assignmentId = (row.AssignmentId ?? '').trim();
  if (!assignmentId) throw dataError('empty AssignmentId', { file, record: line, field: 'AssignmentId' });
  const selectedTokens = readSelection(row, taskTokens, file, line);
  const record: ImportedAssignment = {
    taskId,
    workerHash: hashWorkerId(where.salt, `mturk:${workerId}`),
    source: 'mturk',
    externalId: assignmentId,
    status,
    selectedTokens,
  };
  const accept = mturkTime(row.AcceptTime, file, line, 'AcceptTime');
  const submit = mturkTime(row.SubmitTime, file, line, 'SubmitTime');
  if (accept) record.claimedAt = accept;
  if (submit) record.submittedAt = submit;
  return record;
}

/** One answer of a crowd-form `Answer.taskAnswers` cell: `item_N` as true/false or {"on": true|false}, or `selected` as a list of tokens; other keys are ignored. */
const itemAnswer = z.union([z.boolean(), z.looseObject({ on: z.boolean() })]);
const taskAnswerEntry = z.looseObject({ selected: z.array(z.union([z.string(), z.number()])).optional() }).superRefine((entry, ctx) => {
  for (const [key, value] of Object.entries(entry)) {
    if (/^item_\d+$/.test(key) && !itemAnswer.safeParse(value).success)
      ctx.addIssue({ code: 'custom', path: [key], message: 'expected true/false or {"on": true|false}' });
  }
});
/** The `Answer.taskAnswers` cell MTurk's crowd-form writes: one answer object, or a list of them. */
export const taskAnswersSchema = z.union([z.array(taskAnswerEntry), taskAnswerEntry]);

function readSelection(row: Record<string, string>, tokens: string[], file: string, line: string): string[] {
  const selected = new Set<string>();
  let found = false;
  for (const [key, raw] of Object.entries(row)) {
    const m = /^Answer\.item_(\d+)(?:\.on)?$/.exec(key);
    if (!m) continue;
    found = true;
    const position = Number(m[1]) - 1;
    if (!TRUE.has(String(raw).trim().toLowerCase())) continue;
    const token = tokens[position];
    if (token === undefined)
      throw dataError('a selected item position is beyond the task', { file, record: line, field: key, expected: `item_1…item_${tokens.length}` });
    selected.add(token);
  }
  const list = row['Answer.selected'];
  if (list !== undefined) {
    found = true;
    for (const t of list.split(/[|,\s]+/).filter(Boolean)) selected.add(t);
  }
  const json = row['Answer.taskAnswers'];
  if (json !== undefined && json.trim() !== '') {
    found = true;
    const parsed = parseJson(json, taskAnswersSchema, {
      file,
      record: line,
      what: 'Answer.taskAnswers',
      expected: 'crowd-form JSON: [{"item_1": {"on": true}, …}]',
    });
    for (const entry of Array.isArray(parsed) ? parsed : [parsed]) {
      for (const [key, value] of Object.entries(entry)) {
        const on = value === true || (typeof value === 'object' && value !== null && (value as { on?: unknown }).on === true);
        const m = /^item_(\d+)$/.exec(key);
        if (on && m) {
          const t = tokens[Number(m[1]) - 1];
          if (t) selected.add(t);
        }
        if (key === 'selected' && Array.isArray(value)) for (const t of value) selected.add(String(t));
      }
    }
  }
  if (!found)
    throw dataError('the row has no answer columns', {
      file,
      record: line,
      expected: 'Answer.item_N.on columns (hit-layout.html), Answer.selected or Answer.taskAnswers',
      hint: 'use the layout written by `retest tasks export mturk`',
    });
  return [...selected];
}

const ZONES: Record<string, number> = { UTC: 0, GMT: 0, Z: 0, PST: -8, PDT: -7, MST: -7, MDT: -6, CST: -6, CDT: -5, EST: -5, EDT: -4 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses MTurk's "Wed Mar 04 10:12:31 PST 2020" (or ISO-8601) to ISO; undefined for empty cells. */
export function mturkTime(text: string | undefined, file = '', record = '', field = ''): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^\w{3} (\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\w+) (\d{4})$/.exec(text.trim());
  if (m) {
    const month = MONTHS.indexOf(m[1]!);
    const zone = ZONES[m[6]!];
    if (month >= 0 && zone !== undefined) {
      return new Date(Date.UTC(Number(m[7]), month, Number(m[2]), Number(m[3]) - zone, Number(m[4]), Number(m[5]))).toISOString();
    }
  }
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw dataError('not a time', { file, record, field, expected: 'e.g. "Wed Mar 04 10:12:31 PST 2020" or ISO-8601', received: JSON.stringify(text) });
  return new Date(t).toISOString();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
