/**
 * `--timm-config config.json`: a timm / Hugging Face model config (`pretrained_cfg`) read into the
 * preprocessing of the model spec, as timm's eval transform applies it
 * (`timm.data.resolve_data_config` then `transforms_imagenet_eval`):
 *
 * | key | becomes | timm's default when absent |
 * |---|---|---|
 * | `input_size` [3, H, W] | input size (H = W; other sizes are refused) | [3, 224, 224] |
 * | `crop_pct` | resize = floor(size / crop_pct) | 0.875 |
 * | `crop_mode` | `center`, `squash` or `border` (crop-geometry.ts) | `center` |
 * | `interpolation` | the Pillow filter | `bicubic` |
 * | `mean`, `std` | normalisation after scaling by 1/255 (timm normalises outside the graph) | ImageNet's |
 * | `num_classes` | output classes (checked against the graph) | — |
 * | `label_names` | class names in output order (class folders are mapped through them) | — |
 *
 * The file is either the Hugging Face `config.json` (those keys under `pretrained_cfg`, with
 * `architecture`, `num_classes`, `label_names`, … beside it) or a bare `pretrained_cfg` object.
 * Keys timm defines that do not change evaluation (`url`, `license`, `first_conv`, `test_input_size`,
 * …) are read and ignored; any other key, and any value retest cannot apply (`interpolation:
 * "random"`, a non-square `input_size`), is an error naming the key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataError, usageError } from '../core/errors.ts';
import type { Interpolation } from '../formats/index.ts';
import type { CropMode } from '../preprocess/index.ts';

/** timm's defaults (`timm/data/constants.py`, `resolve_data_config`). */
export const TIMM_DEFAULTS = {
  inputSize: 224,
  cropPct: 0.875,
  cropMode: 'center' as CropMode,
  interpolation: 'bicubic' as Interpolation,
  mean: [0.485, 0.456, 0.406] as [number, number, number],
  std: [0.229, 0.224, 0.225] as [number, number, number],
};

/** What a timm config sets in the model spec. */
export interface TimmPreprocessing {
  /** The config file. */
  file: string;
  /** Input height = width. */
  size: number;
  /** Crop fraction: resize = floor(size / cropPct). */
  cropPct: number;
  /** timm's crop mode. */
  cropMode: CropMode;
  /** Pillow filter. */
  interpolation: Interpolation;
  /** Per-channel mean after scaling by 1/255. */
  mean: [number, number, number];
  /** Per-channel std after the mean. */
  std: [number, number, number];
  /** Output classes, when the config says. */
  numClasses: number | null;
  /** Class names in output order, when the config lists them. */
  labelNames: string[] | null;
}

// Keys of timm's PretrainedCfg (timm/models/_pretrained.py) that do not change evaluation.
const IGNORED_CFG_KEYS = [
  'url',
  'file',
  'state_dict',
  'hf_hub_id',
  'hf_hub_filename',
  'source',
  'architecture',
  'tag',
  'custom_load',
  'test_input_size',
  'min_input_size',
  'fixed_input_size',
  'test_crop_pct',
  'label_offset',
  'label_descriptions',
  'pool_size',
  'test_pool_size',
  'first_conv',
  'classifier',
  'license',
  'description',
  'origin_url',
  'paper_name',
  'paper_ids',
  'notes',
] as const;
// Keys of a Hugging Face timm config.json beside `pretrained_cfg`.
const IGNORED_TOP_KEYS = ['architecture', 'num_features', 'global_pool', 'model_args', 'label_descriptions'] as const;

const INTERPOLATIONS = ['bilinear', 'bicubic', 'nearest', 'box', 'hamming', 'lanczos'] as const;
const triple = z.tuple([z.number(), z.number(), z.number()]);
const positiveTriple = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const ignored = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]));

const cfgSchema = z.strictObject({
  input_size: z.tuple([z.literal(3), z.number().int().positive(), z.number().int().positive()]).optional(),
  crop_pct: z.number().gt(0).lte(1).nullable().optional(),
  crop_mode: z.enum(['center', 'squash', 'border']).nullable().optional(),
  interpolation: z.enum(INTERPOLATIONS).nullable().optional(),
  mean: triple.optional(),
  std: positiveTriple.optional(),
  num_classes: z.number().int().positive().optional(),
  label_names: z.array(z.string()).nullable().optional(),
  ...ignored(IGNORED_CFG_KEYS),
});

const fileSchema = z.strictObject({
  pretrained_cfg: z.record(z.string(), z.unknown()),
  num_classes: z.number().int().positive().optional(),
  label_names: z.array(z.string()).nullable().optional(),
  ...ignored(IGNORED_TOP_KEYS),
});

/** Reads a timm config file into the preprocessing it means (errors name the file and key). */
export function readTimmConfig(file: string): TimmPreprocessing {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw usageError('timm config not found', { file, field: '--timm-config' });
    throw dataError(`timm config is not valid JSON: ${(cause as Error).message}`, { file, cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw dataError('a timm config is a JSON object', {
      file,
      expected: '{"pretrained_cfg": {…}} or the pretrained_cfg object itself',
      received: JSON.stringify(raw)?.slice(0, 40),
    });
  const nested = 'pretrained_cfg' in raw;
  let top: z.infer<typeof fileSchema> | null = null;
  if (nested) top = parse(fileSchema, raw, file, '');
  const cfgRaw = nested ? top!.pretrained_cfg : raw;
  const cfg = parse(cfgSchema, cfgRaw, file, nested ? 'pretrained_cfg.' : '');
  const prefix = nested ? 'pretrained_cfg.' : '';
  const [, height, width] = cfg.input_size ?? [3, TIMM_DEFAULTS.inputSize, TIMM_DEFAULTS.inputSize];
  if (height !== width) {
    throw dataError(`timm config input_size ${height}×${width} is not square; retest crops square inputs only`, {
      file,
      field: `${prefix}input_size`,
      expected: '[3, N, N]',
      received: JSON.stringify(cfg.input_size),
    });
  }
  const numClasses = cfg.num_classes ?? top?.num_classes ?? null;
  if (top?.num_classes !== undefined && cfg.num_classes !== undefined && top.num_classes !== cfg.num_classes) {
    throw dataError('the timm config gives two numbers of classes', {
      file,
      field: 'num_classes',
      expected: `pretrained_cfg.num_classes = ${cfg.num_classes}`,
      received: String(top.num_classes),
    });
  }
  const labelNames = cfg.label_names ?? top?.label_names ?? null;
  if (labelNames && numClasses !== null && labelNames.length !== numClasses) {
    throw dataError(`the timm config lists ${labelNames.length} label names for ${numClasses} classes`, {
      file,
      field: cfg.label_names ? `${prefix}label_names` : 'label_names',
      expected: `${numClasses} names`,
      received: String(labelNames.length),
    });
  }
  return {
    file,
    size: height,
    // timm: `crop_pct or DEFAULT_CROP_PCT`, `crop_mode or 'center'`, interpolation default 'bicubic'.
    cropPct: cfg.crop_pct ?? TIMM_DEFAULTS.cropPct,
    cropMode: cfg.crop_mode ?? TIMM_DEFAULTS.cropMode,
    interpolation: cfg.interpolation ?? TIMM_DEFAULTS.interpolation,
    mean: cfg.mean ?? TIMM_DEFAULTS.mean,
    std: cfg.std ?? TIMM_DEFAULTS.std,
    numClasses,
    labelNames,
  };
}

function parse<T extends z.ZodType>(schema: T, raw: unknown, file: string, prefix: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `${prefix}${[...issue.path, k].join('.')}`);
    throw dataError(`the timm config has ${keys.length > 1 ? 'keys' : 'a key'} retest does not know: ${keys.join(', ')}`, {
      file,
      field: keys.join(', '),
      expected: 'the keys of timm\'s pretrained_cfg (see docs/evaluation.md, "timm configs")',
      received: issue.keys.join(', '),
      hint: 'remove the key, or evaluate with a sidecar and flags instead of --timm-config',
    });
  }
  const value = issue.path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined),
    raw,
  );
  throw dataError('the timm config has a value retest cannot apply', {
    file,
    field: `${prefix}${issue.path.join('.')}`,
    expected: issue.message.replace(/^Invalid (?:option|input): expected /, ''),
    received: value === undefined ? 'nothing' : JSON.stringify(value),
    hint: 'see "timm configs" in docs/evaluation.md for the values retest applies',
  });
}
