/**
 * Every stage's workspace migrations, in pipeline order. Each stage owns its list; this file only
 * composes them. A new stage adds its import here.
 */
import type { Migration } from '../store/index.ts';
import { catalogMigrations } from '../catalog/index.ts';
import { labelMigrations } from '../label/schema.ts';
import { sampleMigrations } from '../sample/schema.ts';
import { serverMigrations } from '../server/schema.ts';
import { dedupMigrations } from '../dedup/schema.ts';

export function allWorkspaceMigrations(): Migration[] {
  const all = [...catalogMigrations, ...labelMigrations, ...sampleMigrations, ...dedupMigrations, ...serverMigrations];
  const seen = new Set<string>();
  for (const m of all) {
    if (seen.has(m.name)) throw new Error(`duplicate workspace migration name ${m.name} (this is a bug)`);
    seen.add(m.name);
  }
  return all;
}
