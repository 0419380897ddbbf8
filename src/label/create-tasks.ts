import { createRng, dataError, usageError } from '../core/index.ts';
import { DEFAULT_TASK_SHAPE, planClassTasks, type ClassPool, type ClassTaskReport, type PlannedTask, type TaskShape } from './compose-tasks.ts';
import { randomHexId, randomTokens } from '../core/tokens.ts';
import { toIso } from './time.ts';
import type { LabelSources, LabelStore, NewTask } from './types.ts';

/** Options of `createTasks`. */
export interface CreateTasksOptions {
  /** Seed of the composition (shuffles, control draws, top-ups). Default 0. */
  seed?: number | string;
  /** Task shape overrides (assignmentsPerTask = N, sizes). */
  shape?: Partial<TaskShape>;
  /** Only these classes (default: all). */
  classes?: number[];
  /** Creation time (default: now). */
  now?: Date | string;
}

/** What `createTasks` did. */
export interface CreateTasksReport {
  /** The batch label stored on every new task. */
  batch: string;
  /** Main tasks created. */
  mainTasks: number;
  /** Reference tasks created. */
  referenceTasks: number;
  /** Task items created. */
  items: number;
  /** Per class. */
  classes: ClassTaskReport[];
}

/**
 * Creates the crowd tasks for every candidate that has none yet (so it can be re-run after more
 * candidates were collected), plus reference tasks where a class lacks reference images with enough
 * planned answers. Candidates that are exact duplicates of another image are skipped. Reads the
 * classes and images through `sources` (the catalog, wired by the composition root) and what
 * earlier tasks planned through the store; stores the tasks in one transaction (`appendTasks`).
 * The composition depends only on the workspace contents and the seed; task ids and item tokens
 * are random (opaque).
 */
export async function createTasks(label: LabelStore, sources: LabelSources, options: CreateTasksOptions = {}): Promise<CreateTasksReport> {
  const shape: TaskShape = { ...DEFAULT_TASK_SHAPE, ...options.shape, referenceTask: { ...DEFAULT_TASK_SHAPE.referenceTask, ...options.shape?.referenceTask } };
  if (!Number.isInteger(shape.assignmentsPerTask) || shape.assignmentsPerTask < 1) {
    throw usageError('--assignments must be a positive integer', { field: 'assignments', received: String(shape.assignmentsPerTask) });
  }
  const seed = options.seed ?? 0;
  const now = toIso(options.now ?? new Date());
  const rng = createRng(seed);
  const batch = `seed=${seed} ${now}`;
  const pools = await readPools(label, sources, options.classes);
  const planned: PlannedTask[] = [];
  const reports: ClassTaskReport[] = [];
  for (const pool of pools) {
    const { tasks, report } = planClassTasks(pool, shape, rng);
    planned.push(...tasks);
    reports.push(report);
  }
  const tokens = randomTokens(planned.reduce((n, t) => n + t.items.length, 0));
  let items = 0;
  const rows: Omit<NewTask, 'seq'>[] = planned.map((task) => {
    const row = {
      id: randomHexId(),
      classIdx: task.classIdx,
      kind: task.kind,
      assignmentsWanted: shape.assignmentsPerTask,
      batch,
      createdAt: now,
      items: task.items.map((item, position) => ({ imageId: item.imageId, role: item.role, token: tokens[items + position]! })),
    };
    items += task.items.length;
    return row;
  });
  await label.appendTasks(rows);
  return {
    batch,
    mainTasks: planned.filter((t) => t.kind === 'main').length,
    referenceTasks: planned.filter((t) => t.kind === 'reference').length,
    items,
    classes: reports,
  };
}

/**
 * Each class's pools: its candidates and reference images (exact duplicates left out, ordered by
 * id), the reference images of its most similar class that has some (negative controls), and what
 * earlier tasks planned. A class whose list of similar classes is not a list of class ids is a data
 * error naming the class (it would otherwise silently get tasks without negative controls).
 */
export async function readPools(label: LabelStore, sources: LabelSources, only?: readonly number[]): Promise<ClassPool[]> {
  const classes = await sources.classes();
  const idxById = new Map(classes.map((c) => [c.id, c.index]));
  const images = (await sources.images()).filter((im) => im.exactDuplicateOf === null);
  images.sort((a, b) => a.classIdx - b.classIdx || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const candidates = new Map<number, string[]>();
  const references = new Map<number, string[]>();
  for (const im of images) {
    const target = im.role === 'candidate' ? candidates : references;
    let list = target.get(im.classIdx);
    if (!list) {
      list = [];
      target.set(im.classIdx, list);
    }
    list.push(im.id);
  }
  const { taskedCandidates, plannedReferenceAnswers } = await label.plannedItems();
  const wanted = only ? new Set(only) : null;
  const pools: ClassPool[] = [];
  for (const c of classes) {
    if (wanted && !wanted.has(c.index)) continue;
    if (!Array.isArray(c.similar) || c.similar.some((id) => typeof id !== 'string')) {
      throw dataError("a class's list of similar classes is not a list of class ids", {
        record: `class ${c.index} (${c.id})`,
        field: 'similar',
        expected: 'a JSON array of class ids, e.g. ["n02121808"]',
        received: JSON.stringify(c.similar)?.slice(0, 80) ?? String(c.similar),
        hint: 'fix the classes row (or the classes file the workspace was created from): negative controls come from the first similar class',
      });
    }
    let negativeClassIdx: number | null = null;
    for (const id of c.similar as string[]) {
      const idx = idxById.get(id);
      if (idx !== undefined && idx !== c.index && (references.get(idx)?.length ?? 0) > 0) {
        negativeClassIdx = idx;
        break;
      }
    }
    const all = candidates.get(c.index) ?? [];
    pools.push({
      classIdx: c.index,
      newCandidates: all.filter((id) => !taskedCandidates.has(id)),
      allCandidates: all,
      references: references.get(c.index) ?? [],
      negatives: negativeClassIdx === null ? [] : (references.get(negativeClassIdx) ?? []),
      negativeClassIdx,
      plannedReferenceAnswers: plannedReferenceAnswers.get(c.index) ?? new Map(),
    });
  }
  return pools;
}
