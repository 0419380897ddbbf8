/**
 * `retest db status|migrate`: the schema version of a store — which named migrations it has,
 * which this retest would apply, and which it does not know (a store written by a newer retest,
 * which this one refuses to open).
 */
import { Option, type Command } from 'commander';
import type { App, StoreStatus } from '../types.ts';
import { dbOption, jsonOption, printJson } from '../options.ts';

interface DbOptions {
  db: string;
  workspace?: string;
  json?: boolean;
}

export function register(program: Command, app: App): void {
  const group = program
    .command('db')
    .summary('schema version of a store: applied, pending and unknown migrations')
    .description(
      'Shows or applies the named migrations of a store: the results store (--db, a SQLite file or\n' +
        "postgres://…; RETEST_DB) or a workspace's (--workspace). Every command that opens a store applies its\n" +
        'pending migrations itself; `db migrate` does it ahead of time (e.g. before starting servers on a\n' +
        'shared PostgreSQL database). A store written by a newer retest is listed with its unknown\n' +
        'migrations and refused by every other command.',
    );
  for (const [verb, summary] of [
    ['status', 'list applied, pending and unknown migrations (changes nothing)'],
    ['migrate', 'apply the pending migrations'],
  ] as const) {
    group
      .command(verb)
      .description(summary)
      .addOption(dbOption())
      .addOption(new Option('--workspace <dir>', 'a workspace folder (its own store) instead of, or besides, --db'))
      .addOption(jsonOption())
      .action(async (opts: DbOptions, command: Command) => {
        const statuses: StoreStatus[] = [];
        // --workspace alone means only the workspace; --db (or RETEST_DB) given as well means both.
        const results = opts.workspace === undefined || command.getOptionValueSource('db') !== 'default';
        if (results) statuses.push(verb === 'status' ? await app.resultsStatus(opts.db) : await app.migrateResults(opts.db));
        if (opts.workspace !== undefined)
          statuses.push(verb === 'status' ? await app.workspaceStatus(opts.workspace) : await app.migrateWorkspace(opts.workspace));
        if (opts.json) {
          printJson({ stores: statuses.map(statusJson) });
          return;
        }
        process.stdout.write(`${statuses.map((s) => statusText(s, verb)).join('\n')}\n`);
      });
  }
}

function statusJson(s: StoreStatus): Record<string, unknown> {
  return {
    store: s.store,
    location: s.location,
    dialect: s.dialect,
    exists: s.exists,
    applied: s.applied.map((a) => ({ name: a.name, applied_at: a.appliedAt })),
    pending: s.pending,
    unknown: s.unknown,
  };
}

function statusText(s: StoreStatus, verb: 'status' | 'migrate'): string {
  const backend = s.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const out = [`${s.store} store  ${s.location} (${backend}${s.exists ? '' : ', not created yet'})`];
  out.push(`  ${s.applied.length} applied, ${s.pending.length} pending${s.unknown.length > 0 ? `, ${s.unknown.length} unknown` : ''}`);
  const width = Math.max(0, ...[...s.applied.map((a) => a.name), ...s.pending, ...s.unknown].map((n) => n.length));
  for (const a of s.applied) out.push(`  applied  ${a.name.padEnd(width)}  ${a.appliedAt}`);
  for (const name of s.pending) out.push(`  pending  ${name}`);
  for (const name of s.unknown) out.push(`  unknown  ${name}`);
  if (s.unknown.length > 0) out.push('  written by a newer retest: this one refuses to open it (upgrade retest, or use another store)');
  else if (s.pending.length > 0 && verb === 'status') out.push('  `retest db migrate` applies the pending ones (so does any command that opens the store)');
  return out.join('\n');
}
