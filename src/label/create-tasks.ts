import { createRng, usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { DEFAULT_TASK_SHAPE, planClassTasks, type ClassPool, type ClassTaskReport, type PlannedTask, type TaskShape } from './compose-tasks.ts';
import { randomHexId, randomTokens } from '../core/tokens.ts';
import { toIso } from './time.ts';

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
 * planned answers. Candidates that are exact duplicates of another image are skipped. Reads COLLECT's
 * `classes` and `images` tables; writes `tasks` and `task_items` in one transaction. The composition
 * depends only on the workspace contents and the seed; task ids and item tokens are random (opaque).
 */
export function createTasks(db: Db, options: CreateTasksOptions = {}): CreateTasksReport {
  const shape: TaskShape = { ...DEFAULT_TASK_SHAPE, ...options.shape, referenceTask: { ...DEFAULT_TASK_SHAPE.referenceTask, ...options.shape?.referenceTask } };
  if (!Number.isInteger(shape.assignmentsPerTask) || shape.assignmentsPerTask < 1) {
    throw usageError('--assignments must be a positive integer', { field: 'assignments', received: String(shape.assignmentsPerTask) });
  }
  const seed = options.seed ?? 0;
  const now = toIso(options.now ?? new Date());
  const rng = createRng(seed);
  const batch = `seed=${seed} ${now}`;
  const pools = readPools(db, options.classes);
  const planned: PlannedTask[] = [];
  const reports: ClassTaskReport[] = [];
  for (const pool of pools) {
    const { tasks, report } = planClassTasks(pool, shape, rng);
    planned.push(...tasks);
    reports.push(report);
  }
  const insertTask = db.prepare('INSERT INTO tasks (id, seq, class_idx, kind, assignments_wanted, batch, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertItem = db.prepare('INSERT INTO task_items (task_id, position, image_id, role, token) VALUES (?, ?, ?, ?, ?)');
  let items = 0;
  db.transaction(() => {
    let seq = ((db.prepare('SELECT MAX(seq) AS m FROM tasks').get() as { m: number | null }).m ?? -1) + 1;
    const tokens = randomTokens(planned.reduce((n, t) => n + t.items.length, 0));
    for (const task of planned) {
      const id = randomHexId();
      insertTask.run(id, seq++, task.classIdx, task.kind, shape.assignmentsPerTask, batch, now);
      task.items.forEach((item, position) => insertItem.run(id, position, item.imageId, item.role, tokens[items + position]));
      items += task.items.length;
    }
  }).immediate();
  return {
    batch,
    mainTasks: planned.filter((t) => t.kind === 'main').length,
    referenceTasks: planned.filter((t) => t.kind === 'reference').length,
    items,
    classes: reports,
  };
}

/** Reads each class's pools from the workspace tables. */
export function readPools(db: Db, only?: number[]): ClassPool[] {
  const classes = db.prepare('SELECT idx, id, similar FROM classes ORDER BY idx').all() as { idx: number; id: string; similar: string }[];
  const idxById = new Map(classes.map((c) => [c.id, c.idx]));
  const images = db.prepare('SELECT id, role, class_idx FROM images WHERE exact_duplicate_of IS NULL ORDER BY class_idx, id').all() as { id: string; role: 'candidate' | 'reference'; class_idx: number }[];
  const candidates = new Map<number, string[]>();
  const references = new Map<number, string[]>();
  for (const im of images) {
    const target = im.role === 'candidate' ? candidates : references;
    let list = target.get(im.class_idx);
    if (!list) { list = []; target.set(im.class_idx, list); }
    list.push(im.id);
  }
  const tasked = new Set((db.prepare("SELECT DISTINCT ti.image_id FROM task_items ti JOIN tasks t ON t.id = ti.task_id WHERE t.kind = 'main' AND ti.role = 'candidate'").all() as { image_id: string }[]).map((r) => r.image_id));
  const plannedRows = db.prepare("SELECT ti.image_id AS id, t.class_idx AS c, SUM(t.assignments_wanted) AS n FROM task_items ti JOIN tasks t ON t.id = ti.task_id WHERE ti.role = 'positive' GROUP BY ti.image_id, t.class_idx").all() as { id: string; c: number; n: number }[];
  const plannedBy = new Map<number, Map<string, number>>();
  for (const r of plannedRows) {
    let m = plannedBy.get(r.c);
    if (!m) { m = new Map(); plannedBy.set(r.c, m); }
    m.set(r.id, r.n);
  }
  const wanted = only ? new Set(only) : null;
  const pools: ClassPool[] = [];
  for (const c of classes) {
    if (wanted && !wanted.has(c.idx)) continue;
    let similar: unknown;
    try { similar = JSON.parse(c.similar); } catch { similar = []; }
    let negativeClassIdx: number | null = null;
    for (const id of Array.isArray(similar) ? similar : []) {
      const idx = idxById.get(String(id));
      if (idx !== undefined && idx !== c.idx && (references.get(idx)?.length ?? 0) > 0) { negativeClassIdx = idx; break; }
    }
    const all = candidates.get(c.idx) ?? [];
    pools.push({
      classIdx: c.idx,
      newCandidates: all.filter((id) => !tasked.has(id)),
      allCandidates: all,
      references: references.get(c.idx) ?? [],
      negatives: negativeClassIdx === null ? [] : references.get(negativeClassIdx) ?? [],
      negativeClassIdx,
      plannedReferenceAnswers: plannedBy.get(c.idx) ?? new Map(),
    });
  }
  return pools;
}
