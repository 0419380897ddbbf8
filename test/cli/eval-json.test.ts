/**
 * `retest eval --json` is the evaluation stage's summaries in wire casing: snake_case keys in the
 * documented order (src/cli/types.ts), byte for byte what earlier versions printed.
 */
import { describe, expect, it } from 'vitest';
import { cellSummaryJson, evalSummaryJson, matrixSummaryJson } from '../../src/cli/eval-json.ts';
import type { CellSummary, EvalSummary, MatrixSummary } from '../../src/evaluate/index.ts';

const run: EvalSummary = {
  model: 'akamaster_resnet20',
  dataset: 'test_batch',
  n: 1000,
  failed: 2,
  top1: { correct: 915, accuracy: 0.915, ci95: [0.8959, 0.9317] },
  top5: null,
  imagesPerSecond: 1234.5,
  datasetVersion: 2,
};

describe('the eval --json lines', () => {
  it('one run: the summary in snake_case, in order', () => {
    expect(JSON.stringify(evalSummaryJson(run))).toBe(
      '{"model":"akamaster_resnet20","dataset":"test_batch","n":1000,"failed":2,"top1":{"correct":915,"accuracy":0.915,"ci95":[0.8959,0.9317]},"top5":null,"images_per_second":1234.5,"dataset_version":2}',
    );
  });

  it('a cell: the run, then where it came from', () => {
    const cell: CellSummary = { ...run, imagesPerSecond: null, runId: 7, fromStore: true, provider: null, modelPath: '/m/a.onnx' };
    expect(JSON.stringify(cellSummaryJson(cell))).toBe(
      '{"model":"akamaster_resnet20","dataset":"test_batch","n":1000,"failed":2,"top1":{"correct":915,"accuracy":0.915,"ci95":[0.8959,0.9317]},"top5":null,"images_per_second":null,"dataset_version":2,"run_id":7,"from_store":true,"provider":null,"model_path":"/m/a.onnx"}',
    );
  });

  it('the matrix line: summary first', () => {
    const m: MatrixSummary = {
      cells: 4,
      models: 2,
      datasets: 2,
      fromStore: 1,
      evaluated: 3,
      predictions: 3000,
      seconds: 1.5,
      predictionsPerSecond: 2000,
      provider: 'cpu',
      batchSize: 128,
    };
    expect(JSON.stringify(matrixSummaryJson(m))).toBe(
      '{"summary":true,"cells":4,"models":2,"datasets":2,"from_store":1,"evaluated":3,"predictions":3000,"seconds":1.5,"predictions_per_second":2000,"provider":"cpu","batch_size":128}',
    );
  });
});
