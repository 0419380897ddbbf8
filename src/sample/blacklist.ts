import { usageError } from '../core/index.ts';
import type { Db } from '../store/index.ts';

/** Adds (or re-reasons) blacklist entries; unknown image ids are refused. Returns the number written. */
export function addToBlacklist(db: Db, imageIds: readonly string[], options: { reason: string; by?: string; now?: Date | string }): number {
  if (options.reason.trim() === '') throw usageError('a blacklist entry needs a reason', { field: 'reason', hint: 'e.g. --reason "drawing, not a photograph"' });
  const exists = db.prepare('SELECT 1 FROM images WHERE id = ?');
  const upsert = db.prepare('INSERT INTO blacklist (image_id, reason, by, at) VALUES (?, ?, ?, ?) ON CONFLICT (image_id) DO UPDATE SET reason = excluded.reason, by = excluded.by, at = excluded.at');
  const at = new Date(options.now ?? Date.now()).toISOString();
  return db.transaction(() => {
    for (const id of imageIds) {
      if (!exists.get(id)) throw usageError('no such image in this workspace', { field: 'image id', received: JSON.stringify(id) });
      upsert.run(id, options.reason.trim(), options.by ?? 'cli', at);
    }
    return imageIds.length;
  }).immediate();
}

/** Removes blacklist entries; returns how many existed. */
export function removeFromBlacklist(db: Db, imageIds: readonly string[]): number {
  const del = db.prepare('DELETE FROM blacklist WHERE image_id = ?');
  return db.transaction(() => imageIds.reduce((n, id) => n + del.run(id).changes, 0)).immediate();
}

/** Every blacklist entry, by image id. */
export function listBlacklist(db: Db): { imageId: string; reason: string; by: string; at: string }[] {
  return db.prepare('SELECT image_id AS imageId, reason, by, at FROM blacklist ORDER BY image_id').all() as { imageId: string; reason: string; by: string; at: string }[];
}
