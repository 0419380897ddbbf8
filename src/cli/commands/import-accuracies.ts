/**
 * `retest import accuracies FILE`: a published per-model accuracy table into the results store
 * (marked "published accuracy": counts only, nothing per image). Parsing and validation live in
 * src/import (accuracy-table.ts); this file turns options into a request and prints what was read.
 */
import { resolve } from 'node:path';
import { modelMatcher } from '../../analyze/index.ts';
import { usageError } from '../../core/errors.ts';
import { readAccuracyTable, writeAccuracyTables, type AccuracyTable, type AccuracyWriteSummary } from '../../import/index.ts';
import type { ResultsStore } from '../../results/index.ts';
import type { App } from '../types.ts';
import { printJson, storeName } from '../options.ts';

export interface AccuracyCliOptions {
  db: string;
  json?: boolean;
  key?: string;
  testSet?: string;
  value?: string;
  top5?: string;
  wide?: boolean;
  map?: string[];
  skip?: string;
  n?: string[];
  units?: 'auto' | 'percent' | 'fraction';
  collection?: string;
  include?: string[];
  exclude?: string[];
  replace?: boolean;
}

/** `A=B` pairs of a repeatable option into a record; `number` parses B as a positive integer. */
export function parseAssignments(values: readonly string[] | undefined, option: string, example: string, number: true): Record<string, number>;
export function parseAssignments(values: readonly string[] | undefined, option: string, example: string, number?: false): Record<string, string>;
export function parseAssignments(values: readonly string[] | undefined, option: string, example: string, number = false): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const name = value.slice(0, eq).trim();
    const rhs = value.slice(eq + 1).trim();
    if (eq <= 0 || rhs === '')
      throw usageError(`${option} takes NAME=VALUE`, { field: option, received: JSON.stringify(value), expected: `e.g. ${option} ${example}` });
    if (number) {
      const n = Number(rhs.replace(/[_,]/g, ''));
      if (!Number.isInteger(n) || n <= 0)
        throw usageError(`${option}: the image count must be a positive integer`, {
          field: option,
          received: JSON.stringify(value),
          expected: `e.g. ${option} ${example}`,
        });
      out[name] = n;
    } else out[name] = rhs;
  }
  return out;
}

function describeTable(table: AccuracyTable): string[] {
  const lines = [`${table.file}: ${table.models.length} models`];
  for (const c of table.columns) {
    const range = c.range ? `values ${c.range[0]}…${c.range[1]}` : 'no values';
    lines.push(
      `  column ${JSON.stringify(c.column)} → ${c.testSet} ${c.metric === 'top1' ? 'top-1' : 'top-5'}: ${c.units} (${c.unitsReason}; ${range}), n = ${c.n.toLocaleString('en-US')} (${c.nSource === 'known' ? 'known size' : '--n'}), ${c.measured} measured, ${c.empty} empty (not measured)`,
    );
  }
  for (const i of table.ignored) lines.push(`  column ${JSON.stringify(i.column)} not read: ${i.reason}`);
  return lines;
}

export async function importAccuracies(app: App, path: string, opts: AccuracyCliOptions): Promise<void> {
  const file = resolve(path);
  const table = readSelectedTable(file, opts);
  const collection = opts.collection ?? 'imported';
  await app.withResults(opts.db, async (store) => {
    const summary = await writeAccuracyTables(store, [table], { collection, replace: opts.replace ?? false });
    const perSet = new Map<string, number>();
    for (const e of table.entries) perSet.set(e.testSet, (perSet.get(e.testSet) ?? 0) + 1);
    const done: ImportDone = { store, file, collection, table, summary, perSet };
    if (opts.json) printImportJson(done);
    else printImportText(done);
  });
}

/** The table as the options read it, keeping only the models --include/--exclude select; an error when nothing is left. */
function readSelectedTable(file: string, opts: AccuracyCliOptions): AccuracyTable {
  if (!opts.key)
    throw usageError('import accuracies needs --key COLUMN[,COLUMN]', {
      field: '--key',
      hint: 'the column(s) naming a model, e.g. --key model (timm: --key model,img_size)',
    });
  const keep = modelMatcher({ ...(opts.include ? { include: opts.include } : {}), ...(opts.exclude ? { exclude: opts.exclude } : {}) });
  const read = readAccuracyTable(file, {
    key: opts.key
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    wide: opts.wide ?? false,
    map: parseAssignments(opts.map, '--map', 'val=imagenet-val'),
    n: parseAssignments(opts.n, '--n', 'my-v2=2000', true),
    units: opts.units ?? 'auto',
    ...(opts.testSet ? { testSet: opts.testSet } : {}),
    ...(opts.value ? { value: opts.value } : {}),
    ...(opts.top5 ? { top5: opts.top5 } : {}),
    ...(opts.skip
      ? {
          skip: opts.skip
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
  });
  const table: AccuracyTable = { ...read, models: read.models.filter(keep), entries: read.entries.filter((e) => keep(e.model)) };
  if (table.entries.length === 0)
    throw usageError('no accuracies to import', {
      file,
      hint: opts.include || opts.exclude ? 'check --include/--exclude' : 'every cell of the accuracy columns is empty',
    });
  return table;
}

/** What one import read and wrote, for its report. */
interface ImportDone {
  store: ResultsStore;
  file: string;
  collection: string;
  table: AccuracyTable;
  summary: AccuracyWriteSummary;
  /** Entries per test set. */
  perSet: Map<string, number>;
}

/** The `--json` answer (wire casing). */
function printImportJson({ store, file, collection, table, summary, perSet }: ImportDone): void {
  printJson({
    format: 'accuracies',
    db: storeName(store),
    file,
    collection,
    kind: 'published accuracy',
    models: table.models.length,
    columns: table.columns.map((c) => ({
      column: c.column,
      test_set: c.testSet,
      metric: c.metric,
      units: c.units,
      units_reason: c.unitsReason,
      n: c.n,
      n_source: c.nSource,
      measured: c.measured,
      empty: c.empty,
      range: c.range,
    })),
    ignored: table.ignored,
    test_sets: Object.fromEntries(perSet),
    imported: summary.imported,
    skipped: summary.skipped.length,
    shadowed_by_per_image_results: summary.shadowed,
  });
}

/** The columns read, and what was imported, skipped and shadowed. */
function printImportText({ store, collection, table, summary, perSet }: ImportDone): void {
  const out = describeTable(table);
  out.push(
    '',
    `${summary.imported} published accuracies imported (${[...perSet].map(([s, k]) => `${k} on ${s}`).join(', ')}), ${summary.skipped.length} already present${summary.skipped.length > 0 ? ' (use --replace to overwrite)' : ''}, as collection "${collection}" into ${storeName(store)}`,
  );
  out.push(
    '  stored as "published accuracy": counts round(accuracy × n), no per-image results (no per-class or selection-frequency analysis for these models)',
  );
  if (summary.shadowed.length > 0)
    out.push(
      `  note: ${summary.shadowed.length} of these models also have per-image results in the store, which analyses use instead (${summary.shadowed.slice(0, 5).join(', ')}${summary.shadowed.length > 5 ? ', …' : ''})`,
    );
  process.stdout.write(`${out.join('\n')}\n`);
}
