/**
 * The model and preprocessing options shared by `retest eval` and `retest preprocess`, defined
 * and parsed in one place so both commands turn an image into the same tensor.
 */
import { type Command, Option } from 'commander';
import { usageError } from '../../core/errors.ts';
import type { ModelOverrides } from '../../evaluate/index.ts';
import { INTERPOLATIONS } from '../../formats/index.ts';
import { positiveInt } from '../options.ts';

function triple(name: string, positive = false) {
  return (value: string): [number, number, number] => {
    const parts = value.split(',').map((p) => (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(p) ? Number(p) : Number.NaN));
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || (positive && p <= 0))) {
      throw usageError(`${name} takes three comma-separated ${positive ? 'positive ' : ''}numbers`, {
        field: name,
        received: JSON.stringify(value),
        expected: positive ? 'e.g. 0.229,0.224,0.225 (each > 0)' : 'e.g. 0.485,0.456,0.406',
      });
    }
    return parts as [number, number, number];
  };
}

function fraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && n <= 1)) throw usageError(`${name} must be in (0, 1]`, { field: name, received: JSON.stringify(value) });
    return n;
  };
}

/** Adds the graph, geometry, colour and normalisation options. */
export function addModelOptions(command: Command): Command {
  return command
    .option('--name <name>', 'model name in the store (default: sidecar name or file stem)')
    .option('--sidecar <file>', 'model sidecar JSON (default: beside the model)')
    .option('--input-name <name>', 'graph input to feed')
    .option('--output-name <name>', 'graph output with the class scores')
    .addOption(new Option('--layout <layout>', 'input layout').choices(['NCHW', 'NHWC']))
    .option('--size <n>', 'input height and width', positiveInt('--size'))
    .option('--resize <n>', 'shorter side after resizing, before the center crop', positiveInt('--resize'))
    .option('--crop-pct <f>', 'crop fraction; resize = floor(size / crop_pct)', fraction('--crop-pct'))
    .addOption(new Option('--interpolation <kind>', 'resampling filter (Pillow names)').choices(INTERPOLATIONS))
    .addOption(
      new Option('--resampler <which>', "pillow: byte-identical to torchvision on Pillow; libvips: sharp's resize, a few grey levels off")
        .choices(['pillow', 'libvips'])
        .default('pillow'),
    )
    .option('--icc-to-srgb', 'convert embedded ICC profiles to sRGB (torchvision ignores them)')
    .option('--exif-rotate', 'rotate images by their EXIF orientation (torchvision does not)')
    .option('--mean <r,g,b>', 'per-channel mean (after scaling)', triple('--mean'))
    .option('--std <r,g,b>', 'per-channel std (after scaling), each > 0', triple('--std', true))
    .addOption(new Option('--scale <kind>', 'pixel scaling before mean/std').choices(['uint8/255', 'uint8']))
    .option('--no-normalize', 'do not apply mean/std outside the graph')
    .option(
      '--timm-config <config.json...>',
      'timm / Hugging Face config.json: its pretrained_cfg sets size, crop_pct, crop_mode, interpolation, mean, std, classes (flags still win); with several --model, one for all or one per model in order',
    );
}

/** The overrides those options give (undefined: not given, the sidecar decides). `timmConfig`: the one `--timm-config` of a single model. */
export function modelOverridesFrom(opts: Record<string, unknown>, timmConfig: string | undefined = singleTimmConfig(opts)): ModelOverrides {
  return {
    timmConfig,
    name: opts.name as string | undefined,
    sidecar: opts.sidecar as string | undefined,
    inputName: opts.inputName as string | undefined,
    outputName: opts.outputName as string | undefined,
    layout: opts.layout as ModelOverrides['layout'],
    size: opts.size as number | undefined,
    resize: opts.resize as number | undefined,
    cropPct: opts.cropPct as number | undefined,
    interpolation: opts.interpolation as ModelOverrides['interpolation'],
    resampler: opts.resampler as ModelOverrides['resampler'],
    iccToSrgb: opts.iccToSrgb === true ? true : undefined,
    exifRotate: opts.exifRotate === true ? true : undefined,
    mean: opts.mean as ModelOverrides['mean'],
    std: opts.std as ModelOverrides['std'],
    scale: opts.scale === undefined ? undefined : opts.scale === 'uint8' ? 1 : 1 / 255,
    noNormalize: opts.normalize === false ? true : undefined,
  };
}

function singleTimmConfig(opts: Record<string, unknown>): string | undefined {
  const files = opts.timmConfig as string[] | undefined;
  if (files && files.length > 1)
    throw usageError('--timm-config takes one file here', { field: '--timm-config', received: files.join(' '), expected: 'one config.json' });
  return files?.[0];
}
