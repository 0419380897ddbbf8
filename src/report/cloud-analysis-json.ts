/**
 * The wire form of a cloud panel (the report's `analysis/<pair>.cloud-<collection>.json`): snake_case
 * throughout, as the pair's own analysis file. The panel itself stays camelCase.
 */
import { analysisJson, fitsJson } from '../analyze/index.ts';
import type { CloudPanel } from './cloud-panel.ts';
import type { CloudAnalysisJson } from './types.ts';

/** A cloud panel in wire casing, keys in the documented order. */
export function cloudAnalysisJson(panel: CloudPanel): CloudAnalysisJson {
  return {
    collection: panel.collection,
    reference_collection: panel.referenceCollection,
    ...analysisJson(panel.cloud.analysis),
    reference_fits: panel.reference ? fitsJson(panel.reference.analysis.fits) : null,
    yours: panel.yours.map((y) => ({
      model: y.model,
      original: y.original,
      new: y.new,
      under: y.under.map((u) => ({ collection: u.collection, fit_models: u.fitModels, effective_robustness: u.effectiveRobustness, percentile: u.percentile })),
    })),
  };
}
