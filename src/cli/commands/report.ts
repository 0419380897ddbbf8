/**
 * `retest report`: one self-contained HTML page (inline SVG, no network) with, for each (original,
 * new) pair, the Figure-1-style scatter, the trend and its uncertainty, the per-model table and
 * accuracy by selection frequency; plus Markdown/CSV/LaTeX tables and the Vega-Lite specs. With no
 * store results it reproduces the paper's figures from the bundled published results.
 */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { usageError } from '../../core/errors.ts';
import { makeDirectory } from '../../core/files.ts';
import { PUBLISHED_TABLES, publishedTable } from '../../import/index.ts';
import { buildReport, DEFAULT_REPORT_TABLES, headlineText } from '../../report/index.ts';
import type { PairHeadline } from '../../report/index.ts';
import type { App } from '../types.ts';
import { dbOption, jsonOption, printJson } from '../options.ts';
import { parseFrequencies, parseMetric, parseSeed, resamplesOption } from './analysis-options.ts';

interface ReportCliOptions {
  out: string;
  db: string;
  json?: boolean;
  published: boolean | string[];
  pair?: string[];
  metric: 'top1' | 'top5';
  axes: 'linear' | 'probit';
  include?: string[];
  exclude?: string[];
  fitExclude: string[];
  resamples: number;
  seed: number | string;
  frequencies?: string[];
}

function parsePair(value: string): { original: string; new: string } {
  const [original, newSet, ...rest] = value.split(':');
  if (!original || !newSet || rest.length > 0)
    throw usageError('--pair takes ORIGINAL:NEW', { field: '--pair', received: JSON.stringify(value), expected: 'e.g. cifar10-test:my-cifar10-v2' });
  return { original, new: newSet };
}

function headlineJson(p: PairHeadline): Record<string, unknown> {
  return {
    original: p.original,
    new: p.new,
    title: p.title,
    metric: p.metric,
    models: p.models,
    your_models: p.yourModels,
    models_in_fit: p.modelsInFit,
    mean_drop_points: p.meanDropPoints,
    linear: p.linear && { slope: p.linear.slope, slope_ci95: p.linear.slopeCi95 },
    probit: p.probit && { slope: p.probit.slope, slope_ci95: p.probit.slopeCi95 },
  };
}

export function register(program: Command, app: App): void {
  program
    .command('report')
    .summary("HTML report with plots and tables (offline; the paper's figures by default)")
    .description(
      'Writes OUT/index.html — one self-contained page, inline SVG, no network — with, for each pair of\n' +
        'test sets, new vs original accuracy per model (95% Clopper–Pearson error bars, y = x, least-squares\n' +
        'trend with its 95% bootstrap band), the trend in three scales, the per-model table and accuracy by\n' +
        'selection frequency; plus tables/*.md|csv|tex, specs/*.vl.json (Vega-Lite), plots/*.svg and\n' +
        "analysis/*.json. The paper's published results are included (grey); models you evaluated or\n" +
        "imported are drawn in red. With an empty or missing store this reproduces the paper's figures.\n" +
        "Where another published collection has both sets of a pair (timm's 1,556 models on ImageNet →\n" +
        'MatchedFrequency, bundled; or a table from `retest import accuracies`), a second, interactive plot\n' +
        'places your models in that cloud: both fits, your effective robustness under each and your\n' +
        'percentile among the cloud, model names on hover (the renderer is inside the page: no network).',
    )
    .option('--out <dir>', 'output folder', 'report')
    .option('--published <tables...>', `bundled published results to include (${PUBLISHED_TABLES.map((t) => t.name).join(', ')})`, [...DEFAULT_REPORT_TABLES])
    .option('--no-published', 'leave out the bundled published results')
    .option('--pair <original:new...>', 'pairs to show (default: CIFAR-10 → CIFAR-10.1 v4/v6, ImageNet → each ImageNetV2 set)')
    .addOption(new Option('--metric <metric>', 'top1 or top5').argParser(parseMetric).default('top1'))
    .addOption(new Option('--axes <axes>', 'linear axes, or probit-spaced axes with a probit fit').choices(['linear', 'probit']).default('linear'))
    .option('--include <pattern...>', 'only models matching these names or globs')
    .option('--exclude <pattern...>', 'leave out models matching these names or globs')
    .option(
      '--fit-exclude <pattern...>',
      'plot these models but keep them out of the fit (default: the Fisher-vector baselines fv_*, as the paper fits the CNNs); give "" to fit all',
      ['fv_*'],
    )
    .option('--resamples <n>', 'bootstrap resamples', resamplesOption, 100_000)
    .option('--seed <seed>', 'bootstrap seed', parseSeed, 0)
    .option('--frequencies <set=file...>', 'per-image selection frequencies of a test set (e.g. cifar10-test=cifar10h-counts.npy)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest report                                   # the paper's figures + the timm cloud, offline → report/index.html
  $ retest report --published recht2019             # the paper's models only (no cloud panel, no script in the page)
  $ retest import imagenetv2 PRED_DIR --metadata META && retest report --out report/
  $ retest report --axes probit --frequencies cifar10-test=../shared/data/cifar10h/cifar10h-counts.npy`,
    )
    .action((opts: ReportCliOptions) => runReport(opts, app));
}

/** `retest report`: the report written, then its headlines printed (or one JSON object). */
async function runReport(opts: ReportCliOptions, app: App): Promise<void> {
  if (Array.isArray(opts.published)) for (const name of opts.published) publishedTable(name);
  // Before any work: an --out that cannot be a writable folder fails at once, naming why.
  makeDirectory(opts.out, '--out');
  await app.withResultsIfPresent(opts.db, async (store) => {
    const fitExclude = opts.fitExclude.filter((p) => p !== '');
    const summary = await buildReport({
      out: opts.out,
      store,
      published: opts.published,
      metric: opts.metric,
      axes: opts.axes,
      fitExclude,
      resamples: opts.resamples,
      seed: opts.seed,
      frequencies: parseFrequencies(opts.frequencies, undefined),
      ...(opts.pair ? { pairs: opts.pair.map(parsePair) } : {}),
      ...(opts.include ? { include: opts.include } : {}),
      ...(opts.exclude ? { exclude: opts.exclude } : {}),
    });
    if (summary.pairs.length === 0 && summary.clouds.length === 0) {
      throw usageError('nothing to report: no model has results on both sets of any pair', {
        file: opts.db,
        hint: opts.published ? 'check --pair/--include/--exclude' : 'drop --no-published, or evaluate/import models first',
      });
    }
    if (opts.json) {
      printJson({
        out: summary.out,
        index: join(summary.out, 'index.html'),
        files: summary.files,
        pairs: summary.pairs.map(headlineJson),
        clouds: summary.clouds.map((p) => ({ ...headlineJson(p), collection: p.collection })),
      });
      return;
    }
    const all = [...summary.pairs, ...summary.clouds];
    const w = Math.max(...all.map((p) => p.title.length));
    for (const p of summary.pairs) process.stdout.write(`${p.title.padEnd(w)}  ${headlineText(p)}\n`);
    for (const p of summary.clouds) process.stdout.write(`${p.title.padEnd(w)}  ${headlineText(p)}\n`);
    process.stdout.write(`\nreport: ${join(summary.out, 'index.html')} (${summary.files.length} files)\n`);
  });
}
