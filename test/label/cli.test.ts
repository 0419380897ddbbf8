import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/app/main.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';
import { workspaceWithImages } from './fixtures.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
afterEach(() => {
  process.exitCode = undefined;
});

describe('retest tasks | answers | frequencies | sample | blacklist', () => {
  it('runs the labelling and sampling stages on a workspace with --json', async () => {
    const ws = await workspaceWithImages({ candidates: { 0: 42, 1: 42 }, references: { 0: 20, 1: 20, 8: 5, 9: 5 } });
    const dir = ws.dir;
    await closeWorkspace(ws);
    const created = await run(['tasks', 'create', '--seed', '1', '--assignments', '3', '--reference-answers', '3', '-w', dir, '--json']);
    expect(created.code).toBe(0);
    const report = JSON.parse(created.out);
    expect(report.mainTasks).toBe(2);

    const hits = await run(['tasks', 'export', 'mturk', join(dir, 'hits'), '--base-url', 'https://b.example.org', '--no-images', '-w', dir, '--json']);
    expect(JSON.parse(hits.out)).toMatchObject({ tasks: report.mainTasks + report.referenceTasks, images: 0 });

    // three workers answer every task: candidates whose id ends in 0–4 (22 of c0-000…041) are selected by all, others by nobody
    const { connectWorkspace } = await import('../../src/app/workspace-stores.ts');
    const w2 = await connectWorkspace(dir);
    const tasks = await w2.sql.all<{ id: string }>('SELECT id FROM tasks');
    const lines: string[] = [];
    for (const t of tasks) {
      const items = await w2.sql.all<{ image_id: string; role: string }>('SELECT image_id, role FROM task_items WHERE task_id = ?', [t.id]);
      const sel = items.filter((i) => i.role === 'positive' || (i.role === 'candidate' && Number(i.image_id.slice(-1)) < 5)).map((i) => i.image_id);
      for (const w of ['ann', 'bob', 'cy']) lines.push(JSON.stringify({ task_id: t.id, worker_id: w, assignment_id: `${t.id}-${w}`, selected_image_ids: sel }));
    }
    await closeWorkspace(w2);
    writeFileSync(join(dir, 'answers.jsonl'), `${lines.join('\n')}\n`);
    const imported = await run(['answers', 'import', 'jsonl', join(dir, 'answers.jsonl'), '-w', dir, '--json']);
    expect(JSON.parse(imported.out)).toMatchObject({ rows: lines.length, inserted: lines.length });

    const freq = JSON.parse((await run(['frequencies', '--min-answers', '3', '-w', dir, '--json'])).out);
    expect(freq.classes[0]).toMatchObject({ classIdx: 0, candidates: 42, candidateHistogram: [20, 0, 0, 0, 22] });
    expect(freq.controlAccuracy.meanPerAssignment).toBe(1);

    // No near-duplicate search has run: no candidate is eligible (the authors' rule) unless --skip-dedup.
    const s0 = JSON.parse(
      (await run(['sample', 'threshold', '--tau', '0.5', '--per-class', '3', '--seed', '1', '--min-answers', '3', '-w', dir, '--json'])).out,
    );
    expect(s0).toMatchObject({ revision: 1, size: 0, eligible: 0, parameters: { requireDedup: true } });
    expect(s0.exclusions.unreviewed).toBeGreaterThanOrEqual(42);
    const s1 = JSON.parse(
      (await run(['sample', 'top-images', '--per-class', '3', '--seed', '1', '--min-answers', '3', '--skip-dedup', '-w', dir, '--json'])).out,
    );
    expect(s1).toMatchObject({ revision: 2, function: 'top-images', parent: null, size: 6, valid: false, parameters: { requireDedup: false } });
    const show = JSON.parse((await run(['sample', 'show', '2', '-w', dir, '--json'])).out);
    const victim = show.images[0].imageId as string;
    expect((await run(['blacklist', 'add', victim, '--reason', 'a drawing', '-w', dir])).code).toBe(0);
    const s2 = JSON.parse(
      (await run(['sample', 'top-images', '--per-class', '3', '--seed', '2', '--min-answers', '3', '--skip-dedup', '-w', dir, '--json'])).out,
    );
    expect(s2).toMatchObject({ revision: 3, parent: 2, size: 6, carriedOver: 5 });
    expect(s2.exclusions.blacklisted).toBe(1);

    const bad = await run(['sample', 'threshold', '--per-class', '3', '--seed', '1', '--tau', '2', '-w', dir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--tau must be in \[0, 1\]/);

    // JSONL assignments are stored as import:<assignment_id>; the CLI says 'rejected', not 'rejectd'
    const rejected = await run(['answers', 'reject', `import:${tasks[0]!.id}-ann`, '-w', dir]);
    expect(rejected).toMatchObject({ code: 0, out: '1 assignment(s) rejected\n' });
  });

  it('names the option or file on bad input instead of a stack trace', async () => {
    const ws = await workspaceWithImages({ candidates: { 0: 2 }, references: { 0: 2 } });
    const dir = ws.dir;
    await closeWorkspace(ws);
    const missing = await run(['answers', 'import', 'jsonl', join(dir, 'nope.jsonl'), '-w', dir]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`error: no such file: ${join(dir, 'nope.jsonl')}`);
    const notNumber = await run(['frequencies', '--min-answers', 'x', '-w', dir]);
    expect(notNumber.code).toBe(2);
    expect(notNumber.err).toMatch(/--min-answers must be a positive integer/);
    const sample = await run(['sample', 'top-images', '--per-class', '3', '--seed', '1', '--min-answers', 'abc', '-w', dir]);
    expect(sample.code).toBe(2);
    expect(sample.err).toMatch(/--min-answers must be a positive integer/);
  });
});
