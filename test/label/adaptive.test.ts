/**
 * Adaptive answer allocation: the empirical-Bayes prior, the misplacement probability, the
 * allocation rules (wait, reach the minimum, stop where more answers cannot change the bin, stop
 * where the bin is settled, follow up where it straddles an edge, within the budget), and the
 * workspace round behind `retest tasks create --adaptive --budget N`.
 */
import { Command } from 'commander';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/tasks.ts';
import { createRng } from '../../src/core/index.ts';
import {
  allocateFollowUps,
  canChangeBin,
  createAdaptiveTasks,
  createTasks,
  DEFAULT_ADAPTIVE,
  fitFrequencyPrior,
  misplacementProbability,
  readTallies,
  type FrequencyPrior,
  type ImageTally,
} from '../../src/label/index.ts';
import { closeWorkspace, type Workspace } from '../../src/workspace/index.ts';
import { rejection } from '../helpers/errors.ts';
import { answerAll, workspaceWithImages, on, labelOf } from './fixtures.ts';
import { createApp } from '../../src/app/main.ts';

const EDGES = [0.2, 0.4, 0.6, 0.8];
const uniform = (cells = 200): FrequencyPrior => ({
  grid: Float64Array.from({ length: cells }, (_, g) => (g + 0.5) / cells),
  weights: new Float64Array(cells).fill(1 / cells),
});

describe('canChangeBin', () => {
  it('asks whether any answers up to the cap could move selected/answers to another bin', async () => {
    expect(canChangeBin(10, 10, 40, EDGES)).toBe(true); // 10/40 = 0.25 is reachable
    expect(canChangeBin(10, 10, 10, EDGES)).toBe(false); // at the cap
    expect(canChangeBin(35, 35, 40, EDGES)).toBe(false); // 35/40 = 0.875 … 1: all in [.8, 1]
    expect(canChangeBin(35, 0, 40, EDGES)).toBe(false); // 0 … 5/40 = 0.125: all in [0, .2)
    expect(canChangeBin(30, 0, 40, EDGES)).toBe(true); // 10/40 = 0.25 crosses 0.2
    expect(canChangeBin(39, 39, 40, [0.975])).toBe(false); // 39/40 = 0.975 is the edge itself: still ≥ it
    expect(canChangeBin(39, 39, 40, [0.98])).toBe(true); // one no would give 0.975 < 0.98
  });
});

describe('the frequency prior', () => {
  it('with a flat prior, the misplacement probability is the Beta posterior mass across the edge', async () => {
    // 10 of 10 under a flat prior: posterior Beta(11, 1), P(p < 0.8) = 0.8^11 = 0.0859
    expect(misplacementProbability(uniform(), 10, 10, EDGES)).toBeCloseTo(0.8 ** 11, 3);
    // 0 of 10: Beta(1, 11), P(p ≥ 0.2) = 0.8^11 by symmetry
    expect(misplacementProbability(uniform(), 10, 0, EDGES)).toBeCloseTo(0.8 ** 11, 3);
  });

  it('EM recovers a two-point mixture of frequencies from the answers alone', async () => {
    const rng = createRng(3);
    const tallies = Array.from({ length: 4000 }, (_, i) => {
      const p = i % 5 === 0 ? 0.3 : 0.95;
      let k = 0;
      for (let a = 0; a < 20; a++) if (rng.next() < p) k++;
      return { answers: 20, selected: k };
    });
    const prior = fitFrequencyPrior(tallies, { iterations: 200, floor: 0 });
    const mass = (p: FrequencyPrior, lo: number, hi: number) => p.grid.reduce((s, g, c) => s + (g >= lo && g < hi ? p.weights[c]! : 0), 0);
    expect(mass(prior, 0.85, 1)).toBeCloseTo(0.8, 1);
    expect(mass(prior, 0.15, 0.45)).toBeCloseTo(0.2, 1);
    expect(prior.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The default keeps 10 % of the mass flat: every frequency stays possible.
    const floored = fitFrequencyPrior(tallies, { iterations: 200 });
    expect(mass(floored, 0.85, 1)).toBeCloseTo(0.9 * mass(prior, 0.85, 1) + 0.1 * 0.15, 10);
    expect(Math.min(...floored.weights)).toBeGreaterThanOrEqual(0.1 / 200);
    // With most of the pool near 1, 10 yes of 10 is settled far more firmly than a flat prior says.
    expect(misplacementProbability(prior, 10, 10, EDGES)).toBeLessThan(0.01);
  });

  it('ignores images without answers; with none it stays flat', async () => {
    const prior = fitFrequencyPrior([{ answers: 0, selected: 0 }]);
    expect(Array.from(prior.weights).every((w) => w === 1 / 200)).toBe(true);
  });
});

describe('allocateFollowUps', () => {
  const t = (imageId: string, answers: number, selected: number, waiting = false): ImageTally => ({ imageId, classIdx: 0, answers, selected, waiting });
  // A pool mostly at 10/10, so 10/10 is settled and 5/10 straddles.
  const pool = [
    ...Array.from({ length: 200 }, (_, i) => t(`top${String(i).padStart(3, '0')}`, 10, 10)),
    t('half', 10, 5),
    t('eight', 10, 8),
    t('low', 6, 3),
    t('busy', 10, 5, true),
    t('done', 38, 38),
  ];
  const options = { ...DEFAULT_ADAPTIVE, budget: 1000 };

  it('waits, reaches the minimum first, leaves settled and fixed images, follows up the straddling ones most likely misplaced first', async () => {
    const a = allocateFollowUps(pool, options);
    // 8 of 10 sits on the 0.8 edge: more likely misplaced than 5 of 10 in the middle of [0.4, 0.6).
    expect(a.followUps.map((f) => [f.imageId, f.extra, f.reason])).toEqual([
      ['low', 4, 'min-answers'],
      ['eight', 5, 'straddles'],
      ['half', 5, 'straddles'],
    ]);
    expect(a.followUps[1]!.misplacement!).toBeGreaterThan(a.followUps[2]!.misplacement!);
    expect(a.followUps[2]!.misplacement!).toBeGreaterThan(DEFAULT_ADAPTIVE.epsilon);
    expect({ waiting: a.waiting, fixed: a.fixed, settled: a.settled, straddling: a.straddling, unfunded: a.unfunded, scheduled: a.scheduled }).toEqual({
      waiting: 1,
      fixed: 1,
      settled: 200,
      straddling: 2,
      unfunded: 0,
      scheduled: 14,
    });
  });

  it('stops at the budget and at the cap', async () => {
    const tight = allocateFollowUps(pool, { ...options, budget: 7 });
    expect(tight.followUps.map((f) => [f.imageId, f.extra])).toEqual([
      ['low', 4],
      ['eight', 3],
    ]);
    expect([tight.scheduled, tight.unfunded]).toEqual([7, 1]);
    // 15 of 38 = 0.395, just under 0.4: two more answers can cross it, and the cap allows two.
    const capped = allocateFollowUps([...pool.slice(0, 200), t('near', 38, 15), t('stuck', 38, 19)], options);
    expect(capped.followUps).toEqual([{ imageId: 'near', classIdx: 0, extra: 2, reason: 'straddles', misplacement: expect.any(Number) }]);
    expect(capped.fixed).toBe(1); // 19 of 38: 19/40 … 21/40 all in [0.4, 0.6)
    expect(allocateFollowUps(pool, { ...options, budget: 0 }).scheduled).toBe(0);
  });

  it('refuses nonsense options', async () => {
    expect(() => allocateFollowUps(pool, { ...options, maxAnswers: 5 })).toThrow(RangeError);
    expect(() => allocateFollowUps(pool, { ...options, edges: [0.4, 0.2] })).toThrow(RangeError);
  });
});

async function tasksCli(args: string[]): Promise<string> {
  const program = new Command('retest').exitOverride();
  register(program, createApp());
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['tasks', ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('an adaptive round on a workspace', () => {
  // Class 0: 42 candidates; 6 are chosen by half the workers (frequency 0.5), the rest by all.
  const halfChosen = (id: string) => /^c0-00[0-5]$/.test(id);
  const withWorkspace = async (fn: (ws: Workspace) => Promise<void>) => {
    const ws = await workspaceWithImages({ candidates: { 0: 42 }, references: { 0: 20, 1: 20, 8: 20 } });
    try {
      await createTasks(...on(ws), { seed: 1, classes: [0] });
      await fn(ws);
    } finally {
      const dir = ws.dir;
      await closeWorkspace(ws);
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  };

  it('waits for the first answers, then follows up only the uncertain images, with controls, within the budget', async () => {
    await withWorkspace(async (ws) => {
      const before = await createAdaptiveTasks(...on(ws), { budget: 100 });
      expect(before.round).toBeNull();
      expect(before.allocation.waiting).toBe(42);

      await answerAll(ws, (id, role) => (role === 'negative' ? 0 : halfChosen(id) ? 5 : 10));
      const tallies = await readTallies(labelOf(ws));
      expect(tallies).toHaveLength(42);
      expect(tallies.filter((x) => x.waiting)).toEqual([]);
      expect(tallies.find((x) => x.imageId === 'c0-000')).toMatchObject({ answers: 10, selected: 5 });

      const r1 = await createAdaptiveTasks(...on(ws), { budget: 100, seed: 2 });
      expect(r1).toMatchObject({ round: 1, budget: 100, spentBefore: 0, scheduled: 30, remaining: 70, tasks: 1, followUps: { minAnswers: 0, straddling: 6 } });
      expect(r1.allocation).toMatchObject({ waiting: 0, settled: 36, straddling: 6, unfunded: 0 });
      const task = (await ws.sql.get<{ id: string; kind: string; n: number; batch: string }>(
        'SELECT t.id, t.kind, t.assignments_wanted AS n, t.batch FROM tasks t JOIN label_adaptive_tasks a ON a.task_id = t.id',
      ))!;
      expect([task.kind, task.n]).toEqual(['main', 5]);
      expect(task.batch).toMatch(/^adaptive round=1 seed=2 /);
      const items = await ws.sql.all<{
        image_id: string;
        role: string;
      }>('SELECT image_id, role FROM task_items WHERE task_id = ? ORDER BY image_id', [task.id]);
      expect(items.filter((i) => i.role === 'candidate').map((i) => i.image_id)).toEqual(['c0-000', 'c0-001', 'c0-002', 'c0-003', 'c0-004', 'c0-005']);
      expect(items.filter((i) => i.role === 'positive')).toHaveLength(3);
      expect(items.filter((i) => i.role === 'negative')).toHaveLength(3);

      // While the follow-ups are unanswered, their images wait: nothing new is scheduled.
      const waiting = await createAdaptiveTasks(...on(ws), { budget: 100 });
      expect([waiting.round, waiting.allocation.waiting, waiting.scheduled]).toEqual([null, 6, 0]);

      // Five more workers answer; every raw answer counts: 15 answers per followed-up image.
      await answerAll(ws, (id, role) => (role === 'negative' ? 0 : halfChosen(id) ? 2 : 5), 5);
      const f = (await labelOf(ws).frequencies()).find((x) => x.imageId === 'c0-000')!;
      expect([f.answers, f.selected]).toEqual([15, 7]);

      // The next round spends only what is left of the budget.
      const r2 = await createAdaptiveTasks(...on(ws), { budget: 40 });
      expect(r2).toMatchObject({ round: 2, spentBefore: 30, scheduled: 10, remaining: 0 });
      // Reference tasks also showed some candidates (16 per task), so answers differ: c0-002 has 17 of
      // 35, and 17/40 … 22/40 stays in [0.4, 0.6): more answers cannot change its bin.
      expect((await readTallies(labelOf(ws))).find((x) => x.imageId === 'c0-002')).toMatchObject({ answers: 35, selected: 17 });
      expect(r2.allocation).toMatchObject({ fixed: 1, straddling: 5, unfunded: 3 });
      const rounds = await ws.sql.all('SELECT round, budget, scheduled FROM label_adaptive_rounds ORDER BY round');
      expect(rounds).toEqual([
        { round: 1, budget: 100, scheduled: 30 },
        { round: 2, budget: 40, scheduled: 10 },
      ]);
    });
  });

  it('runs from the command line, and refuses --adaptive without --budget', async () => {
    await withWorkspace(async (ws) => {
      await answerAll(ws, (id, role) => (role === 'negative' ? 0 : halfChosen(id) ? 5 : 10));
      const text = await tasksCli(['create', '--adaptive', '--budget', '1,000', '--workspace', ws.dir]);
      expect(text).toContain(
        'adaptive round 1: 30 candidate answers scheduled in 1 follow-up tasks (6 images straddling an edge, 0 below 10 answers); budget 1,000: 0 spent before, 970 left',
      );
      expect(text).toContain('36 settled');
      const json = JSON.parse(await tasksCli(['create', '--adaptive', '--budget', '1000', '--tau', '0.7', '--json', '--workspace', ws.dir])) as {
        round: number | null;
        params: { edges: number[] };
      };
      expect(json.params.edges).toEqual([0.2, 0.4, 0.6, 0.7, 0.8]);
      expect(json.round).toBeNull(); // the follow-ups of round 1 are still waiting for answers
      const other = JSON.parse(await tasksCli(['create', '--adaptive', '--budget', '1000', '--classes', '3', '--json', '--workspace', ws.dir])) as {
        candidates: number;
        round: number | null;
      };
      expect([other.candidates, other.round]).toEqual([0, null]); // class 3 has no candidates
      const e = await rejection(tasksCli(['create', '--adaptive', '--workspace', ws.dir]));
      expect(e.field).toBe('--budget');
    });
  });
});
