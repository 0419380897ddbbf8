/**
 * The wire form of an analysis (`retest analyze --json`, the report's analysis files): the same
 * values as `Analysis`, in snake_case and in the documented key order. Only the boundary uses it.
 */
import type { Analysis, AnalysisJson, FitJson, FitWithIntervals, Scale } from './types.ts';

/** A fit in wire casing: slope, intercept, slope_ci95, intercept_ci95, r2. */
export function fitJson(f: FitWithIntervals): FitJson {
  return { slope: f.slope, intercept: f.intercept, slope_ci95: f.slopeCi95, intercept_ci95: f.interceptCi95, r2: f.r2 };
}

/** Fits per scale in wire casing (a null fit stays null). */
export function fitsJson(fits: Analysis['fits']): AnalysisJson['fits'] {
  return Object.fromEntries(Object.entries(fits).map(([scale, f]) => [scale, f ? fitJson(f) : null])) as Record<Scale, FitJson | null>;
}

/** An analysis in wire casing. */
export function analysisJson(a: Analysis): AnalysisJson {
  return {
    original: a.original,
    new: a.new,
    metric: a.metric,
    models: a.models.map((m) => ({ model: m.model, original: m.original, new: m.new, gap: m.gap, effective_robustness: m.effectiveRobustness })),
    fits: fitsJson(a.fits),
    rank_correlation: a.rankCorrelation,
  };
}
