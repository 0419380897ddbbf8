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
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { dataError, usageError } from '../core/errors.ts';
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

export function readSidecar(path: string): Sidecar {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw dataError(`model sidecar is not valid JSON: ${(cause as Error).message}`, { file: path, cause });
  }
  const parsed = sidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.join('.');
      throw dataError(`model sidecar has an unknown field ${issue.keys.map((k) => `"${where ? `${where}.` : ''}${k}"`).join(', ')}`, {
        file: path,
        field: issue.keys.map((k) => (where ? `${where}.${k}` : k)).join(', '),
        expected: `the fields of "${where}": ${knownKeys(issue.path).join(', ')}`,
        received: issue.keys.join(', '),
        hint: 'see "Models and sidecars" in docs/evaluation.md for the sidecar fields',
      });
    }
    const value = issue.path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined), raw);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
    throw dataError(`model sidecar has an invalid field${more}`, {
      file: path,
      field: issue.path.join('.'),
      expected: issue.message.replace(/^Invalid (?:option|input): expected /, ''),
      received: value === undefined ? 'nothing' : JSON.stringify(value),
      hint: 'see "Models and sidecars" in docs/evaluation.md for the sidecar fields',
    });
  }
  return parsed.data;
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
    throw usageError('--std must be three positive numbers', { field: '--std', expected: 'e.g. 0.229,0.224,0.225 (each > 0)', received: overrides.std.join(',') });
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
  const insideGraph = overrides.noNormalize ?? (timm ? false : (pre.normalisation_inside_graph ?? /inside the onnx graph/i.test(sidecar.input?.value_range ?? '')));
  const mean = overrides.mean ?? (insideGraph ? undefined : (timm?.mean ?? pre.mean ?? sidecar.mean));
  const std = overrides.std ?? (insideGraph ? undefined : (timm?.std ?? pre.std ?? sidecar.std));
  const outShape = sidecar.output?.shape;
  const sidecarClasses = outShape && typeof outShape[outShape.length - 1] === 'number' ? (outShape[outShape.length - 1] as number) : sidecar.classes?.length ?? null;
  if (sidecar.classes && sidecarClasses !== null && sidecar.classes.length !== sidecarClasses) {
    throw dataError(`the sidecar lists ${sidecar.classes.length} classes but the model has ${sidecarClasses} outputs`, { file: sidecarPath, field: 'classes', expected: `${sidecarClasses} class names (output.shape)`, received: `${sidecar.classes.length}` });
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
