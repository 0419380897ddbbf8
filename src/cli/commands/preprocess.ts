/**
 * `retest preprocess --dataset PATH --out FILE.npy`: write the tensors `retest eval` would feed.
 */
import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { usageError } from '../../core/errors.ts';
import { terminalProgress } from '../../core/progress.ts';
import { resolveDataset } from '../../datasets/index.ts';
import { loadModel, modelSpecFrom, preprocessDataset, type ModelSpec, type ModelOverrides, type PreprocessFormat } from '../../evaluate/index.ts';
import { cacheDir, dataDirOption, jsonOption, positiveInt, printJson } from '../options.ts';
import { addModelOptions, modelOverridesFrom } from './model-options.ts';

/** The spec from the model (checked against its graph), else from the sidecar and flags alone. */
async function specFor(model: string | undefined, overrides: ModelOverrides): Promise<ModelSpec> {
  if (model) {
    const loaded = await loadModel(resolve(model), overrides, 1);
    await loaded.session.release();
    return loaded.spec;
  }
  const spec = modelSpecFrom(overrides.sidecar ? resolve(overrides.sidecar) : '<flags>', overrides);
  if (!spec.height || !spec.width) {
    throw usageError('the input size is not known', {
      field: '--size',
      hint: 'pass --model M.onnx, a --sidecar with input.shape or preprocess.crop, or --size N',
    });
  }
  return spec;
}

export function register(program: Command): void {
  const command = program
    .command('preprocess')
    .summary('write the tensors `retest eval` feeds a model, to inspect or compare')
    .description(
      'Writes what `retest eval` would feed a model, through the same code: the RGB crops before\n' +
        'normalisation (--format uint8, (N, H, W, 3)) or the model input itself (--format float32, in the\n' +
        'model\'s layout). Beside FILE.npy, FILE.ids.json holds {"ids": [...]}: the image ids (paths\n' +
        'relative to the dataset root) in row order. The geometry, filter and normalisation come from\n' +
        '--model (its graph and sidecar) or --sidecar, with the same flags as eval overriding them.',
    )
    .requiredOption('--dataset <name|path>', 'test set name or path')
    .requiredOption('--out <file.npy>', 'the .npy file to write')
    .option('--model <file>', 'the ONNX model whose input to produce')
    .addOption(new Option('--format <dtype>', 'uint8: the crops; float32: the model input').choices(['uint8', 'float32']).default('float32'))
    .option('--contact-sheet <file.png>', 'also write a PNG grid of the first crops')
    .option('--contact-sheet-count <n>', 'crops on the contact sheet', positiveInt('--contact-sheet-count'), 64)
    .option('--batch-size <n>', 'images per batch', positiveInt('--batch-size'), 128)
    .option('--decode-concurrency <n>', 'worker threads decoding and cropping images (at most the cores)', positiveInt('--decode-concurrency'), 8)
    .option('--fail-fast', 'stop at the first unreadable image instead of writing a zero row')
    .addOption(dataDirOption())
    .addOption(jsonOption());
  addModelOptions(command).action(async (opts) => {
    if (!/\.npy$/i.test(opts.out))
      throw usageError('--out must name a .npy file', { field: '--out', received: JSON.stringify(opts.out), expected: 'e.g. crops.npy' });
    const overrides = modelOverridesFrom(opts);
    const spec = await specFor(opts.model, overrides);
    const dataset = await resolveDataset(opts.dataset, { dataDir: opts.dataDir, cacheDir: cacheDir() });
    const summary = await preprocessDataset({
      dataset,
      spec,
      out: resolve(opts.out),
      format: opts.format as PreprocessFormat,
      batchSize: opts.batchSize,
      decodeConcurrency: opts.decodeConcurrency,
      failFast: !!opts.failFast,
      contactSheet: opts.contactSheet ? resolve(opts.contactSheet) : undefined,
      contactSheetCount: opts.contactSheetCount,
      progress: terminalProgress({ quiet: !!opts.json, unit: 'images' }),
    });
    if (opts.json) {
      printJson(summary);
      return;
    }
    process.stdout.write(
      `wrote    ${summary.out}  (${summary.format}, shape (${summary.shape.join(', ')}))\n` +
        `ids      ${summary.ids}\n` +
        (summary.contact_sheet ? `sheet    ${summary.contact_sheet}\n` : '') +
        (summary.failed.length
          ? `failed   ${summary.failed.length} unreadable images (zero rows): ${summary.failed
              .slice(0, 3)
              .map((f) => f.id)
              .join(', ')}${summary.failed.length > 3 ? ', …' : ''}\n`
          : ''),
    );
  });
}
