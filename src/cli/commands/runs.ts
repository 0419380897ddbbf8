/**
 * `retest runs`: every run in the results store with its provenance — the model file's sha256, the
 * preprocessing, the execution providers and retest versions that wrote it, the test set's content
 * version and hash — finished or not.
 */
import type { Command } from 'commander';
import type { App } from '../types.ts';
import type { RunInfo } from '../../results/index.ts';
import { dbOption, jsonOption, printJson } from '../options.ts';

export function register(program: Command, app: App): void {
  program
    .command('runs')
    .summary('list the runs in the results store with their provenance (model hash, preprocessing, provider, version, test-set content)')
    .description(
      'Lists every run of the results store (finished or interrupted, on every content version of every\n' +
        "test set) with what made it: the model file's sha256, the preprocessing, the execution providers\n" +
        "and retest versions that wrote its predictions, and the test set's content version and hash.\n" +
        '--json prints one object {"runs": [...]} (fields in docs/evaluation.md).',
    )
    .addOption(dbOption())
    .addOption(jsonOption())
    .option('--model <name>', 'only the runs of this model')
    .option('--dataset <name>', 'only the runs on this test set (any content version; name@vN for one)')
    .action(async (opts) => {
      const runs = await app.withResultsIfPresent(opts.db, async (store) => (store ? store.listRuns({ model: opts.model, dataset: opts.dataset }) : []));
      if (opts.json) printJson({ runs });
      else process.stdout.write(formatRuns(runs));
    });
}

const short = (hash: string | null) => (hash === null ? '—' : hash.slice(0, 12));

/** How a run's preprocessing reads in one line: size, resize or crop_pct, filter, crop mode, normalisation. */
export function describePreprocessing(p: Record<string, unknown> | null): string {
  if (!p) return '—';
  const size = Array.isArray(p.size) ? (p.size as number[]).join('×') : '?';
  const resize =
    p.resize !== null && p.resize !== undefined ? `resize ${p.resize}` : p.cropPct !== null && p.cropPct !== undefined ? `crop_pct ${p.cropPct}` : 'no resize';
  const norm = p.mean ? `mean ${(p.mean as number[]).join(',')} std ${(p.std as number[]).join(',')}` : 'no mean/std';
  return `${size} ${resize} ${p.interpolation ?? ''}${p.cropMode ? ` ${p.cropMode}` : ''} ${p.resampler ?? ''} ${norm}`.replace(/\s+/g, ' ').trim();
}

export function formatRuns(runs: readonly RunInfo[]): string {
  if (runs.length === 0) return 'no runs in the store\n';
  return runs
    .map(
      (r) =>
        `run ${r.runId}  ${r.status === 'done' ? 'done' : `running (${r.predicted}/${r.n} predicted)`}\n` +
        `  model         ${r.model}  sha256 ${short(r.modelSha256)}  ${r.modelPath ?? ''}\n` +
        `  test set      ${r.dataset}  version ${r.datasetVersion}  content ${short(r.datasetContentHash)}  ${r.n} images\n` +
        `  top-1         ${r.predicted > 0 ? `${r.top1Correct}/${r.predicted}` : '—'}\n` +
        `  preprocessing ${describePreprocessing(r.preprocessing)}\n` +
        `  provider      ${r.providers.length ? r.providers.join(', ') : 'unknown'}   retest ${r.retestVersions.length ? r.retestVersions.join(', ') : 'unknown'}\n` +
        `  made          ${r.startedAt}${r.finishedAt ? ` → ${r.finishedAt}` : ''}${r.imagesPerSecond !== null ? `  ${r.imagesPerSecond.toFixed(0)} images/s` : ''}\n`,
    )
    .join('');
}
