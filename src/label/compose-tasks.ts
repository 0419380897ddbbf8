import { sampleWithoutReplacement, shuffled, type Rng } from '../core/index.ts';
import type { ItemRole, TaskKind } from './types.ts';

/** Sizes of the two task kinds (DESIGN §1.3). */
export interface TaskShape {
  /** Candidates per main task (42). */
  candidates: number;
  /** Positive controls per main task (3). */
  positives: number;
  /** Negative controls per main task (3). */
  negatives: number;
  /**
   * Reference tasks: up to `candidates` candidates (16) and `positives` new positive controls (16);
   * negatives fill the task to the sum of the three (48): a class with 5 candidates gets 5/16/27.
   */
  referenceTask: { candidates: number; positives: number; negatives: number };
  /** Reference tasks are added until each class has this many reference images (20)… */
  referenceImages: number;
  /** …with at least this many planned answers each (10). */
  referenceAnswers: number;
  /** Assignments (distinct workers) per task, N (10). */
  assignmentsPerTask: number;
}

export const DEFAULT_TASK_SHAPE: TaskShape = {
  candidates: 42,
  positives: 3,
  negatives: 3,
  referenceTask: { candidates: 16, positives: 16, negatives: 16 },
  referenceImages: 20,
  referenceAnswers: 10,
  assignmentsPerTask: 10,
};

/** What the planner knows about one class. Image id lists should be sorted so the plan depends only on the seed. */
export interface ClassPool {
  /** Class index. */
  classIdx: number;
  /** Candidates not yet in any main task: they get tasks now (the last chunk is topped up from these only). */
  newCandidates: string[];
  /** Every eligible candidate of the class (the candidates shown in reference tasks). */
  allCandidates: string[];
  /** Reference images of the class (positive controls). */
  references: string[];
  /** Reference images of the most similar other class (negative controls); empty when there is none. */
  negatives: string[];
  /** The class the negatives come from, or null. */
  negativeClassIdx: number | null;
  /** Answers already planned per reference image of this class (as positive controls of earlier tasks). */
  plannedReferenceAnswers: Map<string, number>;
}

/** A planned task: items already shuffled into display order. */
export interface PlannedTask {
  /** Target class. */
  classIdx: number;
  /** 'main' or 'reference'. */
  kind: TaskKind;
  /** Items in display order. */
  items: { imageId: string; role: ItemRole }[];
}

/** What happened per class. */
export interface ClassTaskReport {
  /** Class index. */
  classIdx: number;
  /** New candidates given tasks. */
  candidates: number;
  /** Main tasks planned. */
  mainTasks: number;
  /** New candidates of earlier chunks re-drawn to top up the last chunk. */
  toppedUp: number;
  /** Extra control slots that pad a class's single short task to full size (half positive, rounded up). */
  extraControls: number;
  /** Reference tasks planned. */
  referenceTasks: number;
  /** Reference images that will have ≥ referenceAnswers planned answers. */
  referenceImagesCovered: number;
  /** The class the negative controls come from, or null. */
  negativeClassIdx: number | null;
  /** Problems: fewer than `candidates` candidates in the class, no reference images, no negative class, < referenceImages references. */
  warnings: string[];
}

/**
 * Plans the crowd tasks of one class (DESIGN §1.3, as the ImageNetV2 code's `_generate_hits`), pure:
 * the new candidates are shuffled and cut into chunks of `shape.candidates` (42). When there are
 * several chunks, a short last one is topped up with new candidates re-drawn from the earlier chunks
 * (never with candidates labelled before). When the class has a single short chunk, it is padded to
 * the full task size with extra controls instead, half positive rounded up (1 candidate → 1 + 24
 * positives + 23 negatives). Each task gets `positives` random reference images of the class and
 * `negatives` reference images of the most similar class (plus the extras); items are shuffled.
 * Then reference tasks (see `TaskShape.referenceTask`) are added until `referenceImages` reference
 * images have ≥ `referenceAnswers` planned answers, taking the least-answered reference images first
 * (ties at random; the authors drew among those never shown as positives).
 */
export function planClassTasks(pool: ClassPool, shape: TaskShape, rng: Rng): { tasks: PlannedTask[]; report: ClassTaskReport } {
  const tasks: PlannedTask[] = [];
  const warnings: string[] = [];
  const planned = new Map(pool.plannedReferenceAnswers);
  let toppedUp = 0;
  let extraControls = 0;
  if (pool.references.length === 0) warnings.push('no reference images: tasks have no positive controls');
  if (pool.negativeClassIdx === null || pool.negatives.length === 0) warnings.push('no similar class with reference images: tasks have no negative controls');

  const order = shuffled(pool.newCandidates, rng);
  const single = order.length > 0 && order.length < shape.candidates;
  for (let start = 0; start < order.length; start += shape.candidates) {
    const chunk = order.slice(start, start + shape.candidates);
    let wantPositives = shape.positives;
    let wantNegatives = shape.negatives;
    if (single) {
      const missing = shape.candidates - chunk.length;
      wantPositives += Math.ceil(missing / 2);
      wantNegatives += Math.floor(missing / 2);
      extraControls = missing;
    } else if (chunk.length < shape.candidates) {
      const extra = sampleWithoutReplacement(order.slice(0, start), Math.min(shape.candidates - chunk.length, start), rng);
      toppedUp += extra.length;
      chunk.push(...extra);
    }
    const { positives, negatives } = drawControls(pool, wantPositives, wantNegatives, rng);
    if (positives.length + negatives.length < wantPositives + wantNegatives) {
      warnings.push(
        `only ${positives.length} positive and ${negatives.length} negative controls available: a task has ${chunk.length + positives.length + negatives.length} items instead of ${chunk.length + wantPositives + wantNegatives}`,
      );
    }
    for (const p of positives) planned.set(p, (planned.get(p) ?? 0) + shape.assignmentsPerTask);
    tasks.push({ classIdx: pool.classIdx, kind: 'main', items: arrange(chunk, positives, negatives, rng) });
  }
  if (single)
    warnings.push(
      `only ${order.length} new candidates in the class: one task padded to ${shape.candidates + shape.positives + shape.negatives} with ${extraControls} extra controls`,
    );
  const mainTasks = tasks.length;

  const covered = () => pool.references.filter((id) => (planned.get(id) ?? 0) >= shape.referenceAnswers).length;
  const target = Math.min(shape.referenceImages, pool.references.length);
  if (pool.references.length > 0 && pool.references.length < shape.referenceImages) {
    warnings.push(`only ${pool.references.length} reference images (want ${shape.referenceImages})`);
  }
  const r = shape.referenceTask;
  const size = r.candidates + r.positives + r.negatives;
  while (pool.references.length > 0 && covered() < target && r.positives > 0) {
    // Least-planned first; a random order breaks ties.
    const byNeed = shuffled(pool.references, rng).sort((a, b) => (planned.get(a) ?? 0) - (planned.get(b) ?? 0));
    const positives = byNeed.slice(0, Math.min(r.positives, byNeed.length));
    const candidates = sampleWithoutReplacement(pool.allCandidates, Math.min(r.candidates, pool.allCandidates.length), rng);
    const negatives = sampleWithoutReplacement(pool.negatives, Math.min(size - candidates.length - positives.length, pool.negatives.length), rng);
    for (const p of positives) planned.set(p, (planned.get(p) ?? 0) + shape.assignmentsPerTask);
    tasks.push({ classIdx: pool.classIdx, kind: 'reference', items: arrange(candidates, positives, negatives, rng) });
    if (shape.assignmentsPerTask <= 0) break;
  }
  return {
    tasks,
    report: {
      classIdx: pool.classIdx,
      candidates: pool.newCandidates.length,
      mainTasks,
      toppedUp,
      extraControls,
      referenceTasks: tasks.length - mainTasks,
      referenceImagesCovered: covered(),
      negativeClassIdx: pool.negatives.length > 0 ? pool.negativeClassIdx : null,
      warnings,
    },
  };
}

/**
 * `wantPositives` reference images of the class and `wantNegatives` of the most similar class; when
 * one kind runs out, the other fills its slots where it can (so a padded task keeps its size).
 */
function drawControls(pool: ClassPool, wantPositives: number, wantNegatives: number, rng: Rng): { positives: string[]; negatives: string[] } {
  const p = Math.min(wantPositives, pool.references.length);
  const n = Math.min(wantNegatives + (wantPositives - p), pool.negatives.length);
  const p2 = Math.min(pool.references.length, p + (wantNegatives - Math.min(wantNegatives, n)));
  return { positives: sampleWithoutReplacement(pool.references, p2, rng), negatives: sampleWithoutReplacement(pool.negatives, n, rng) };
}

function arrange(candidates: string[], positives: string[], negatives: string[], rng: Rng): { imageId: string; role: ItemRole }[] {
  const items: { imageId: string; role: ItemRole }[] = [
    ...candidates.map((imageId) => ({ imageId, role: 'candidate' as const })),
    ...positives.map((imageId) => ({ imageId, role: 'positive' as const })),
    ...negatives.map((imageId) => ({ imageId, role: 'negative' as const })),
  ];
  return shuffled(items, rng);
}
