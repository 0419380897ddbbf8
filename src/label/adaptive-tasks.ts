/**
 * `retest tasks create --adaptive --budget N`: one round of adaptive answer allocation on a
 * workspace. From the live answers it tallies every candidate (valid answers, selections, whether
 * one of its tasks still lacks answers), asks `allocateFollowUps` which images need more, and
 * writes follow-up tasks for them: per class, images needing the same number of extra answers are
 * shuffled into tasks of up to 42 candidates plus the usual 3 positive and 3 negative controls,
 * with `assignments_wanted` = that number. Follow-ups are ordinary 'main' tasks, so the labelling
 * app, MTurk export and `retest frequencies` treat them like any other: the selection frequency
 * pools every valid answer of every task for the class, and eligibility still needs ≥ 10.
 *
 * The budget is the total number of candidate answers adaptive rounds may ask for in this
 * workspace; each round records what it scheduled (`label_adaptive_rounds`), so re-running after
 * more answers arrive spends only what is left. Control items are not counted against it.
 */
import { createRng, sampleWithoutReplacement, shuffled, usageError, type Rng } from '../core/index.ts';
import { allocateFollowUps, DEFAULT_ADAPTIVE, type AdaptiveOptions, type Allocation, type FollowUp, type ImageTally } from './adaptive-allocation.ts';
import { DEFAULT_TASK_SHAPE, type ClassPool } from './compose-tasks.ts';
import { readPools } from './create-tasks.ts';
import { fitFrequencyPrior } from './frequency-prior.ts';
import { randomHexId, randomTokens } from '../core/tokens.ts';
import { toIso } from './time.ts';
import type { ItemRole, LabelSources, LabelStore, NewTask } from './types.ts';

/** The adaptive rounds of a workspace and the tasks each wrote (applied on first use). */
// The adaptive rounds' tables are in ./schema.ts (`adaptiveMigrations`, part of `labelMigrations`).

/** Options of `createAdaptiveTasks`. */
export interface AdaptiveTasksOptions extends Partial<Omit<AdaptiveOptions, 'budget'>> {
  /** Total candidate answers adaptive rounds may schedule in this workspace. */
  budget: number;
  /** Seed of the task composition (shuffles, control draws). Default 0. */
  seed?: number | string;
  /** Candidates per follow-up task (default 42), positive and negative controls (3 each). */
  shape?: { candidates?: number; positives?: number; negatives?: number };
  /** Only these classes get follow-ups (the prior is still fitted over every class). */
  classes?: readonly number[];
  /** Creation time (default: now). */
  now?: Date | string;
}

/** What a round did. */
export interface AdaptiveRoundReport {
  /** This round's number; null when nothing was scheduled (no round is recorded). */
  round: number | null;
  /** The budget given. */
  budget: number;
  /** Answers earlier rounds scheduled. */
  spentBefore: number;
  /** Answers this round scheduled. */
  scheduled: number;
  /** Budget left after this round. */
  remaining: number;
  /** Follow-up tasks created. */
  tasks: number;
  /** Images given follow-ups, by reason. */
  followUps: { minAnswers: number; straddling: number };
  /** Candidates considered. */
  candidates: number;
  /** The allocation's counts (waiting, fixed, settled, straddling, unfunded). */
  allocation: Omit<Allocation, 'followUps' | 'scheduled'>;
  /** The parameters used. */
  params: Omit<AdaptiveOptions, 'budget'> & { seed: number | string };
}

/**
 * Every candidate's tally for its own class, from the live answers. An image waits while a task
 * that shows it as a candidate has fewer valid answers than it wants (the app keeps offering it).
 */
export function readTallies(label: LabelStore): Promise<ImageTally[]> {
  return label.tallies();
}

interface PlannedFollowUp {
  classIdx: number;
  assignments: number;
  items: { imageId: string; role: ItemRole }[];
}

/** Follow-up tasks of one class: images grouped by extra answers, shuffled, cut into chunks, each with controls. */
export function composeFollowUps(
  pool: ClassPool,
  followUps: readonly FollowUp[],
  shape: { candidates: number; positives: number; negatives: number },
  rng: Rng,
): PlannedFollowUp[] {
  const byExtra = new Map<number, string[]>();
  for (const f of followUps) {
    let list = byExtra.get(f.extra);
    if (!list) {
      list = [];
      byExtra.set(f.extra, list);
    }
    list.push(f.imageId);
  }
  const tasks: PlannedFollowUp[] = [];
  for (const extra of [...byExtra.keys()].sort((a, b) => b - a)) {
    const order = shuffled((byExtra.get(extra) as string[]).slice().sort(), rng);
    for (let start = 0; start < order.length; start += shape.candidates) {
      const chunk = order.slice(start, start + shape.candidates);
      const positives = sampleWithoutReplacement(pool.references, Math.min(shape.positives, pool.references.length), rng);
      const negatives = sampleWithoutReplacement(pool.negatives, Math.min(shape.negatives, pool.negatives.length), rng);
      const items = shuffled(
        [
          ...chunk.map((imageId) => ({ imageId, role: 'candidate' as const })),
          ...positives.map((imageId) => ({ imageId, role: 'positive' as const })),
          ...negatives.map((imageId) => ({ imageId, role: 'negative' as const })),
        ],
        rng,
      );
      tasks.push({ classIdx: pool.classIdx, assignments: extra, items });
    }
  }
  return tasks;
}

/** Runs one adaptive round: reads the answers, schedules follow-ups within the budget, writes their tasks in one transaction. */
export async function createAdaptiveTasks(label: LabelStore, sources: LabelSources, options: AdaptiveTasksOptions): Promise<AdaptiveRoundReport> {
  const params = adaptiveParams(options);
  const shape = {
    candidates: options.shape?.candidates ?? DEFAULT_TASK_SHAPE.candidates,
    positives: options.shape?.positives ?? DEFAULT_TASK_SHAPE.positives,
    negatives: options.shape?.negatives ?? DEFAULT_TASK_SHAPE.negatives,
  };
  const now = toIso(options.now ?? new Date());
  const spentBefore = await label.adaptiveSpent();
  const left = Math.max(0, options.budget - spentBefore);
  const all = await label.tallies();
  const only = options.classes ? new Set(options.classes) : null;
  const tallies = only ? all.filter((t) => only.has(t.classIdx)) : all;
  const allocation = allocateFollowUps(tallies, { ...params, budget: left }, fitFrequencyPrior(all.filter((t) => !t.waiting)));
  const { followUps, scheduled, ...counts } = allocation;
  const report: AdaptiveRoundReport = {
    round: null,
    budget: options.budget,
    spentBefore,
    scheduled,
    remaining: left - scheduled,
    tasks: 0,
    followUps: { minAnswers: followUps.filter((f) => f.reason === 'min-answers').length, straddling: followUps.filter((f) => f.reason === 'straddles').length },
    candidates: tallies.length,
    allocation: counts,
    params,
  };
  if (followUps.length === 0) return report;

  const rng = createRng(params.seed);
  const byClass = new Map<number, FollowUp[]>();
  for (const f of followUps) {
    let list = byClass.get(f.classIdx);
    if (!list) {
      list = [];
      byClass.set(f.classIdx, list);
    }
    list.push(f);
  }
  const pools = new Map((await readPools(label, sources, [...byClass.keys()])).map((p) => [p.classIdx, p]));
  const planned = [...byClass.keys()]
    .sort((a, b) => a - b)
    .flatMap((c) => composeFollowUps(pools.get(c) as ClassPool, byClass.get(c) as FollowUp[], shape, rng));
  report.round = await label.addAdaptiveRound(
    { createdAt: now, budget: options.budget, scheduled, params: JSON.stringify(params) },
    newTaskRows(planned, now),
    (round) => `adaptive round=${round} seed=${params.seed} ${now}`,
  );
  report.tasks = planned.length;
  return report;
}

/** The planned follow-up tasks as rows to store: fresh ids and one random token per item. */
function newTaskRows(planned: ReturnType<typeof composeFollowUps>, now: string): Omit<NewTask, 'seq' | 'batch'>[] {
  const tokens = randomTokens(planned.reduce((n, t) => n + t.items.length, 0));
  let used = 0;
  return planned.map((task) => {
    const row = {
      id: randomHexId(),
      classIdx: task.classIdx,
      kind: 'main' as const,
      assignmentsWanted: task.assignments,
      createdAt: now,
      items: task.items.map((item, position) => ({ imageId: item.imageId, role: item.role, token: tokens[used + position]! })),
    };
    used += task.items.length;
    return row;
  });
}

/** The round's parameters, defaults filled in; a negative budget or max < min answers is a usage error. */
function adaptiveParams(options: AdaptiveTasksOptions) {
  if (!Number.isInteger(options.budget) || options.budget < 0)
    throw usageError('--budget must be a non-negative integer (candidate answers)', { field: '--budget', received: String(options.budget) });
  const params = {
    edges: options.edges ?? DEFAULT_ADAPTIVE.edges,
    minAnswers: options.minAnswers ?? DEFAULT_ADAPTIVE.minAnswers,
    maxAnswers: options.maxAnswers ?? DEFAULT_ADAPTIVE.maxAnswers,
    step: options.step ?? DEFAULT_ADAPTIVE.step,
    epsilon: options.epsilon ?? DEFAULT_ADAPTIVE.epsilon,
    seed: options.seed ?? 0,
  };
  if (!(params.maxAnswers >= params.minAnswers))
    throw usageError('--max-answers must be at least --min-answers', {
      field: '--max-answers',
      received: String(params.maxAnswers),
      expected: `≥ ${params.minAnswers}`,
    });
  return params;
}
