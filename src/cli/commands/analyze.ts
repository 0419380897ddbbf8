/**
 * `retest analyze --original A --new B`: per-model accuracies with exact intervals, the gap, the
 * trend across models in three scales with bootstrap intervals, effective robustness, rank
 * correlation; optionally accuracy by selection frequency and per-class accuracy.
 */
import { Command, Option } from 'commander';
import { accuracyByFrequency, analysisJson, compareTestSets, errorRatio, pairModels, perClassAccuracy, SCALES } from '../../analyze/index.ts';
import type { Comparison, FrequencyBin, Scale } from '../../analyze/index.ts';
import { dataError, usageError } from '../../core/errors.ts';
import { loadPublishedTables, originalOf, PUBLISHED_TABLES, readFrequencies } from '../../import/index.ts';
import type { CountRecord } from '../../import/index.ts';
import type { ResultsStore } from '../../results/index.ts';
import { sourceName } from '../../report/index.ts';
import type { AnalyzeJson, App, PerClassJson, SelectionFrequencyJson } from '../types.ts';
import { dbOption, jsonOption, printJson } from '../options.ts';
import { parseFrequencies, parseMetric, parseSeed, resamplesOption } from './analysis-options.ts';

interface AnalyzeOptions {
  original?: string;
  new: string;
  metric: 'top1' | 'top5';
  scale: Scale;
  published?: boolean | string[];
  include?: string[];
  exclude?: string[];
  resamples: number;
  seed: number | string;
  frequencies?: string[];
  perClass?: boolean;
  db: string;
  json?: boolean;
}

const pct = (f: number) => (f * 100).toFixed(2);
const ci = (c: readonly [number, number] | null, d = 3) => (c ? `[${c[0].toFixed(d)}, ${c[1].toFixed(d)}]` : '—');

type PerClassRow = PerClassJson;

/** Mean per-class accuracy of the user's models on both sets (needs per-image predictions: store models only). */
async function perClass(store: ResultsStore, comparison: Comparison): Promise<{ models: string[]; classes: PerClassRow[] }> {
  const { original, new: newSet } = comparison.analysis;
  const models = comparison.analysis.models.filter((_, i) => comparison.sources[i] === 'store').map((m) => m.model);
  const side = async (testSet: string) => {
    const dataset = await store.getDataset(testSet);
    if (!dataset) return null;
    const labels = await store.labels(dataset.id);
    const per = [];
    for (const m of models)
      per.push(
        perClassAccuracy(
          labels,
          await store.correctness((await store.latestRun(m, testSet)) as number, comparison.analysis.metric === 'top1' ? 1 : 5),
          dataset.numClasses,
        ),
      );
    return { numClasses: dataset.numClasses, per };
  };
  const a = await side(original),
    b = await side(newSet);
  if (!a || !b || models.length === 0) return { models, classes: [] };
  const mean = (rows: ReturnType<typeof perClassAccuracy>[], c: number) => {
    const values = rows.map((r) => r[c]?.accuracy).filter((v): v is number => typeof v === 'number');
    return values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : null;
  };
  const classes = Array.from({ length: Math.max(a.numClasses, b.numClasses) }, (_, c) => {
    const ao = mean(a.per, c),
      bn = mean(b.per, c);
    return {
      class: c,
      original: { n: a.per[0]?.[c]?.n ?? 0, accuracy: ao },
      new: { n: b.per[0]?.[c]?.n ?? 0, accuracy: bn },
      gap: ao !== null && bn !== null ? ao - bn : null,
    };
  });
  return { models, classes };
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: commander option declarations, one per line; the action hands them to analyze
export function register(program: Command, app: App): void {
  program
    .command('analyze')
    .summary('the generalization gap between two test sets, its uncertainty and the trend across models')
    .description(
      "Compares every model scored on both test sets (from the store; with --published also the paper's\n" +
        'bundled results): top-1/top-5 accuracy with exact Clopper–Pearson 95% intervals, the drop, the\n' +
        'least-squares trend of new vs original accuracy in linear, probit and logit scale with seeded\n' +
        "bootstrap 95% intervals, each model's effective robustness (its new accuracy minus the trend at\n" +
        'its original accuracy, in --scale), and Spearman/Kendall rank correlation.',
    )
    .option('--original <name>', 'original test set (default: the known original of --new)')
    .requiredOption('--new <name>', 'new test set')
    .addOption(new Option('--metric <metric>', 'top1 or top5').argParser(parseMetric).default('top1'))
    .addOption(new Option('--scale <scale>', 'scale of the fit used for effective robustness').choices(['linear', 'probit', 'logit']).default('linear'))
    .option(
      '--published [tables...]',
      `add bundled published results to the store's: ${PUBLISHED_TABLES.map((t) => t.name).join(', ')} (alone: recht2019, the paper's)`,
    )
    .option('--include <pattern...>', 'only models matching these names or globs')
    .option('--exclude <pattern...>', "leave out models matching these names or globs (e.g. 'fv_*')")
    .option('--resamples <n>', 'bootstrap resamples', resamplesOption, 100_000)
    .option('--seed <seed>', 'bootstrap seed', parseSeed, 0)
    .option('--frequencies <[set=]file...>', 'per-image selection frequencies (npy counts [N,C], npy [N], or csv image_id,frequency); default set: --original')
    .option('--per-class', 'also mean per-class accuracy of your models on both sets')
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest analyze --published --original imagenet-val --new imagenetv2-matched-frequency --exclude 'fv_*'
  $ retest analyze --new cifar10.1-v6 --scale probit --json
  $ retest analyze --new cifar10.1-v6 --frequencies cifar10-test=cifar10h-counts.npy`,
    )
    .action(async (opts: AnalyzeOptions) => {
      const original = opts.original ?? originalOf(opts.new);
      if (!original) throw usageError(`no known original test set for "${opts.new}"`, { field: '--original', hint: 'pass --original NAME' });
      await app.withResultsIfPresent(opts.db, async (store) => {
        const tables = opts.published === true ? ['recht2019'] : Array.isArray(opts.published) ? opts.published : [];
        const published = loadPublishedTables(tables);
        const stored: CountRecord[] = store ? [...(await store.counts([original, opts.new])), ...(await store.publishedCounts())] : [];
        const counts: CountRecord[] = [...stored, ...published];
        const known = new Set([
          ...(store ? (await store.listDatasets()).map((d) => d.name) : []),
          ...stored.map((c) => c.testSet),
          ...published.map((c) => c.testSet),
        ]);
        for (const set of [original, opts.new]) {
          if (!known.has(set)) {
            throw usageError(`no results for test set "${set}"`, {
              file: opts.published ? `${opts.db} + published results` : opts.db,
              expected: known.size > 0 ? `one of ${[...known].sort().join(', ')}` : 'a store with results',
              hint: opts.published ? 'evaluate or import a model on it first' : 'evaluate or import models first, or add --published',
            });
          }
        }
        const pairs = pairModels(counts, {
          original,
          new: opts.new,
          metric: opts.metric,
          ...(opts.include ? { include: opts.include } : {}),
          ...(opts.exclude ? { exclude: opts.exclude } : {}),
        });
        if (pairs.length === 0)
          throw dataError(`no model has ${opts.metric} results on both ${original} and ${opts.new}`, {
            file: opts.db,
            hint: 'check --include/--exclude and --metric (CIFAR-10 label files have no top-5)',
          });
        const comparison = compareTestSets(pairs, {
          original,
          new: opts.new,
          metric: opts.metric,
          scale: opts.scale,
          resamples: opts.resamples,
          seed: opts.seed,
        });
        const freqFiles = parseFrequencies(opts.frequencies, original);
        const frequency: SelectionFrequencyJson[] = [];
        for (const [set, file] of Object.entries(freqFiles)) {
          const dataset = await store?.getDataset(set);
          if (!store || !dataset)
            throw usageError(`selection frequencies need per-image results on ${set} in the store`, { field: '--frequencies', file: opts.db });
          const models = comparison.analysis.models.filter((_, i) => comparison.sources[i] === 'store').map((m) => m.model);
          const correct: Uint8Array[] = [];
          for (const m of models) {
            const run = await store.latestRun(m, set);
            if (run !== undefined) correct.push(await store.correctness(run, 1));
          }
          const freq = readFrequencies(file, await store.labels(dataset.id), await store.imageIds(dataset.id));
          frequency.push({ test_set: set, source: file, models, bins: accuracyByFrequency(freq, correct) });
        }
        const classes = opts.perClass && store ? await perClass(store, comparison) : null;
        if (opts.json) {
          printJson({
            ...analysisJson(comparison.analysis),
            ...(frequency.length > 0 ? { selection_frequency: frequency } : {}),
            ...(classes ? { per_class: classes } : {}),
          } satisfies AnalyzeJson);
          return;
        }
        printText(comparison, frequency, classes);
      });
    });
}

function printText(
  c: Comparison,
  frequency: { test_set: string; models: string[]; bins: FrequencyBin[] }[],
  classes: { models: string[]; classes: PerClassRow[] } | null,
): void {
  const a = c.analysis;
  const out: string[] = [];
  const yours = c.sources.filter((s) => s === 'store').length;
  const tables = c.sources.filter((s) => s === 'table').length;
  out.push(
    `${a.original} → ${a.new} (${a.metric === 'top1' ? 'top-1' : 'top-5'}): ${a.models.length} models (${yours} yours, ${tables > 0 ? `${tables} from imported accuracy tables, ` : ''}${a.models.length - yours - tables} published)`,
    '',
  );
  const w = Math.max(5, ...a.models.map((m) => m.model.length));
  const sw = Math.max(9, ...a.models.map((_, i) => sourceName(c.sources[i], c.collections[i]).length));
  out.push(`${'model'.padEnd(w)}  ${'source'.padEnd(sw)}  ${'original % [95% CI]'.padEnd(24)}  ${'new % [95% CI]'.padEnd(24)}  drop    err.ratio  eff.rob.`);
  a.models.forEach((m, i) => {
    const o = `${pct(m.original.accuracy)} [${pct(m.original.ci95[0])}, ${pct(m.original.ci95[1])}]`;
    const n = `${pct(m.new.accuracy)} [${pct(m.new.ci95[0])}, ${pct(m.new.ci95[1])}]`;
    out.push(
      `${m.model.padEnd(w)}  ${sourceName(c.sources[i], c.collections[i]).padEnd(sw)}  ${o.padEnd(24)}  ${n.padEnd(24)}  ${pct(m.gap).padStart(6)}  ${(errorRatio(m)?.toFixed(2) ?? '—').padStart(9)}  ${m.effectiveRobustness === null ? '—' : pct(m.effectiveRobustness).padStart(6)}`,
    );
  });
  out.push('', `mean drop: ${c.meanGap === null ? '—' : (c.meanGap * 100).toFixed(2)} points`);
  out.push(
    `fit of new vs original accuracy (${c.resamples.toLocaleString('en-US')} bootstrap resamples, seed ${c.seed}; effective robustness in ${c.scale} scale):`,
  );
  for (const s of SCALES) {
    const f = a.fits[s];
    out.push(
      f
        ? `  ${s.padEnd(6)}  slope ${f.slope.toFixed(3)} ${ci(f.slopeCi95)}  intercept ${f.intercept.toFixed(3)} ${ci(f.interceptCi95)}  R² ${f.r2 === null ? '—' : f.r2.toFixed(4)}`
        : `  ${s.padEnd(6)}  — (needs two models with different original accuracy)`,
    );
  }
  const rc = a.rankCorrelation;
  out.push(
    `rank correlation: Spearman ${rc.spearman === null ? '—' : rc.spearman.toFixed(3)}, Kendall τ-b ${rc.kendall === null ? '—' : rc.kendall.toFixed(3)}`,
  );
  for (const f of frequency) {
    out.push('', `accuracy by selection frequency on ${f.test_set} (mean of ${f.models.length} models):`);
    for (const b of f.bins)
      out.push(
        `  ${b.lower.toFixed(1)}–${b.upper.toFixed(1)}  ${String(b.images).padStart(6)} images  ${b.meanAccuracy === null ? '—' : `${pct(b.meanAccuracy)}%`}`,
      );
  }
  if (classes && classes.classes.length > 0) {
    const sorted = classes.classes.filter((r) => r.gap !== null).sort((x, y) => (y.gap as number) - (x.gap as number));
    const show = sorted.length <= 20 ? sorted : [...sorted.slice(0, 10), ...sorted.slice(-10)];
    out.push('', `per-class accuracy (mean of your ${classes.models.length} models), largest drops first${sorted.length > 20 ? ' (top and bottom 10)' : ''}:`);
    for (const r of show)
      out.push(
        `  class ${String(r.class).padStart(4)}  original ${pct(r.original.accuracy as number)}% (${r.original.n})  new ${pct(r.new.accuracy as number)}% (${r.new.n})  drop ${pct(r.gap as number)}`,
      );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
