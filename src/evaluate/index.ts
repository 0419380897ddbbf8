export * from './types.ts';
export { evaluate, evaluateRun, summarize, defaultEvalOptions, type EvalDataset, type EvaluateInput } from './run-eval.ts';
export { loadModel, type LoadedModel } from './model.ts';
export { readTimmConfig, TIMM_DEFAULTS, type TimmPreprocessing } from './timm-config.ts';
export { modelSpecFrom, readSidecar, defaultSidecarPath, preprocessingOf, type ModelOverrides, type Sidecar } from './sidecar.ts';
export { writeImageToTensor, topK, firstNonFinite } from './tensor.ts';
export { prepareBatches, startCropPool, cropSpecOf, type PreparedBatch, type BatchOptions, type BatchDataset } from './batches.ts';
export { preprocessDataset, idsPathFor, rowIds, type PreprocessInput, type PreprocessSummary, type PreprocessFormat } from './preprocess-dataset.ts';
