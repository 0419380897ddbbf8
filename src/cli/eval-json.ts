/**
 * The wire form of `retest eval --json` (src/cli/types.ts): the evaluation stage's camelCase
 * summaries in snake_case, keys in the documented order.
 */
import type { CellSummary, EvalSummary, MatrixSummary } from '../evaluate/index.ts';
import type { CellSummaryJson, EvalSummaryJson, MatrixSummaryJson } from './types.ts';

/** One run's line. */
export function evalSummaryJson(s: EvalSummary): EvalSummaryJson {
  return {
    model: s.model,
    dataset: s.dataset,
    n: s.n,
    failed: s.failed,
    top1: s.top1,
    top5: s.top5,
    images_per_second: s.imagesPerSecond,
    dataset_version: s.datasetVersion,
  };
}

/** One matrix cell's line. */
export function cellSummaryJson(c: CellSummary): CellSummaryJson {
  return { ...evalSummaryJson(c), run_id: c.runId, from_store: c.fromStore, provider: c.provider, model_path: c.modelPath };
}

/** The matrix's last line. */
export function matrixSummaryJson(m: MatrixSummary): MatrixSummaryJson {
  return {
    summary: true,
    cells: m.cells,
    models: m.models,
    datasets: m.datasets,
    from_store: m.fromStore,
    evaluated: m.evaluated,
    predictions: m.predictions,
    seconds: m.seconds,
    predictions_per_second: m.predictionsPerSecond,
    provider: m.provider,
    batch_size: m.batchSize,
  };
}
