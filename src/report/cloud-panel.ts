/**
 * "Your models against every published model" for one (original, new) pair: the models of one
 * published collection (timm's 1,556, an imported table) as a cloud with its own fit, the paper's
 * models with theirs, and, for each of your models, its effective robustness under each fit and
 * its percentile among each collection's models. Pure: counts in, numbers out.
 */
import { compareTestSets, pairModels, percentileRank } from '../analyze/index.ts';
import type { AccuracyEstimate, Comparison, CountRecord, Scale } from '../analyze/index.ts';

/** What one collection's fit says about one of your models. */
export interface PositionUnderFit {
  /** The collection whose models were fitted. */
  collection: string;
  /** Models in that fit. */
  fitModels: number;
  /** Your new accuracy minus that fit at your original accuracy (fraction; in the panel's scale, mapped back). */
  effectiveRobustness: number | null;
  /** Percentage of the collection's fitted models whose effective robustness (under the same fit) is below yours; ties count half. */
  percentile: number | null;
}

/** One of your models in the panel. */
export interface YourModelPosition {
  model: string;
  original: AccuracyEstimate;
  new: AccuracyEstimate;
  /** One entry per fit: the cloud's first, then the reference collection's. */
  under: PositionUnderFit[];
}

/** The panel's numbers. */
export interface CloudPanel {
  /** The cloud's collection ('timm', an imported table's name). */
  collection: string;
  /** Your models plus the cloud's, fitted over the cloud's models (minus fit exclusions). */
  cloud: Comparison;
  /** The reference collection (the paper's), when it has models on this pair; else null. */
  referenceCollection: string | null;
  /** Your models plus the reference's, fitted over the reference's models; null without one. */
  reference: Comparison | null;
  /** Your models, in the cloud comparison's order. */
  yours: YourModelPosition[];
}

export interface CloudPanelOptions {
  original: string;
  new: string;
  metric: 'top1' | 'top5';
  /** Scale of the fits (and of effective robustness). */
  scale: Scale;
  /** The cloud's collection. */
  collection: string;
  /** The collection drawn for comparison (default 'recht2019'). */
  referenceCollection?: string;
  /** Models shown at all. */
  keep: (model: string) => boolean;
  /** Models drawn but kept out of every fit. */
  outOfFit: (model: string) => boolean;
  resamples?: number;
  seed?: number | string;
}

function comparisonFor(records: readonly CountRecord[], collection: string, options: CloudPanelOptions): Comparison | null {
  const chosen = records.filter((r) => r.source === 'store' || r.collection === collection);
  const pairs = pairModels(chosen, { original: options.original, new: options.new, metric: options.metric }).filter(
    (p) => options.keep(p.model) && (p.source === 'store' || p.collection === collection),
  );
  if (!pairs.some((p) => p.source !== 'store')) return null;
  const cloudModels = new Set(pairs.filter((p) => p.source !== 'store').map((p) => p.model));
  return compareTestSets(pairs, {
    original: options.original,
    new: options.new,
    metric: options.metric,
    scale: options.scale,
    inFit: (m) => cloudModels.has(m) && !options.outOfFit(m),
    ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
}

function positionUnder(c: Comparison, collection: string, model: string): PositionUnderFit {
  const fitted = c.analysis.models.filter((_, i) => c.inFit[i]);
  const mine = c.analysis.models.find((m) => m.model === model);
  const er = mine?.effectiveRobustness ?? null;
  const cloudEr = fitted.map((m) => m.effectiveRobustness).filter((v): v is number => v !== null);
  return { collection, fitModels: fitted.length, effectiveRobustness: er, percentile: er === null ? null : (percentileRank(cloudEr, er) ?? null) };
}

/** The panel of `collection` on a pair; null when the collection has no model on both sets. */
export function cloudPanel(records: readonly CountRecord[], options: CloudPanelOptions): CloudPanel | null {
  const cloud = comparisonFor(records, options.collection, options);
  if (!cloud) return null;
  const referenceCollection = options.referenceCollection ?? 'recht2019';
  const reference = referenceCollection !== options.collection ? comparisonFor(records, referenceCollection, options) : null;
  const yours = cloud.analysis.models.flatMap((m, i) => {
    if (cloud.sources[i] !== 'store') return [];
    const under = [positionUnder(cloud, options.collection, m.model)];
    if (reference) under.push(positionUnder(reference, referenceCollection, m.model));
    return [{ model: m.model, original: m.original, new: m.new, under }];
  });
  return { collection: options.collection, cloud, referenceCollection: reference ? referenceCollection : null, reference, yours };
}

/** The collections (other than `except`) with models on both sets of the pair, sorted by name. */
export function cloudCollections(records: readonly CountRecord[], pair: { original: string; new: string }, except: readonly string[]): string[] {
  const sides = new Map<string, Set<string>>();
  for (const r of records) {
    if (r.source === 'store' || !r.collection || except.includes(r.collection)) continue;
    if (r.testSet !== pair.original && r.testSet !== pair.new) continue;
    let s = sides.get(r.collection);
    if (!s) {
      s = new Set();
      sides.set(r.collection, s);
    }
    s.add(r.testSet);
  }
  return [...sides]
    .filter(([, s]) => s.size === 2)
    .map(([c]) => c)
    .sort();
}
