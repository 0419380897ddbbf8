/**
 * Builds the report folder: for each (original, new) pair with data, the analysis, the scatter
 * (SVG + Vega-Lite spec), accuracy by selection frequency where frequencies are given, and the
 * tables; then one self-contained index.html and a summary.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { makeDirectory } from '../core/index.ts';
import { accuracyByFrequency, analysisJson, compareTestSets, modelMatcher, pairModels } from '../analyze/index.ts';
import { cloudAnalysisJson } from './cloud-analysis-json.ts';
import type { Comparison, Scale } from '../analyze/index.ts';
import { loadPublishedTables, PAPER_PAIRS, pairTitle, publishedTable, readFrequencies } from '../import/index.ts';
import type { CountRecord } from '../import/index.ts';
import type { ResultsStore } from '../results/index.ts';
import { cloudCollections, cloudPanel } from './cloud-panel.ts';
import { cloudSpec, collectionLabel, interactiveCloudSpec } from './cloud-spec.ts';
import { slugOf } from './format.ts';
import { frequencySpec } from './frequency-spec.ts';
import { cloudCsv, headlineText, reportHtml } from './html.ts';
import { compileToVega, STARTER_SCRIPT, vegaRuntime } from './interactive.ts';
import { renderSvg } from './render-svg.ts';
import { scatterSpec } from './scatter-spec.ts';
import { csvTable, fitsMarkdown, latexTable, markdownTable } from './tables.ts';
import type { Axes, CloudReport, FrequencySection, PairHeadline, PairReport, ReportSummary } from './types.ts';

/** The bundled tables a report includes by default: the paper's counts and timm's table. */
export const DEFAULT_REPORT_TABLES: readonly string[] = ['recht2019', 'timm'];

/** The collection of the paper's models: the main panel of every pair draws them. */
const PAPER = 'recht2019';

export interface ReportOptions {
  /** Output folder (created). */
  out: string;
  /** The user's results store, or null for the published results alone. */
  store: ResultsStore | null;
  /** Bundled published results to include: their names ('recht2019', 'timm'); true = both, false = none. */
  published: boolean | readonly string[];
  /** Pairs to show; default: the paper's pairs that have data, then any other pair given. */
  pairs?: { original: string; new: string }[];
  metric?: 'top1' | 'top5';
  axes?: Axes;
  include?: string[];
  exclude?: string[];
  /** Models plotted but kept out of the fit (default none). */
  fitExclude?: string[];
  resamples?: number;
  seed?: number | string;
  /** Selection-frequency files per test set (e.g. cifar10-test → cifar10h-counts.npy). */
  frequencies?: Record<string, string>;
}

export function headlineOf(c: Comparison, title: string): PairHeadline {
  const slope = (s: Scale) => {
    const f = c.analysis.fits[s];
    return f ? { slope: f.slope, slopeCi95: f.slopeCi95 } : null;
  };
  return {
    original: c.analysis.original,
    new: c.analysis.new,
    title,
    metric: c.analysis.metric,
    models: c.analysis.models.length,
    yourModels: c.sources.filter((s) => s === 'store').length,
    modelsInFit: c.inFit.filter(Boolean).length,
    meanDropPoints: c.meanGap === null ? null : c.meanGap * 100,
    linear: slope('linear'),
    probit: slope('probit'),
  };
}

/** The bundled table names a `published` option means. */
export function publishedNames(published: boolean | readonly string[]): string[] {
  return published === true ? [...DEFAULT_REPORT_TABLES] : published === false ? [] : [...published];
}

/** Store counts (per-image runs and imported accuracy tables, when a store is given) plus the bundled tables asked for. */
export async function gatherCounts(store: ResultsStore | null, published: boolean | readonly string[], testSets?: readonly string[]): Promise<CountRecord[]> {
  const stored: CountRecord[] = store ? [...(await store.counts(testSets)), ...(await store.publishedCounts(testSets))] : [];
  return [...stored, ...loadPublishedTables(publishedNames(published))];
}

async function frequencySections(
  store: ResultsStore | null,
  files: Record<string, string>,
  testSets: string[],
  models: string[],
  sources: readonly string[],
): Promise<FrequencySection[]> {
  if (!store) return [];
  const out: FrequencySection[] = [];
  for (const testSet of testSets) {
    const file = files[testSet];
    const dataset = file ? await store.getDataset(testSet) : undefined;
    if (!file || !dataset) continue;
    const runs: { model: string; run: number }[] = [];
    for (const [i, model] of models.entries()) {
      if (sources[i] !== 'store') continue;
      const run = await store.latestRun(model, testSet);
      if (run !== undefined) runs.push({ model, run });
    }
    if (runs.length === 0) continue;
    const frequencies = readFrequencies(file, await store.labels(dataset.id), await store.imageIds(dataset.id));
    const correct: Uint8Array[] = [];
    for (const r of runs) correct.push(await store.correctness(r.run, 1));
    out.push({ testSet, source: file, models: runs.map((r) => r.model), bins: accuracyByFrequency(frequencies, correct) });
  }
  return out;
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the report's sections written in page order; each is a call
export async function buildReport(options: ReportOptions): Promise<ReportSummary> {
  const out = makeDirectory(options.out, 'out'); // fails fast on a path that cannot be a writable folder
  const metric = options.metric ?? 'top1';
  const axes = options.axes ?? 'linear';
  const wanted = options.pairs ?? PAPER_PAIRS.map((p) => ({ original: p.original, new: p.new }));
  const counts = await gatherCounts(options.store, options.published, [...new Set(wanted.flatMap((p) => [p.original, p.new]))]);
  const keep = modelMatcher({ ...(options.include ? { include: options.include } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) });
  const outOfFit = options.fitExclude && options.fitExclude.length > 0 ? modelMatcher({ include: options.fitExclude }) : () => false;

  // The main panel of a pair: your per-image results and the paper's models (one fit over both, as
  // before clouds existed); every other collection gets a cloud panel with its own fit.
  const mainCounts = counts.filter((r) => r.source === 'store' || r.collection === PAPER);
  const files = new Map<string, string>();
  const pairs: { report: PairReport | null; headline: PairHeadline | null; scatterSvg: string; frequencySvgs: string[]; clouds: CloudReport[] }[] = [];
  for (const pair of wanted) {
    const title = pairTitle(pair.original, pair.new);
    const slug = slugOf(pair.original, pair.new);
    const clouds: CloudReport[] = [];
    for (const collection of cloudCollections(counts, pair, [PAPER])) {
      const panel = cloudPanel(counts, {
        original: pair.original,
        new: pair.new,
        metric,
        scale: axes,
        collection,
        keep,
        outOfFit,
        ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
      if (!panel) continue;
      const cloudSlug = `${slug}.cloud-${collection.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
      const spec = cloudSpec(panel, { title: `${title}: against ${collectionLabel(collection)}`, originalLabel: pair.original, newLabel: pair.new, axes });
      const interactive = interactiveCloudSpec(spec);
      const headline = { ...headlineOf(panel.cloud, `${title} · ${collectionLabel(collection)}`), collection };
      const cloud: CloudReport = {
        title,
        slug: cloudSlug,
        panel,
        headline,
        svg: await renderSvg(spec, cloudSlug.replace(/\./g, '-')),
        vega: await compileToVega(interactive),
      };
      files.set(`specs/${cloudSlug}.vl.json`, `${JSON.stringify(spec, null, 2)}\n`);
      files.set(`specs/${cloudSlug}.interactive.vl.json`, `${JSON.stringify(interactive, null, 2)}\n`);
      files.set(`plots/${cloudSlug}.svg`, cloud.svg);
      files.set(`tables/${cloudSlug}.csv`, csvTable(panel.cloud));
      files.set(`tables/${cloudSlug}.yours.csv`, cloudCsv(panel));
      files.set(`analysis/${cloudSlug}.json`, `${JSON.stringify(cloudAnalysisJson(panel), null, 2)}\n`);
      clouds.push(cloud);
    }
    const modelPairs = pairModels(mainCounts, { original: pair.original, new: pair.new, metric }).filter((p) => keep(p.model));
    if (modelPairs.length === 0) {
      if (clouds.length > 0) pairs.push({ report: null, headline: null, scatterSvg: '', frequencySvgs: [], clouds });
      continue;
    }
    const comparison = compareTestSets(modelPairs, {
      original: pair.original,
      new: pair.new,
      metric,
      scale: axes,
      inFit: (m) => !outOfFit(m),
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    const models = comparison.analysis.models.map((m) => m.model);
    const frequencies = await frequencySections(options.store, options.frequencies ?? {}, [pair.original, pair.new], models, comparison.sources);
    const report: PairReport = { title, slug, comparison, fitExclude: options.fitExclude ?? [], frequencies };
    const headline = headlineOf(comparison, title);
    const scatter = scatterSpec(comparison, { title, originalLabel: pair.original, newLabel: pair.new, axes });
    const scatterSvg = await renderSvg(scatter, `${slug}-scatter`);
    const frequencySvgs: string[] = [];
    for (const section of frequencies) {
      const spec = frequencySpec(section, `Accuracy by selection frequency: ${section.testSet}`);
      frequencySvgs.push(await renderSvg(spec, `${slug}-${section.testSet}-freq`));
      files.set(`specs/${slug}.frequency-${section.testSet}.vl.json`, `${JSON.stringify(spec, null, 2)}\n`);
    }
    files.set(`specs/${slug}.scatter.vl.json`, `${JSON.stringify(scatter, null, 2)}\n`);
    files.set(`plots/${slug}.scatter.svg`, scatterSvg);
    files.set(`tables/${slug}.md`, `## ${title}\n\n${headlineText(headline)}\n\n${markdownTable(comparison)}\n${fitsMarkdown(comparison)}`);
    files.set(`tables/${slug}.csv`, csvTable(comparison));
    files.set(
      `tables/${slug}.tex`,
      latexTable(
        comparison,
        `${title}: accuracy on the original and new test set (${metric === 'top1' ? 'top-1' : 'top-5'}), 95\\% Clopper--Pearson intervals.`,
      ),
    );
    files.set(`analysis/${slug}.json`, `${JSON.stringify(analysisJson(comparison.analysis), null, 2)}\n`);
    pairs.push({ report, headline, scatterSvg, frequencySvgs, clouds });
  }
  // Cite every bundled collection drawn (imported tables carry their own provenance).
  const drawn = new Set(pairs.flatMap((p) => [...(p.report?.comparison.collections ?? []), ...p.clouds.flatMap((c) => c.panel.cloud.collections)]));
  const citations = publishedNames(options.published)
    .filter((n) => drawn.has(n))
    .map((n) => publishedTable(n).citation);
  const headlines = pairs.flatMap((p) => [...(p.headline ? [p.headline] : []), ...p.clouds.map((c) => c.headline)]);
  const scripts = pairs.some((p) => p.clouds.length > 0) ? [vegaRuntime().script, STARTER_SCRIPT] : [];
  files.set('index.html', reportHtml({ pairs, citations, scripts, metric, axes }));
  files.set(
    'summary.md',
    `# retest report\n\n${citations.map((c) => `Published results: ${c}.\n\n`).join('')}| original → new | headline |\n|---|---|\n${headlines.map((h) => `| ${h.title} | ${headlineText(h)} |`).join('\n')}\n`,
  );
  for (const [name, content] of files) {
    const path = join(out, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return {
    out,
    files: [...files.keys()].map((f) => relative(out, join(out, f))).sort(),
    pairs: pairs.flatMap((p) => (p.headline ? [p.headline] : [])),
    clouds: pairs.flatMap((p) => p.clouds.map((c) => c.headline)),
  };
}
