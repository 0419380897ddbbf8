/**
 * `retest eval --model M.onnx… --dataset NAME|PATH…`: run classifiers on test sets. One model on
 * one set is one run (one JSON object); several make a matrix of runs (one JSON line per cell,
 * then a summary line), decoding each image once for the models that crop alike.
 */
import type { Command, OptionValues } from 'commander';
import type { App } from '../types.ts';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { usageError } from '../../core/errors.ts';
import { terminalProgress } from '../../core/progress.ts';
import { openFileHashCache, resolveDataset, type LoadedDataset } from '../../datasets/index.ts';
import { evaluateMatrix, evaluateRun, terminalMatrixProgress, type CellSummary, type EvalSummary, type MatrixSummary } from '../../evaluate/index.ts';
import { parseDevice } from '../../onnx/index.ts';
import { cellSummaryJson, evalSummaryJson, matrixSummaryJson } from '../eval-json.ts';
import { cacheDir, dataDirOption, dbOption, jsonOption, positiveInt, printJson } from '../options.ts';
import { addModelOptions, modelOverridesFrom } from './model-options.ts';
import { queueOption } from './jobs.ts';

export function register(program: Command, app: App): void {
  const command = program
    .command('eval')
    .summary('run an ONNX classifier on a test set and store every prediction')
    .description(
      'Runs an ONNX classifier on a test set (a name like cifar10-test, or a path to a .bin file, an NPY\n' +
        'pair or a class-folder tree) and stores the top-5 classes of every image in the results store.\n' +
        'Several --model and --dataset values (globs too) make a matrix: each (model, test set) is its own\n' +
        'run, and models that crop alike share one decode and crop per image.\n' +
        'Interrupted runs resume where they stopped; a finished run answers at once from the store.\n' +
        "Preprocessing comes from the model's JSON sidecar (model.onnx → model.json) or --timm-config;\n" +
        'flags override it. Image files are read and cropped as torchvision does on Pillow, byte for byte\n' +
        '(`retest preprocess` writes those tensors to a file).',
    )
    .requiredOption('--model <file...>', 'ONNX models (several, or a quoted glob such as "m/*.onnx")')
    .requiredOption('--dataset <name|path...>', 'test set names or paths (several; globs for paths)')
    .addOption(dataDirOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .option('--device <device>', 'execution provider: cpu, cuda, cuda:N, tensorrt[:N], dml[:N], coreml, webgpu', 'cpu')
    .option('--batch-size <n>', 'images per inference call (default 128 on cpu, 256 on accelerators)', positiveInt('--batch-size'))
    .option('--threads <n>', 'onnxruntime threads of the CPU provider (default: all cores)', positiveInt('--threads'))
    .option('--decode-concurrency <n>', 'worker threads decoding and cropping images (at most the cores)', positiveInt('--decode-concurrency'), 8)
    .option('--save-logits', 'store the full output row of every image')
    .option('--fail-fast', 'stop at the first unreadable image instead of recording it')
    .option('--restart', 'discard an interrupted run of this model whose test-set files have changed since, and start again')
    .addOption(queueOption())
    .option('--detach', 'with --queue: submit the jobs and return at once (see `retest jobs status`)');
  addModelOptions(command).action((opts: OptionValues) => evalAction(app, opts));
}

/** The eval action: checks the flags, then one run, a matrix of runs, or one run queued for workers. */
async function evalAction(app: App, opts: OptionValues): Promise<void> {
  const { device, models, datasets } = await evalInputs(opts);
  const options = {
    batchSize: opts.batchSize,
    threads: opts.threads,
    decodeConcurrency: opts.decodeConcurrency,
    saveLogits: !!opts.saveLogits,
    failFast: !!opts.failFast,
  };
  const store = await app.openResults(opts.db);
  const fileHashes = await openFileHashCache(cacheDir(), { warn: (message) => process.stderr.write(`retest eval: warning: ${message}\n`) });
  try {
    const run = { opts, store, fileHashes, models, datasets };
    // --queue: the same run as jobs for `retest worker` processes (src/jobs/eval-job.ts).
    if (opts.queue) return await queueRun(run);
    if (models.length === 1 && datasets.length === 1) return await singleRun(run, options, device);
    await matrixRun(run, options, device);
  } finally {
    await fileHashes.close();
    await store.close();
  }
}

type Device = ReturnType<typeof parseDevice>;
type ModelArg = { path: string; overrides: ReturnType<typeof modelOverridesFrom> };
type RunOptions = { batchSize?: number; threads?: number; decodeConcurrency?: number; saveLogits: boolean; failFast: boolean };

/** What every branch of the action needs. */
interface EvalRun {
  opts: OptionValues;
  store: Awaited<ReturnType<App['openResults']>>;
  fileHashes: Awaited<ReturnType<typeof openFileHashCache>>;
  models: ModelArg[];
  datasets: LoadedDataset[];
}

/** The device, models (with their overrides) and test sets the flags name, or a usage error for flags that do not fit together. */
async function evalInputs(opts: OptionValues): Promise<{ device: Device; models: ModelArg[]; datasets: LoadedDataset[] }> {
  const device = parseDevice(opts.device as string);
  if (opts.threads !== undefined && device.kind !== 'cpu') {
    throw usageError('--threads applies to the CPU provider only', {
      field: '--threads',
      received: `--device ${opts.device}`,
      hint: 'leave --threads out, or use --device cpu',
    });
  }
  const modelPaths = expandGlobs(opts.model as string[], '--model');
  const timm = (opts.timmConfig as string[] | undefined) ?? [];
  if (timm.length > 1 && timm.length !== modelPaths.length) {
    throw usageError(`--timm-config gives ${timm.length} files for ${modelPaths.length} models`, {
      field: '--timm-config',
      expected: `one file for all models, or ${modelPaths.length} (one per model, in order)`,
      received: timm.join(' '),
    });
  }
  const models = modelPaths.map((path, i) => ({ path, overrides: modelOverridesFrom(opts, timm.length > 1 ? timm[i] : timm[0]) }));
  const datasetArgs = expandGlobs(opts.dataset as string[], '--dataset', true);
  if (models.length > 1 && opts.name !== undefined)
    throw usageError('--name names one model; with several --model, name them in their sidecars', { field: '--name', received: opts.name as string });
  const datasets: LoadedDataset[] = [];
  for (const value of datasetArgs) datasets.push(await resolveDataset(value, { dataDir: opts.dataDir, cacheDir: cacheDir() }));
  return { device, models, datasets };
}

/** --queue: one model on one test set, as jobs for `retest worker` processes. */
async function queueRun({ opts, store, fileHashes, models, datasets }: EvalRun): Promise<void> {
  if (models.length !== 1 || datasets.length !== 1) {
    throw usageError('--queue evaluates one model on one test set per command', {
      field: '--queue',
      received: `${models.length} models × ${datasets.length} test sets`,
      hint: 'run one `retest eval --queue` per cell; the workers share the queue',
    });
  }
  return await (await import('../../jobs/index.ts')).evalFromCli({
    store,
    dataset: datasets[0]!,
    modelPath: models[0]!.path,
    overrides: models[0]!.overrides,
    options: { batchSize: opts.batchSize, saveLogits: !!opts.saveLogits, failFast: !!opts.failFast },
    dataDir: opts.dataDir,
    fileHashes,
    restart: !!opts.restart,
    queue: opts.queue,
    detach: !!opts.detach,
    quiet: !!opts.json,
    print: (s, fromStore) => (opts.json ? printJson(evalSummaryJson(s)) : process.stdout.write(formatSummary(s, fromStore))),
  });
}

/** One model on one test set: one run, one JSON object. */
async function singleRun({ opts, store, fileHashes, models, datasets }: EvalRun, options: RunOptions, device: Device): Promise<void> {
  const { summary, fromStore } = await evaluateRun({
    store,
    dataset: datasets[0]!,
    modelPath: models[0]!.path,
    overrides: models[0]!.overrides,
    options,
    device,
    progress: terminalProgress({ quiet: !!opts.json, unit: 'images' }),
    fileHashes,
    restart: !!opts.restart,
    onWait: (holder) => process.stderr.write(`retest eval: the same run is in progress in process ${holder}; waiting for it to finish…\n`),
  });
  if (opts.json) printJson(evalSummaryJson(summary));
  else process.stdout.write(formatSummary(summary, fromStore));
}

/** Several models or test sets: a matrix of runs, one JSON line per cell, then the summary line. */
async function matrixRun({ opts, store, fileHashes, models, datasets }: EvalRun, options: RunOptions, device: Device): Promise<void> {
  const cells: CellSummary[] = [];
  const summary = await evaluateMatrix({
    store,
    datasets,
    models,
    options,
    device,
    progress: terminalMatrixProgress({ quiet: !!opts.json }),
    fileHashes,
    restart: !!opts.restart,
    onCell: (cell) => {
      if (opts.json) printJson(cellSummaryJson(cell));
      cells.push(cell);
    },
    onWait: (holder, cell) =>
      process.stderr.write(`retest eval: ${cell.model} on ${cell.dataset} is in progress in process ${holder}; it is waited for at the end…\n`),
  });
  if (opts.json) printJson(matrixSummaryJson(summary));
  else process.stdout.write(formatMatrix(cells, summary));
}

/**
 * Expands quoted globs (`"m/*.onnx"`): a value with *, ?, [ or { is matched against the files
 * (and, for datasets, folders) under its fixed leading folders; other values pass through
 * (`--dataset` names). A glob that matches nothing is a usage error.
 */
export function expandGlobs(values: readonly string[], option: string, folders = false): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (!/[*?[{]/.test(value)) {
      out.push(option === '--model' ? resolve(value) : value);
      continue;
    }
    const absolute = resolve(value);
    const parts = absolute.split(sep);
    const fixed = parts.findIndex((p) => /[*?[{]/.test(p));
    const base = parts.slice(0, fixed).join(sep) || sep;
    const match = picomatch(parts.slice(fixed).join('/'));
    let entries: string[] = [];
    try {
      entries = (readdirSync(base, { recursive: true }) as string[]).map((e) => e.split(sep).join('/'));
    } catch {
      entries = [];
    }
    const found = entries
      .filter((e) => match(e))
      .map((e) => join(base, e))
      .filter((p) => {
        const s = statSync(p);
        return s.isFile() || (folders && s.isDirectory());
      })
      .sort();
    if (found.length === 0)
      throw usageError(`${option} ${JSON.stringify(value)} matches no file`, {
        field: option,
        received: value,
        hint: 'check the pattern (quote it so that retest, not the shell, expands it)',
      });
    out.push(...found);
  }
  return [...new Set(out)];
}

const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(2));

export function formatSummary(s: EvalSummary, fromStore = false): string {
  const line = (label: string, a: EvalSummary['top1']) =>
    `${label.padEnd(9)}${pct(a.accuracy).padStart(6)} %   95 % CI [${pct(a.ci95[0])}, ${pct(a.ci95[1])}]   (${a.correct}/${s.n})\n`;
  return (
    `model    ${s.model}\n` +
    `dataset  ${s.dataset} (${s.n} images${s.failed ? `, ${s.failed} unreadable — counted wrong` : ''}${s.datasetVersion !== null && s.datasetVersion > 1 ? `; content version ${s.datasetVersion}: its files changed since version 1` : ''})\n` +
    line('top-1', s.top1) +
    (s.top5 ? line('top-5', s.top5) : '') +
    (s.imagesPerSecond !== null ? `speed    ${s.imagesPerSecond.toFixed(0)} images/s${fromStore ? ' (when the run was made)' : ''}\n` : '') +
    (fromStore ? 'note     answered from the store: this run finished earlier, nothing was run now\n' : '')
  );
}

/** The matrix as a table, one row per cell, then the totals. */
export function formatMatrix(cells: readonly CellSummary[], m: MatrixSummary): string {
  const width = (values: string[], min: number) => Math.max(min, ...values.map((v) => v.length));
  const mw = width(
    cells.map((c) => c.model),
    5,
  );
  const dw = width(
    cells.map((c) => `${c.dataset}${c.datasetVersion !== null && c.datasetVersion > 1 ? ` (v${c.datasetVersion})` : ''}`),
    7,
  );
  const rows = cells.map(
    (c) =>
      `${c.model.padEnd(mw)}  ${`${c.dataset}${c.datasetVersion !== null && c.datasetVersion > 1 ? ` (v${c.datasetVersion})` : ''}`.padEnd(dw)}  ${String(c.n).padStart(6)}  ${pct(c.top1.accuracy).padStart(6)}  ${(c.top5 ? pct(c.top5.accuracy) : '—').padStart(6)}  ${c.failed ? `${c.failed} unreadable ` : ''}${c.fromStore ? 'from the store' : `${c.imagesPerSecond === null ? '—' : c.imagesPerSecond.toFixed(0)} images/s`}\n`,
  );
  return (
    `${'model'.padEnd(mw)}  ${'dataset'.padEnd(dw)}  ${'images'.padStart(6)}  ${'top-1%'.padStart(6)}  ${'top-5%'.padStart(6)}\n` +
    rows.join('') +
    `${m.cells} cells (${m.models} models × ${m.datasets} test sets): ${m.evaluated} evaluated now, ${m.fromStore} from the store; ` +
    `${m.predictions} predictions in ${m.seconds.toFixed(1)} s${m.predictionsPerSecond !== null ? ` (${m.predictionsPerSecond.toFixed(0)} images·models/s)` : ''} on ${m.provider}\n`
  );
}
