/**
 * Importing aggregated class votes (CIFAR-10H style: for each image, how many annotators chose each
 * class) as answers to the workspace's tasks.
 *
 * An annotator who chose class c says "yes" to the image in a task asking about c and "no" in a task
 * asking about any other class. Each image's annotators (in a seeded order) are split as evenly as
 * possible over the image's appearances in tasks for a class, so the selection frequency of image i
 * for class c comes out exactly as votes[i][c] / Σ votes[i]. One imported assignment is the k-th
 * annotator slot of a task (synthetic worker ids `<prefix>:<task>:<k>`, hashed: aggregated votes
 * carry no annotator ids). Tasks must exist (`createTasks`).
 */
import { createRng, shuffled } from '../core/index.ts';
import type { ImportedAssignment, LabelStore, RecordReport } from './types.ts';
import { hashWorkerId } from './worker-hash.ts';

/** Options of `importVoteCounts`. */
export interface VoteCountOptions {
  /** Votes per class for an image id (length = number of classes; integer counts), or undefined when unknown (its items get no answers). */
  votes: (imageId: string) => ArrayLike<number> | undefined;
  /** Seed of the annotator order. */
  seed: number | string;
  /** Prefix of the synthetic assignment / worker ids (default 'votes'). */
  prefix?: string;
}

/** Imports vote counts as assignments; returns what `recordAssignments` did. */
export async function importVoteCounts(label: LabelStore, options: VoteCountOptions): Promise<RecordReport> {
  const prefix = options.prefix ?? 'votes';
  const rng = createRng(`${prefix}-${options.seed}`);
  const items = await label.taskItems();
  const choices = new Map<string, number[] | null>();
  const choicesOf = (imageId: string): number[] | null => {
    if (choices.has(imageId)) return choices.get(imageId)!;
    const votes = options.votes(imageId);
    let list: number[] | null = null;
    if (votes) {
      list = [];
      for (let c = 0; c < votes.length; c++) for (let k = 0; k < Math.round(votes[c]!); k++) list.push(c);
      list = shuffled(list, rng);
    }
    choices.set(imageId, list);
    return list;
  };
  const appearances = new Map<string, { taskId: string; imageId: string; classIdx: number }[]>();
  for (const it of items) {
    const key = `${it.imageId}\u0000${it.classIdx}`;
    let list = appearances.get(key);
    if (!list) {
      list = [];
      appearances.set(key, list);
    }
    list.push(it);
  }
  const slots = new Map<string, Map<number, { imageId: string; selected: boolean }[]>>();
  for (const list of appearances.values()) {
    const annotators = choicesOf(list[0]!.imageId);
    if (!annotators) continue;
    list.forEach((app, g) => {
      const start = Math.floor((g * annotators.length) / list.length);
      const end = Math.floor(((g + 1) * annotators.length) / list.length);
      let bySlot = slots.get(app.taskId);
      if (!bySlot) {
        bySlot = new Map();
        slots.set(app.taskId, bySlot);
      }
      for (let a = start; a < end; a++) {
        let answers = bySlot.get(a - start);
        if (!answers) {
          answers = [];
          bySlot.set(a - start, answers);
        }
        answers.push({ imageId: app.imageId, selected: annotators[a] === app.classIdx });
      }
    });
  }
  const salt = await label.workerSalt();
  const records: ImportedAssignment[] = [];
  for (const [taskId, bySlot] of slots) {
    for (const [s, answers] of [...bySlot].sort((a, b) => a[0] - b[0])) {
      const id = `${prefix}:${taskId}:${s}`;
      records.push({
        taskId,
        workerHash: hashWorkerId(salt, id),
        source: 'import',
        externalId: id,
        status: 'submitted',
        selectedImageIds: answers.filter((x) => x.selected).map((x) => x.imageId),
        answeredImageIds: answers.map((x) => x.imageId),
      });
    }
  }
  return label.recordAssignments(records);
}
