/**
 * The migrations of each kind of store, composed from the stages that keep tables in it. Each
 * stage owns its list (its `schema.ts`); only this file knows which stages share a store.
 */
// Each stage's schema.ts directly, not its index.ts: composing migrations must not load the stages
// (start-up stays light; test/architecture.test.ts allows these imports here only).
import { catalogMigrations } from '../catalog/schema.ts';
import { dedupMigrations } from '../dedup/schema.ts';
import { adaptiveMigrations, labelMigrations } from '../label/schema.ts';
import { RESULTS_MIGRATIONS } from '../results/index.ts';
import { sampleMigrations } from '../sample/schema.ts';
import { serverMigrations } from '../server/schema.ts';
import type { SqlMigration } from '../store/index.ts';

/** The results store (`--db`, `RETEST_DB`): the results stage alone. */
export function resultsMigrations(): readonly SqlMigration[] {
  return checked(RESULTS_MIGRATIONS);
}

/**
 * A workspace's store (`workspace.db`): the catalog, then every later stage that keeps tables in
 * it, in pipeline order. A new stage adds its list here.
 */
export function workspaceMigrations(): readonly SqlMigration[] {
  return checked([...catalogMigrations, ...labelMigrations, ...sampleMigrations, ...dedupMigrations, ...serverMigrations, ...adaptiveMigrations]);
}

/** Names must be unique within one store: a repeated name would silently skip a migration. */
function checked(migrations: readonly SqlMigration[]): readonly SqlMigration[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.name)) throw new Error(`duplicate migration name ${m.name} (this is a bug)`);
    seen.add(m.name);
  }
  return migrations;
}
