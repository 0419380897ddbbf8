/**
 * `retest eval --model M.onnx --dataset NAME|PATH`: run one classifier on one test set.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { usageError } from '../../core/errors.ts';
import { terminalProgress } from '../../core/progress.ts';
import { openFileHashCache, resolveDataset } from '../../datasets/index.ts';
import { evaluateRun, type EvalSummary, type ModelOverrides } from '../../evaluate/index.ts';
import { openResultsStore } from '../../store/index.ts';
import { cacheDir, dataDirOption, dbOption, jsonOption, positiveInt, printJson } from '../options.ts';

function triple(name: string, positive = false) {
  return (value: string): [number, number, number] => {
    const parts = value.split(',').map((p) => (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(p) ? Number(p) : Number.NaN));
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || (positive && p <= 0))) {
      throw usageError(`${name} takes three comma-separated ${positive ? 'positive ' : ''}numbers`, { field: name, received: JSON.stringify(value), expected: positive ? 'e.g. 0.229,0.224,0.225 (each > 0)' : 'e.g. 0.485,0.456,0.406' });
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

export function register(program: Command): void {
  program
    .command('eval')
    .summary('run an ONNX classifier on a test set and store every prediction')
    .description(
      'Runs an ONNX classifier on a test set (a name like cifar10-test, or a path to a .bin file, an NPY\n' +
        'pair or a class-folder tree) and stores the top-5 classes of every image in the results store.\n' +
        'Interrupted runs resume where they stopped; a finished run answers at once from the store.\n' +
        'Preprocessing comes from the model\'s JSON sidecar (model.onnx → model.json); flags override it.',
    )
    .requiredOption('--model <file>', 'the ONNX model')
    .requiredOption('--dataset <name|path>', 'test set name or path')
    .addOption(dataDirOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .option('--name <name>', 'model name in the store (default: sidecar name or file stem)')
    .option('--sidecar <file>', 'model sidecar JSON (default: beside the model)')
    .option('--batch-size <n>', 'images per inference call', positiveInt('--batch-size'), 128)
    .option('--threads <n>', 'onnxruntime threads (default: all cores)', positiveInt('--threads'))
    .option('--decode-concurrency <n>', 'images decoded at once', positiveInt('--decode-concurrency'), 8)
    .option('--save-logits', 'store the full output row of every image')
    .option('--fail-fast', 'stop at the first unreadable image instead of recording it')
    .option('--input-name <name>', 'graph input to feed')
    .option('--output-name <name>', 'graph output with the class scores')
    .addOption(new Option('--layout <layout>', 'input layout').choices(['NCHW', 'NHWC']))
    .option('--size <n>', 'input height and width', positiveInt('--size'))
    .option('--resize <n>', 'shorter side after resizing, before the center crop', positiveInt('--resize'))
    .option('--crop-pct <f>', 'crop fraction; resize = floor(size / crop_pct)', fraction('--crop-pct'))
    .addOption(new Option('--interpolation <kind>', 'resampling filter').choices(['bilinear', 'bicubic', 'nearest']))
    .option('--mean <r,g,b>', 'per-channel mean (after scaling)', triple('--mean'))
    .option('--std <r,g,b>', 'per-channel std (after scaling), each > 0', triple('--std', true))
    .addOption(new Option('--scale <kind>', 'pixel scaling before mean/std').choices(['uint8/255', 'uint8']))
    .option('--no-normalize', 'do not apply mean/std outside the graph')
    .option('--restart', 'discard an interrupted run of this model whose test-set files have changed since, and start again')
    .action(async (opts) => {
      const dataset = await resolveDataset(opts.dataset, { dataDir: opts.dataDir, cacheDir: cacheDir() });
      const overrides: ModelOverrides = {
        name: opts.name,
        sidecar: opts.sidecar,
        inputName: opts.inputName,
        outputName: opts.outputName,
        layout: opts.layout,
        size: opts.size,
        resize: opts.resize,
        cropPct: opts.cropPct,
        interpolation: opts.interpolation,
        mean: opts.mean,
        std: opts.std,
        scale: opts.scale === undefined ? undefined : opts.scale === 'uint8' ? 1 : 1 / 255,
        noNormalize: opts.normalize === false ? true : undefined,
      };
      const store = openResultsStore(opts.db);
      const fileHashes = openFileHashCache(cacheDir());
      try {
        const { summary, fromStore } = await evaluateRun({
          store,
          dataset,
          modelPath: resolve(opts.model),
          overrides,
          options: { batchSize: opts.batchSize, threads: opts.threads, decodeConcurrency: opts.decodeConcurrency, saveLogits: !!opts.saveLogits, failFast: !!opts.failFast },
          progress: terminalProgress({ quiet: !!opts.json, unit: 'images' }),
          fileHashes,
          restart: !!opts.restart,
          onWait: (holder) => process.stderr.write(`retest eval: the same run is in progress in process ${holder}; waiting for it to finish…\n`),
        });
        if (opts.json) printJson(summary);
        else process.stdout.write(formatSummary(summary, fromStore));
      } finally {
        fileHashes.close();
        store.close();
      }
    });
}

const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(2));

export function formatSummary(s: EvalSummary, fromStore = false): string {
  const line = (label: string, a: EvalSummary['top1']) =>
    `${label.padEnd(9)}${pct(a.accuracy).padStart(6)} %   95 % CI [${pct(a.ci95[0])}, ${pct(a.ci95[1])}]   (${a.correct}/${s.n})\n`;
  return (
    `model    ${s.model}\n` +
    `dataset  ${s.dataset} (${s.n} images${s.failed ? `, ${s.failed} unreadable — counted wrong` : ''}${s.dataset_version !== null && s.dataset_version > 1 ? `; content version ${s.dataset_version}: its files changed since version 1` : ''})\n` +
    line('top-1', s.top1) +
    (s.top5 ? line('top-5', s.top5) : '') +
    (s.images_per_second !== null ? `speed    ${s.images_per_second.toFixed(0)} images/s${fromStore ? ' (when the run was made)' : ''}\n` : '') +
    (fromStore ? 'note     answered from the store: this run finished earlier, nothing was run now\n' : '')
  );
}
