/**
 * MTurk mode's switch. Off by default: `/mturk` answers nothing until the builder turns it on for
 * a batch of tasks and names the HITs published for it (`retest mturk enable`). Then only those
 * HIT ids are served, each worker gets tasks of that batch only, and `retest mturk disable` turns
 * it off again (answers already stored stay). A HIT id is MTurk's, so knowing one is not proof of
 * much; the point is that anonymous requests with invented ids get nothing — no task, no images.
 */
import { usageError } from '../core/index.ts';
import type { LabelStore } from '../label/index.ts';
import type { ServerStore } from './types.ts';

/** MTurk's HITIds and AssignmentIds: letters, digits, _ and -. */
export const MTURK_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** One batch's MTurk state, as `retest mturk status` lists it. */
export interface MturkBatchState {
  /** `tasks.batch`. */
  batch: string;
  /** Tasks in the batch. */
  tasks: number;
  /** Whether MTurk mode is on for it. */
  enabled: boolean;
  /** HITs published for it. */
  hits: number;
  /** When it was (last) turned on, or null when never. */
  enabledAt: string | null;
}

/** The stores MTurk mode's functions use. */
export interface MturkStores {
  label: LabelStore;
  server: ServerStore;
}

/** The batches of the workspace (newest first) with their MTurk state. */
export async function mturkStatus(stores: MturkStores): Promise<MturkBatchState[]> {
  const modes = new Map((await stores.server.mturkBatches()).map((b) => [b.batch, b]));
  return (await stores.label.batches()).map((b) => {
    const mode = modes.get(b.batch);
    return {
      batch: b.batch,
      tasks: b.tasks,
      enabled: mode !== undefined && mode.disabledAt === null,
      hits: mode?.hits ?? 0,
      enabledAt: mode?.enabledAt ?? null,
    };
  });
}

/** The newest batch (by creation time), or null when there are no tasks. */
export async function latestBatch(stores: Pick<MturkStores, 'label'>): Promise<string | null> {
  return (await stores.label.batches())[0]?.batch ?? null;
}

/**
 * Turns MTurk mode on for `batch` and records the HIT ids published for it (added to any recorded
 * before). A HIT id already recorded for another batch, a malformed id or an unknown batch is a
 * usage error. Returns how many HIT ids were new.
 */
export async function enableMturk(
  stores: MturkStores,
  options: { batch: string; hitIds: readonly string[]; now?: Date },
): Promise<{ batch: string; added: number; hits: number }> {
  const batches = await stores.label.batches();
  if (!batches.some((b) => b.batch === options.batch)) {
    const names = batches.map((b) => b.batch);
    throw usageError(`no tasks in batch "${options.batch}"`, {
      field: '--batch',
      expected: names.length
        ? `one of: ${names
            .slice(0, 5)
            .map((b) => JSON.stringify(b))
            .join(', ')}`
        : 'a batch made by `retest tasks create`',
      received: JSON.stringify(options.batch),
      hint: 'run `retest mturk status` for the batches',
    });
  }
  if (options.hitIds.length === 0)
    throw usageError('no HIT ids given', { field: '--hits', hint: 'give the HITIds MTurk returned when you published the HITs (--hit ID…, or --hits FILE)' });
  for (const id of options.hitIds) {
    if (!MTURK_ID.test(id)) throw usageError('a HIT id must be letters, digits, _ and - (at most 128)', { field: '--hits', received: JSON.stringify(id) });
  }
  const result = await stores.server.enableMturk(options.batch, options.hitIds, options.now ?? new Date());
  return { batch: options.batch, ...result };
}

/** Turns MTurk mode off for `batch` (or for every batch). Returns the batches turned off. */
export async function disableMturk(stores: Pick<MturkStores, 'server'>, options: { batch?: string; now?: Date } = {}): Promise<string[]> {
  const off = await stores.server.disableMturk(options.batch, options.now ?? new Date());
  if (options.batch !== undefined && off.length === 0)
    throw usageError(`MTurk mode is not on for batch "${options.batch}"`, {
      field: '--batch',
      received: JSON.stringify(options.batch),
      hint: 'run `retest mturk status`',
    });
  return off;
}

/** The batch a HIT was published for, when MTurk mode is on for it; else null. */
export async function servedBatch(server: ServerStore, hitId: string): Promise<string | null> {
  if (!MTURK_ID.test(hitId)) return null;
  return server.servedBatch(hitId);
}

/** Whether MTurk mode is on for the batch of a task. */
export async function taskServedToMturk(stores: MturkStores, taskId: string): Promise<boolean> {
  const task = await stores.label.task(taskId);
  return task !== undefined && stores.server.mturkOn(task.batch);
}
