export * from './types.ts';
export {
  evaluate,
  evaluateRun,
  registerEvalRun,
  summarize,
  toRows,
  type EvalRunIdentity,
  type RegisteredEvalRun,
  defaultEvalOptions,
  type EvalDataset,
  type EvaluateInput,
} from './run-eval.ts';
export { evaluateMatrix, evaluateShard, predictCells, type MatrixInput, type MatrixModel, type CellWork, type ShardResult } from './matrix.ts';
export { terminalMatrixProgress } from './matrix-progress.ts';
export { retestVersion } from './provenance.ts';
export { loadModel, type LoadedModel } from './model.ts';
export { readTimmConfig, TIMM_DEFAULTS, type TimmPreprocessing } from './timm-config.ts';
export { modelSpecFrom, readSidecar, defaultSidecarPath, preprocessingOf, type ModelOverrides, type Sidecar } from './sidecar.ts';
export { writeImageToTensor, topK, firstNonFinite } from './tensor.ts';
export { prepareBatches, startCropPool, cropSpecOf, type PreparedBatch, type BatchOptions, type BatchDataset } from './batches.ts';
export { preprocessDataset, idsPathFor, rowIds, type PreprocessInput, type PreprocessSummary, type PreprocessFormat } from './preprocess-dataset.ts';
