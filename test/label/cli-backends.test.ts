/**
 * The labelling commands on a SQLite and on a PostgreSQL workspace (`retest init --workspace-db`):
 * tasks create, tasks status, tasks export mturk, answers import jsonl and mturk, frequencies,
 * tasks create --adaptive and plan pilot run on the stores and give the same answers on both
 * (task ids and tokens are random; everything derived from the seed and the answers is equal).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runMain } from '../helpers/main.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import { describeWithPostgres, postgresUrl } from '../helpers/servers.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runMain(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}
afterEach(() => {
  process.exitCode = undefined;
});

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await run([...args, '--json']);
  if (r.code !== 0) throw new Error(`retest ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out.trim().split('\n').pop()!);
}

/** A CIFAR-10 workspace with 50 candidates of classes 0 and 1 and 20 references of 0, 1, 8, 9 (no blobs). */
async function workspace(database?: string): Promise<string> {
  const ws = await createWorkspace(join(mkdtempSync(join(tmpdir(), 'retest-label-be-')), 'ws'), { classes: 'cifar10', ...(database ? { database } : {}) });
  const { catalog } = workspaceStores(ws);
  for (const [role, classes, n] of [
    ['candidate', [0, 1], 50],
    ['reference', [0, 1, 8, 9], 20],
  ] as const) {
    for (const c of classes)
      for (let i = 0; i < n; i++) {
        const id = `${role[0]}${c}-${String(i).padStart(3, '0')}`;
        await catalog.addImage({
          id,
          role,
          classIdx: c,
          source: 'test',
          sourceId: id,
          url: null,
          keyword: null,
          sha256: id,
          exactDuplicateOf: null,
          originalPath: 'o',
          displayPath: 'd',
          squarePath: 's',
          width: 32,
          height: 32,
          uploadedAt: null,
          takenAt: null,
          createdAt: '2026-01-01T00:00:00Z',
          format: 'png',
          bytes: 1,
        });
      }
  }
  const dir = ws.dir;
  await closeWorkspace(ws);
  return dir;
}

/** Workers w0…w(k-1) answer every task (exported to hits.csv); worker w selects image i iff w < yes(i). */
async function answers(dir: string): Promise<string> {
  const ws = await (await import('../../src/app/workspace-stores.ts')).connectWorkspace(dir);
  const tasks = await workspaceStores(ws).label.exportTasks({ onlyOpen: false });
  const ids = new Map((await workspaceStores(ws).label.taskItems()).map((i) => [`${i.taskId}:${i.imageId}`, i.role]));
  await closeWorkspace(ws);
  const yes = (imageId: string, role: string) => (role === 'negative' ? 1 : role === 'positive' ? 9 : (Number(imageId.slice(-2)) % 10) + 1);
  const lines: string[] = [];
  for (const t of tasks)
    for (let w = 0; w < 10; w++) {
      const selected = t.items.filter((i) => w < yes(i.imageId, ids.get(`${t.id}:${i.imageId}`)!)).map((i) => i.token);
      lines.push(JSON.stringify({ task_id: t.id, worker_id: `w${w}`, assignment_id: `${t.id}-${w}`, selected }));
    }
  const file = join(dir, 'answers.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function pipeline(dir: string): Promise<Record<string, unknown>> {
  const w = ['-w', dir];
  const created = await json(['tasks', 'create', '--seed', '3', '--reference-images', '10', ...w]);
  const status = await json(['tasks', 'status', ...w]);
  const exported = await json(['tasks', 'export', 'mturk', join(dir, 'hits'), '--base-url', 'https://b.example.org', '--no-images', ...w]);
  const hits = readFileSync(join(dir, 'hits', 'hits.csv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(',').slice(1, 8).join(','));
  const imported = await json(['answers', 'import', 'jsonl', await answers(dir), ...w]);
  const again = await json(['answers', 'import', 'jsonl', join(dir, 'answers.jsonl'), ...w]);
  // One MTurk batch row per task (crowd-form JSON answers: the first three items selected), then a bad cell.
  const main =
    (await json(['tasks', 'status', ...w])) &&
    readFileSync(join(dir, 'hits', 'hits.csv'), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(',')[0]!);
  const csv = [
    'HITId,AssignmentId,WorkerId,AssignmentStatus,SubmitTime,Input.task_id,Answer.taskAnswers',
    ...main.map(
      (taskId, k) =>
        `HIT${k},A${k},MW1,Approved,Wed Mar 04 10:12:31 PST 2020,${taskId},"${JSON.stringify([{ item_1: { on: true }, item_2: true, item_3: { on: true }, item_4: false }]).replace(/"/g, '""')}"`,
    ),
  ];
  writeFileSync(join(dir, 'batch.csv'), `${csv.join('\n')}\n`);
  const mturk = await json(['answers', 'import', 'mturk', join(dir, 'batch.csv'), ...w]);
  writeFileSync(join(dir, 'bad.csv'), `${csv[0]}\nHITx,Ax,MW2,Submitted,,${main[0]},"[{""item_1"": ""yes""}]"\n`);
  const bad = await run(['answers', 'import', 'mturk', join(dir, 'bad.csv'), ...w]);
  const refused = { code: bad.code, message: bad.err.split('\n')[0], line: /line 2/.test(bad.err), field: /item_1/.test(bad.err) };
  const frequencies = await json(['frequencies', ...w]);
  const adaptive = await json(['tasks', 'create', '--adaptive', '--budget', '300', '--seed', '3', ...w]);
  const pilot = await json(['plan', 'pilot', '--per-class', '10', '--classes', '0,1', '--draws', '50', ...w]);
  const after = await json(['tasks', 'status', ...w]);
  return {
    created: { ...created, batch: undefined },
    mturk,
    refused,
    status,
    exported: { ...exported, out: undefined },
    hits,
    imported,
    again,
    frequencies,
    adaptive,
    pilot,
    after,
  };
}

describeWithPostgres('the labelling commands on SQLite and PostgreSQL workspaces', () => {
  it('give the same results on both', async () => {
    const sqlite = await pipeline(await workspace());
    const postgres = await pipeline(await workspace(`${postgresUrl()}?schema=label_cli_${process.pid}_${Date.now() % 100000}`));
    expect(sqlite.created).toMatchObject({ mainTasks: 4, items: expect.any(Number) });
    expect(sqlite.imported).toMatchObject({ inserted: expect.any(Number), conflicts: [] });
    expect((sqlite.again as { unchanged: number; inserted: number }).inserted).toBe(0);
    expect(sqlite.mturk).toMatchObject({ rows: 8, inserted: 8, conflicts: [] });
    expect((sqlite.mturk as { answers: number }).answers).toBeGreaterThan(8 * 40); // every item of 8 tasks (reference tasks of a 50-candidate class are shorter)
    expect(sqlite.refused).toMatchObject({ code: 1, line: true, field: true });
    expect((sqlite.adaptive as { round: number | null }).round).toBe(1);
    expect((sqlite.after as { tasks: { n: number }[] }).tasks[0]!.n).toBeGreaterThan(4);
    for (const key of Object.keys(sqlite)) expect([key, postgres[key]]).toEqual([key, sqlite[key]]);
  });
});
