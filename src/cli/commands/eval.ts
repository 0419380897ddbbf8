/**
 * `retest eval --model M.onnx --dataset NAME|PATH`: run one classifier on one test set.
 */
import type { Command } from 'commander';
import type { App } from '../types.ts';
import { resolve } from 'node:path';
import { terminalProgress } from '../../core/progress.ts';
import { openFileHashCache, resolveDataset } from '../../datasets/index.ts';
import { evaluateRun, type EvalSummary } from '../../evaluate/index.ts';
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
        'Interrupted runs resume where they stopped; a finished run answers at once from the store.\n' +
        'Preprocessing comes from the model\'s JSON sidecar (model.onnx → model.json); flags override it.\n' +
        'Image files are read and cropped as torchvision does on Pillow, byte for byte (`retest preprocess`\n' +
        'writes those tensors to a file).',
    )
    .requiredOption('--model <file>', 'the ONNX model')
    .requiredOption('--dataset <name|path>', 'test set name or path')
    .addOption(dataDirOption())
    .addOption(dbOption())
    .addOption(jsonOption())
    .option('--batch-size <n>', 'images per inference call', positiveInt('--batch-size'), 128)
    .option('--threads <n>', 'onnxruntime threads (default: all cores)', positiveInt('--threads'))
    .option('--decode-concurrency <n>', 'worker threads decoding and cropping images (at most the cores)', positiveInt('--decode-concurrency'), 8)
    .option('--save-logits', 'store the full output row of every image')
    .option('--fail-fast', 'stop at the first unreadable image instead of recording it')
    .option('--restart', 'discard an interrupted run of this model whose test-set files have changed since, and start again')
    .addOption(queueOption())
    .option('--detach', 'with --queue: submit the jobs and return at once (see `retest jobs status`)');
  addModelOptions(command).action(async (opts) => {
    const dataset = await resolveDataset(opts.dataset, { dataDir: opts.dataDir, cacheDir: cacheDir() });
    const overrides = modelOverridesFrom(opts);
    const store = await app.openResults(opts.db);
    const fileHashes = await openFileHashCache(cacheDir());
    try {
      // --queue: the same run as jobs for `retest worker` processes (src/jobs/eval-job.ts).
      if (opts.queue) return await (await import('../../jobs/index.ts')).evalFromCli({ store, dataset, modelPath: resolve(opts.model), overrides, options: { batchSize: opts.batchSize, saveLogits: !!opts.saveLogits, failFast: !!opts.failFast }, dataDir: opts.dataDir, fileHashes, restart: !!opts.restart, queue: opts.queue, detach: !!opts.detach, quiet: !!opts.json, print: (s, fromStore) => process.stdout.write(opts.json ? `${JSON.stringify(s)}\n` : formatSummary(s, fromStore)) });
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
      await fileHashes.close();
      await store.close();
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
