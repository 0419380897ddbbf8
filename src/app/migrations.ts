/**
 * The migrations of each kind of store, composed from the stages that keep tables in it. Each
 * stage owns its list (its `schema.ts`); only this file knows which stages share a store.
 */
import { RESULTS_MIGRATIONS } from '../results/index.ts';
import type { SqlMigration } from '../store/index.ts';

/** The results store (`--db`, `RETEST_DB`): the results stage alone. */
export function resultsMigrations(): readonly SqlMigration[] {
  return checked(RESULTS_MIGRATIONS);
}

// TODO(issue 12, integration): workspaceMigrations() = catalog + label + dedup + sample + server,
// from the workspace side (today src/workspace/migrations.ts composes them).

/** Names must be unique within one store: a repeated name would silently skip a migration. */
function checked(migrations: readonly SqlMigration[]): readonly SqlMigration[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.name)) throw new Error(`duplicate migration name ${m.name} (this is a bug)`);
    seen.add(m.name);
  }
  return migrations;
}
