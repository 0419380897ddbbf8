/**
 * Model sidecars: an optional JSON file beside the ONNX file (`model.onnx` → `model.json`) saying
 * how the model wants its input. Parsed once here with zod; command-line flags override any field.
 *
 * Accepted shape (every field optional; the fields of ../shared/models sidecars):
 * ```json
 * { "name": "resnet56",
 *   "input":  { "name": "input", "layout": "NCHW", "shape": ["batch", 3, 32, 32], "channel_order": "RGB",
 *               "value_range": "… INSIDE the ONNX graph …" },
 *   "output": { "name": "logits", "shape": ["batch", 10] },
 *   "preprocess": { "resize_shorter_to": 256, "crop": 224, "crop_pct": 0.875, "interpolation": "bilinear",
 *                   "scale": "uint8/255", "mean": [..], "std": [..], "normalisation_inside_graph": false },
 *   "mean": [..], "std": [..],            // legacy top-level form; applied unless value_range says INSIDE
 *   "classes": ["airplane", …],
 *   "reference_logits_first8_exact": [[..], ..] }
 * ```
 */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { dataError, RetestError, usageError } from '../core/errors.ts';
import { parseFile } from '../core/parse.ts';
import type { Interpolation } from '../formats/index.ts';
import type { Resampler } from '../preprocess/index.ts';
import { readTimmConfig, type TimmPreprocessing } from './timm-config.ts';
import type { ModelSpec } from './types.ts';

const triple = z.tuple([z.number(), z.number(), z.number()]);
// A std of 0 divides by zero; a negative one flips the image.
const positiveTriple = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
// A fixed dimension is a whole number ≥ 1 (a 0-channel input holds no image); names such as "batch" are free.
const dim = z.union([z.number().int().positive(), z.string(), z.null()]);

const sidecarSchema = z.object({
  name: z.string().min(1).optional(),
  // Nested objects are strict: a misspelt key (`resize_shorter`, `interp`) would otherwise be ignored.
  input: z
    .strictObject({
      name: z.string().optional(),
      layout: z.enum(['NCHW', 'NHWC']).optional(),
      shape: z.array(dim).length(4).optional(),
      channel_order: z.enum(['RGB', 'BGR']).optional(),
      value_range: z.string().optional(),
      dtype: z.string().optional(),
    })
    .optional(),
  output: z.strictObject({ name: z.string().optional(), shape: z.array(dim).optional(), note: z.string().optional() }).optional(),
  preprocess: z
    .strictObject({
      resize_shorter_to: z.number().int().positive().optional(),
      crop: z.number().int().positive().optional(),
      crop_pct: z.number().gt(0).lte(1).optional(),
      interpolation: z.enum(['bilinear', 'bicubic', 'nearest', 'box', 'hamming', 'lanczos']).optional(),
      scale: z.enum(['uint8/255', 'uint8']).optional(),
      mean: triple.optional(),
      std: positiveTriple.optional(),
      normalisation_inside_graph: z.boolean().optional(),
    })
    .optional(),
  mean: triple.optional(),
  std: positiveTriple.optional(),
  classes: z.array(z.string()).optional(),
  reference_logits_first8_exact: z.array(z.array(z.number())).optional(),
});

export type Sidecar = z.infer<typeof sidecarSchema>;

/** Flags that override the sidecar. Undefined = not given. */
export interface ModelOverrides {
  name?: string | undefined;
  sidecar?: string | undefined;
  inputName?: string | undefined;
  outputName?: string | undefined;
  layout?: 'NCHW' | 'NHWC' | undefined;
  size?: number | undefined;
  resize?: number | undefined;
  cropPct?: number | undefined;
  interpolation?: Interpolation | undefined;
  resampler?: Resampler | undefined;
  iccToSrgb?: boolean | undefined;
  exifRotate?: boolean | undefined;
  scale?: number | undefined;
  mean?: [number, number, number] | undefined;
  std?: [number, number, number] | undefined;
  /** Do not normalise outside the graph (the graph does it). */
  noNormalize?: boolean | undefined;
  channelOrder?: 'RGB' | 'BGR' | undefined;
  /** A timm / Hugging Face `config.json` whose pretrained_cfg sets the preprocessing (over the sidecar; flags still win). */
  timmConfig?: string | undefined;
}

/** The sidecar path beside a model: `x.onnx` → `x.json`. */
export function defaultSidecarPath(modelPath: string): string {
  return modelPath.slice(0, modelPath.length - extname(modelPath).length) + '.json';
}

const SIDECAR_HINT = 'see "Models and sidecars" in docs/evaluation.md for the sidecar fields';

/** Reads and checks a sidecar: one RetestError naming the file with every problem, unknown fields listing the known ones. */
export function readSidecar(path: string): Sidecar {
  try {
    return parseFile(path, sidecarSchema, { what: 'the model sidecar', hint: SIDECAR_HINT });
  } catch (error) {
    throw error instanceof RetestError ? withKnownFields(error) : error;
  }
}

/** The schema's error with `expected` of each unknown-field problem naming the fields known there. */
function withKnownFields(error: RetestError): RetestError {
  if (error.issues.length === 0) return error;
  const issues = error.issues.map((issue) => {
    if (issue.message !== 'unknown field') return issue;
    const keys = issue.path.split(/\.|(?=\[)/).map((k) => (k.startsWith('[') ? Number(k.slice(1, -1)) : k));
    const parent = keys.slice(0, -1);
    return { ...issue, expected: `the fields of "${parent.join('.')}": ${knownKeys(parent).join(', ')}` };
  });
  const first = issues[0]!;
  return new RetestError(error.kind, error.message, {
    ...(error.file !== undefined ? { file: error.file } : {}),
    ...(error.field !== undefined ? { field: error.field } : {}),
    ...(first.expected !== undefined ? { expected: first.expected } : {}),
    ...(first.received !== undefined ? { received: first.received } : {}),
    hint: SIDECAR_HINT,
    issues,
  });
}

/** The field names the schema knows at `path` (for "unknown field" errors). */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = sidecarSchema;
  for (const key of path) {
    const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
    schema = inner instanceof z.ZodObject ? ((inner.shape as Record<string, z.ZodType>)[String(key)] ?? inner) : inner;
  }
  const object = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  return object instanceof z.ZodObject ? Object.keys(object.shape) : [];
}

/**
 * Builds the model spec from (in increasing priority) defaults, the sidecar and the flags.
 * Input size and layout still get checked against the graph in `loadModel`.
 */
export function modelSpecFrom(modelPath: string, overrides: ModelOverrides = {}): ModelSpec {
  const sidecarPath = overrides.sidecar ?? defaultSidecarPath(modelPath);
  if (overrides.sidecar && !existsSync(overrides.sidecar)) throw usageError(`sidecar not found`, { file: overrides.sidecar, field: '--sidecar' });
  const sidecar: Sidecar = existsSync(sidecarPath) ? readSidecar(sidecarPath) : {};
  if (overrides.std && !overrides.std.every((v) => v > 0)) {
    throw usageError('--std must be three positive numbers', {
      field: '--std',
      expected: 'e.g. 0.229,0.224,0.225 (each > 0)',
      received: overrides.std.join(','),
    });
  }
  const pre = sidecar.preprocess ?? {};
  const timm: TimmPreprocessing | null = overrides.timmConfig ? readTimmConfig(overrides.timmConfig) : null;
  const shape = sidecar.input?.shape;
  const layout = overrides.layout ?? sidecar.input?.layout ?? 'NCHW';
  const fromShape = (i: number) => (shape && typeof shape[i] === 'number' ? (shape[i] as number) : undefined);
  const height = overrides.size ?? timm?.size ?? pre.crop ?? (layout === 'NCHW' ? fromShape(2) : fromShape(1)) ?? 0;
  const width = overrides.size ?? timm?.size ?? pre.crop ?? (layout === 'NCHW' ? fromShape(3) : fromShape(2)) ?? 0;

  // Normalisation: explicit `normalisation_inside_graph`, else the legacy "INSIDE the ONNX graph" note.
  // A timm config normalises outside the graph, as timm's transform does.
  const insideGraph =
    overrides.noNormalize ?? (timm ? false : (pre.normalisation_inside_graph ?? /inside the onnx graph/i.test(sidecar.input?.value_range ?? '')));
  const mean = overrides.mean ?? (insideGraph ? undefined : (timm?.mean ?? pre.mean ?? sidecar.mean));
  const std = overrides.std ?? (insideGraph ? undefined : (timm?.std ?? pre.std ?? sidecar.std));
  const outShape = sidecar.output?.shape;
  const sidecarClasses =
    outShape && typeof outShape[outShape.length - 1] === 'number' ? (outShape[outShape.length - 1] as number) : (sidecar.classes?.length ?? null);
  if (sidecar.classes && sidecarClasses !== null && sidecar.classes.length !== sidecarClasses) {
    throw dataError(`the sidecar lists ${sidecar.classes.length} classes but the model has ${sidecarClasses} outputs`, {
      file: sidecarPath,
      field: 'classes',
      expected: `${sidecarClasses} class names (output.shape)`,
      received: `${sidecar.classes.length}`,
    });
  }
  const numClasses = timm?.numClasses ?? timm?.labelNames?.length ?? sidecarClasses;

  return {
    name: overrides.name ?? sidecar.name ?? basename(modelPath, extname(modelPath)),
    path: modelPath,
    inputName: overrides.inputName ?? sidecar.input?.name ?? '',
    outputName: overrides.outputName ?? sidecar.output?.name ?? '',
    layout,
    height,
    width,
    channelOrder: overrides.channelOrder ?? sidecar.input?.channel_order ?? 'RGB',
    scale: overrides.scale ?? (timm ? 1 / 255 : pre.scale === 'uint8' ? 1 : 1 / 255),
    mean: mean ?? null,
    std: std ?? (mean ? [1, 1, 1] : null),
    resize: overrides.resize ?? (timm ? null : (pre.resize_shorter_to ?? null)),
    cropPct: overrides.cropPct ?? timm?.cropPct ?? pre.crop_pct ?? null,
    cropMode: timm?.cropMode ?? 'center',
    interpolation: overrides.interpolation ?? timm?.interpolation ?? pre.interpolation ?? 'bilinear',
    resampler: overrides.resampler ?? 'pillow',
    iccToSrgb: overrides.iccToSrgb ?? false,
    exifRotate: overrides.exifRotate ?? false,
    numClasses,
    classLabels: timm?.labelNames ?? sidecar.classes ?? null,
    referenceLogits: sidecar.reference_logits_first8_exact ?? null,
  };
}

/** The preprocessing part of a spec: what changes predictions, hence what identifies a run. */
export function preprocessingOf(spec: ModelSpec): Record<string, unknown> {
  return {
    input: spec.inputName,
    output: spec.outputName,
    layout: spec.layout,
    size: [spec.height, spec.width],
    channelOrder: spec.channelOrder,
    scale: spec.scale,
    mean: spec.mean,
    std: spec.std,
    resize: spec.resize,
    cropPct: spec.cropPct,
    interpolation: spec.interpolation,
    resampler: spec.resampler,
    iccToSrgb: spec.iccToSrgb,
    exifRotate: spec.exifRotate,
    // Only when not torchvision's center crop, so that runs made before crop modes keep their identity.
    ...(spec.cropMode !== 'center' ? { cropMode: spec.cropMode } : {}),
  };
}
