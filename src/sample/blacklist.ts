import { usageError } from '../core/index.ts';
import type { BlacklistEntry, SampleStore } from './types.ts';

/**
 * Adds (or re-reasons) blacklist entries in one transaction. Ids the catalog does not know are
 * refused before anything is written (`missing` is the catalog's `ImageCatalog.missing`).
 * Returns the number written.
 */
export async function addToBlacklist(
  stores: { sample: SampleStore; missing: (ids: readonly string[]) => Promise<string[]> },
  imageIds: readonly string[],
  options: { reason: string; by?: string; now?: Date | string },
): Promise<number> {
  const reason = options.reason.trim();
  if (reason === '') throw usageError('a blacklist entry needs a reason', { field: 'reason', hint: 'e.g. --reason "drawing, not a photograph"' });
  const unknown = await stores.missing(imageIds);
  if (unknown.length > 0) throw usageError('no such image in this workspace', { field: 'image id', received: JSON.stringify(unknown[0]) });
  const at = new Date(options.now ?? Date.now()).toISOString();
  return stores.sample.blacklist(imageIds.map((imageId) => ({ imageId, reason, by: options.by ?? 'cli', at })));
}

/** Removes blacklist entries; returns how many existed. */
export function removeFromBlacklist(store: SampleStore, imageIds: readonly string[]): Promise<number> {
  return store.unblacklist(imageIds);
}

/** Every blacklist entry, by image id. */
export function listBlacklist(store: SampleStore): Promise<BlacklistEntry[]> {
  return store.listBlacklist();
}
