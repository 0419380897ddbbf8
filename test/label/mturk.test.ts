import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { isRetestError } from '../../src/core/index.ts';
import { createTasks, exportMturk, hashWorkerId, importAnswersJsonl, importMturkResults, mturkTime } from '../../src/label/index.ts';
import { workspaceWithImages, on, labelOf } from './fixtures.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'retest-mturk-'));

async function setup() {
  const ws = await workspaceWithImages({ candidates: { 0: 42 }, references: { 0: 3, 8: 3 } });
  await createTasks(...on(ws), { seed: 1, shape: { referenceImages: 1, assignmentsPerTask: 2 } });
  const task = (await ws.sql.get<{ id: string }>("SELECT id FROM tasks WHERE kind = 'main'"))!;
  const items = await ws.sql.all<{
    position: number;
    image_id: string;
    role: string;
    token: string;
  }>('SELECT position, image_id, role, token FROM task_items WHERE task_id = ? ORDER BY position', [task.id]);
  return { ws, taskId: task.id, items };
}

describe('MTurk export', () => {
  it('writes one HIT row per task with opaque image URLs, the layout and the ExternalQuestion XML', async () => {
    const { ws, taskId, items } = await setup();
    const out = tmp();
    const r = await exportMturk(...on(ws), out, { baseUrl: 'https://bucket.example.org/hits/', serverUrl: 'https://label.example.org', kind: 'main' });
    expect(r).toMatchObject({ tasks: 1, images: 0 });
    const rows = parse(readFileSync(join(out, 'hits.csv')), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ task_id: taskId, kind: 'main', class_index: '0', class_id: 'airplane', items: '48' });
    expect(rows[0]!.image_1).toBe(`https://bucket.example.org/hits/${items[0]!.token}.jpg`);
    expect(rows[0]!.image_48).toBe(`https://bucket.example.org/hits/${items[47]!.token}.jpg`);
    expect(JSON.stringify(rows[0])).not.toMatch(/c0-|r0-|r8-|positive|negative/); // nothing reveals controls
    const xml = readFileSync(join(out, 'external-question.xml'), 'utf8');
    expect(xml).toContain('<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd">');
    expect(xml).toContain('<ExternalURL>https://label.example.org/mturk</ExternalURL>');
    expect(readFileSync(join(out, 'hit-layout.html'), 'utf8')).toContain('name="item_48"');
    await expect(exportMturk(...on(ws), tmp(), { baseUrl: 'ftp://x' })).rejects.toThrow(/https/);
    expect(readdirSync(out).sort()).toEqual(['external-question.xml', 'hit-layout.html', 'hits.csv']);
  });
});

describe('MTurk batch results import', () => {
  const header = [
    'HITId',
    'HITTypeId',
    'Title',
    'AssignmentId',
    'WorkerId',
    'AssignmentStatus',
    'AcceptTime',
    'SubmitTime',
    'WorkTimeInSeconds',
    'Input.task_id',
    ...Array.from({ length: 48 }, (_, i) => `Answer.item_${i + 1}.on`),
  ];
  const row = (taskId: string, assignmentId: string, worker: string, status: string, selected: number[]) => [
    '3HIT',
    '3TYPE',
    'Select images',
    assignmentId,
    worker,
    status,
    'Wed Mar 04 10:12:31 PST 2020',
    'Wed Mar 04 10:14:01 PST 2020',
    '90',
    taskId,
    ...Array.from({ length: 48 }, (_, i) => (selected.includes(i + 1) ? 'true' : 'false')),
  ];

  it('stores hashed workers, times, selections; re-import only updates statuses', async () => {
    const { ws, taskId, items } = await setup();
    const file = join(tmp(), 'Batch_1_batch_results.csv');
    writeFileSync(file, stringify([header, row(taskId, 'ASSIGN1', 'A1WORKER', 'Submitted', [1, 2]), row(taskId, 'ASSIGN2', 'A2WORKER', 'Submitted', [1])]));
    const salt = await labelOf(ws).workerSalt();
    const r = await importMturkResults(labelOf(ws), file, { salt });
    expect(r).toMatchObject({ rows: 2, inserted: 2, answers: 96, statusChanged: 0 });
    const a = await ws.sql.get("SELECT * FROM assignments WHERE id = 'mturk:ASSIGN1'");
    expect(a).toMatchObject({
      worker_hash: hashWorkerId(salt, 'mturk:A1WORKER'),
      status: 'submitted',
      source: 'mturk',
      claimed_at: '2020-03-04T18:12:31.000Z',
      submitted_at: '2020-03-04T18:14:01.000Z',
    });
    expect(JSON.stringify(await ws.sql.all('SELECT * FROM assignments'))).not.toContain('A1WORKER');
    const f = await labelOf(ws).frequencies({ minAnswers: 2, includeNegatives: true });
    expect(f.find((x) => x.imageId === items[0]!.image_id)).toMatchObject({ selected: 2, answers: 2 });
    expect(f.find((x) => x.imageId === items[1]!.image_id)).toMatchObject({ selected: 1, answers: 2 });
    expect(f.find((x) => x.imageId === items[2]!.image_id)).toMatchObject({ selected: 0, answers: 2 });
    expect(await ws.sql.get('SELECT external_id FROM tasks WHERE id = ?', [taskId])).toEqual({ external_id: '3HIT' });

    writeFileSync(file, stringify([header, row(taskId, 'ASSIGN1', 'A1WORKER', 'Approved', [1, 2]), row(taskId, 'ASSIGN2', 'A2WORKER', 'Rejected', [1])]));
    expect(await importMturkResults(labelOf(ws), file, { salt })).toMatchObject({ inserted: 0, statusChanged: 2, answers: 0 });
    expect((await labelOf(ws).frequencies({ minAnswers: 1 })).find((x) => x.imageId === items[1]!.image_id)).toMatchObject({ selected: 1, answers: 1 });
  });

  it('names the line and column of a bad row', async () => {
    const { ws, taskId } = await setup();
    const file = join(tmp(), 'bad.csv');
    writeFileSync(file, stringify([header, row(taskId, 'A', 'W', 'Submitted', []), row(taskId, 'B', 'W2', 'Pending', [])]));
    try {
      await importMturkResults(labelOf(ws), file, { salt: 's' });
      expect.unreachable();
    } catch (e) {
      expect(isRetestError(e) && e.record === 'line 3' && e.field === 'AssignmentStatus').toBe(true);
    }
    expect(await ws.sql.get('SELECT COUNT(*) AS n FROM assignments')).toEqual({ n: 0 }); // nothing written
  });

  it('parses MTurk times', async () => {
    expect(mturkTime('Sun Jul 01 23:59:59 PDT 2018')).toBe('2018-07-02T06:59:59.000Z');
    expect(mturkTime('2019-12-01T12:00:00Z')).toBe('2019-12-01T12:00:00.000Z');
    expect(mturkTime('')).toBeUndefined();
  });
});

describe('JSONL answers import', () => {
  it('imports by token or image id, hashes raw worker ids and validates every line', async () => {
    const { ws, taskId, items } = await setup();
    const file = join(tmp(), 'answers.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ task_id: taskId, worker_id: 'alice', assignment_id: 'x1', selected: [items[0]!.token] }),
        JSON.stringify({
          task_id: taskId,
          worker_id: 'bob',
          assignment_id: 'x2',
          status: 'approved',
          selected_image_ids: [items[0]!.image_id, items[3]!.image_id],
          answered_image_ids: [items[0]!.image_id, items[3]!.image_id],
        }),
        '',
      ].join('\n'),
    );
    const r = await importAnswersJsonl(labelOf(ws), file, { salt: await labelOf(ws).workerSalt() });
    expect(r).toMatchObject({ rows: 2, inserted: 2, answers: 50 });
    const f = await labelOf(ws).frequencies({ minAnswers: 0, includeNegatives: true });
    expect(f.find((x) => x.imageId === items[0]!.image_id)).toMatchObject({ selected: 2, answers: 2 });
    expect(f.find((x) => x.imageId === items[1]!.image_id)).toMatchObject({ selected: 0, answers: 1 });

    writeFileSync(file, `${JSON.stringify({ task_id: taskId, worker_id: 'carol', assignment_id: 'x3' })}\n`);
    await expect(importAnswersJsonl(labelOf(ws), file, { salt: 's' })).rejects.toThrow(/exactly one of selected/);
  });
});
