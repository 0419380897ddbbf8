/**
 * `retest import FORMAT PATH`: predictions made elsewhere, into the results store, under the
 * canonical test-set names. One transaction per call: nothing is half-imported.
 */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { modelMatcher } from '../../analyze/index.ts';
import { usageError } from '../../core/errors.ts';
import { readCifar101Predictions, readGenericPredictions, readImagenetV2Predictions, writeImportBatch } from '../../import/index.ts';
import type { ImportBatch, TopkOrder } from '../../import/index.ts';
import { openResultsStore } from '../../store/index.ts';
import { dbOption, jsonOption, positiveInt, printJson } from '../options.ts';

interface ImportOptions {
  db: string;
  json?: boolean;
  metadata?: string;
  include?: string[];
  exclude?: string[];
  topkOrder: TopkOrder;
  replace?: boolean;
  dataset?: string;
  model?: string;
  labels?: string;
  numClasses?: number;
}

export function register(program: Command): void {
  program
    .command('import')
    .summary('import predictions made elsewhere (ImageNetV2 / CIFAR-10.1 authors\' files, CSV, NPY)')
    .description(
      'Imports per-image predictions into the results store that `retest eval` writes, under canonical\n' +
        'test-set names, so `retest analyze` and `retest report` can use them. Formats:\n' +
        '  imagenetv2  <root>/<dataset>/<model>.npy top-5 files (the ImageNetV2 authors\' layout); --metadata\n' +
        '              is the folder with class_info.json and datasets/<name>.json\n' +
        '  cifar10.1   <root>/{original,v4,v6}/<model>_predictions.json; --metadata holds the label files\n' +
        '              (test_labels_official.npy, cifar10.1_v4_labels.npy, cifar10.1_v6_labels.npy, or in\n' +
        '              cifar10/ and cifar10.1/ below it)\n' +
        '  csv         image_id,top1,… or image_id,<one score per class>; needs --dataset (and --labels if the\n' +
        '              set is not in the store yet)\n' +
        '  npy         integer [N,k] top-k or float [N,C] logits in dataset order; --dataset, --labels as above\n' +
        'Everything in one call is written in one transaction; runs already imported are skipped unless --replace.',
    )
    .argument('<format>', 'imagenetv2 | cifar10.1 | csv | npy')
    .argument('<path>', 'folder (imagenetv2, cifar10.1) or file (csv, npy)')
    .option('--metadata <dir>', 'labels/metadata folder (imagenetv2, cifar10.1)')
    .option('--include <pattern...>', 'import only models matching these names or globs')
    .option('--exclude <pattern...>', 'skip models matching these names or globs')
    .addOption(new Option('--topk-order <order>', 'order of stored top-k rows; auto reverses best-last files').choices(['auto', 'best-first', 'best-last']).default('auto'))
    .option('--replace', 'overwrite runs already imported for the same model and test set')
    .option('--dataset <name>', 'test set name (csv, npy)')
    .option('--model <name>', 'model name (csv, npy; default: the file stem)')
    .option('--labels <file>', 'labels: .npy, .json array, or .csv image_id,label (csv, npy)')
    .option('--num-classes <n>', 'number of classes (csv, npy; default from labels or logits)', positiveInt('--num-classes'))
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest import imagenetv2 ../shared/data/imagenetv2-predictions --metadata ../shared/data/imagenet
  $ retest import cifar10.1 ../shared/data/cifar10.1-predictions --metadata ../shared/data
  $ retest import csv my_model_v2.csv --dataset imagenetv2-matched-frequency --model my_model`,
    )
    .action((format: string, path: string, opts: ImportOptions) => {
      const selectModel = modelMatcher({ ...(opts.include ? { include: opts.include } : {}), ...(opts.exclude ? { exclude: opts.exclude } : {}) });
      const needMetadata = (): string => {
        if (!opts.metadata) throw usageError(`${format} import needs --metadata`, { field: '--metadata', hint: format === 'imagenetv2' ? 'the folder with class_info.json and datasets/' : 'the folder with the label .npy files' });
        if (!existsSync(opts.metadata)) throw usageError(`no such folder: ${opts.metadata}`, { field: '--metadata' });
        return resolve(opts.metadata);
      };
      const store = openResultsStore(opts.db);
      try {
        let batch: ImportBatch;
        if (format === 'imagenetv2') batch = readImagenetV2Predictions(resolve(path), { metadata: needMetadata(), selectModel, topkOrder: opts.topkOrder });
        else if (format === 'cifar10.1') batch = readCifar101Predictions(resolve(path), { metadata: needMetadata(), selectModel });
        else if (format === 'csv' || format === 'npy') {
          if (!opts.dataset) throw usageError(`${format} import needs --dataset`, { field: '--dataset', hint: 'the canonical test-set name, e.g. imagenetv2-matched-frequency' });
          batch = readGenericPredictions(resolve(path), {
            dataset: opts.dataset,
            topkOrder: opts.topkOrder,
            ...(opts.model ? { model: opts.model } : {}),
            ...(opts.labels ? { labels: resolve(opts.labels) } : {}),
            ...(opts.numClasses ? { numClasses: opts.numClasses } : {}),
          }, store);
        } else throw usageError(`unknown import format "${format}"`, { field: '<format>', expected: 'imagenetv2, cifar10.1, csv or npy', received: format });
        if (batch.predictions.length === 0) throw usageError('no prediction files matched', { file: path, hint: opts.include || opts.exclude ? 'check --include/--exclude' : 'check the folder layout (see --help)' });
        const summary = writeImportBatch(store, batch, { replace: opts.replace ?? false });
        if (opts.json) {
          printJson({
            format: summary.format,
            db: resolve(opts.db),
            runs: summary.runs.map((r) => ({ model: r.model, dataset: r.dataset, run: r.runId, n: r.n, top1_correct: r.top1Correct, top5_correct: r.top5Correct, skipped: r.skipped, notes: r.notes })),
          });
          return;
        }
        const width = Math.max(...summary.runs.map((r) => r.model.length), 5);
        for (const r of summary.runs) {
          const top5 = r.top5Correct === null ? '' : `  top-5 ${r.top5Correct}/${r.n} (${((100 * r.top5Correct) / r.n).toFixed(2)}%)`;
          const note = r.notes.length > 0 ? `  [${r.notes.join('; ')}]` : '';
          process.stdout.write(`${r.skipped ? 'skipped ' : 'imported'} ${r.model.padEnd(width)}  ${r.dataset.padEnd(28)}  top-1 ${r.top1Correct}/${r.n} (${((100 * r.top1Correct) / r.n).toFixed(2)}%)${top5}${note}\n`);
        }
        const imported = summary.runs.filter((r) => !r.skipped).length;
        process.stdout.write(`\n${imported} run(s) imported, ${summary.runs.length - imported} already present, into ${resolve(opts.db)}\n`);
      } finally {
        store.close();
      }
    });
}
