/**
 * `retest import FORMAT PATH`: predictions made elsewhere, into the results store, under the
 * canonical test-set names. One transaction per call: nothing is half-imported.
 */
import { Command, Option } from 'commander';
import { modelMatcher } from '../../analyze/index.ts';
import { usageError } from '../../core/errors.ts';
import { importerFor, IMPORTERS, writeImportBatch } from '../../import/index.ts';
import type { TopkOrder } from '../../import/index.ts';
import type { App } from '../types.ts';
import { dbOption, jsonOption, positiveInt, printJson, storeName } from '../options.ts';
import { importAccuracies, type AccuracyCliOptions } from './import-accuracies.ts';

interface ImportOptions extends Omit<AccuracyCliOptions, 'db' | 'json' | 'include' | 'exclude' | 'replace'> {
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

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: commander option declarations, one per line; the actions call the importers
export function register(program: Command, app: App): void {
  program
    .command('import')
    .summary("import predictions made elsewhere (ImageNetV2 / CIFAR-10.1 authors' files, CSV, NPY) or published accuracy tables")
    .description(
      'Imports per-image predictions into the results store that `retest eval` writes, under canonical\n' +
        'test-set names, so `retest analyze` and `retest report` can use them. Formats:\n' +
        IMPORTERS.map((i) => `  ${i.format.padEnd(11)} ${i.summary}\n`).join('') +
        `  ${'accuracies'.padEnd(11)} a published per-model accuracy table (CSV): --key, then --test-set/--value or --wide\n` +
        'Everything in one call is written in one transaction; runs already imported are skipped unless --replace.\n' +
        'Accuracy tables are stored as "published accuracy" (counts round(accuracy × n), nothing per image).',
    )
    .argument('<format>', [...IMPORTERS.map((i) => i.format), 'accuracies'].join(' | '))
    .argument('<path>', 'folder (imagenetv2, cifar10.1) or file (csv, npy, accuracies)')
    .option('--metadata <dir>', 'labels/metadata folder (imagenetv2, cifar10.1)')
    .option('--include <pattern...>', 'import only models matching these names or globs')
    .option('--exclude <pattern...>', 'skip models matching these names or globs')
    .addOption(
      new Option('--topk-order <order>', 'order of stored top-k rows; auto reverses best-last files')
        .choices(['auto', 'best-first', 'best-last'])
        .default('auto'),
    )
    .option('--replace', 'overwrite runs already imported for the same model and test set')
    .option('--dataset <name>', 'test set name (csv, npy)')
    .option('--model <name>', 'model name (csv, npy; default: the file stem)')
    .option('--labels <file>', 'labels: .npy, .json array, or .csv image_id,label (csv, npy)')
    .option('--num-classes <n>', 'number of classes (csv, npy; default from labels or logits)', positiveInt('--num-classes'))
    .option('--key <columns>', 'accuracies: column(s) naming a model, comma-separated (timm: model,img_size)')
    .option('--test-set <name>', 'accuracies: the test set of a one-set file (e.g. imagenet-val)')
    .option('--value <column>', 'accuracies: the column with the top-1 accuracy (with --test-set)')
    .option('--top5 <column>', 'accuracies: the column with the top-5 accuracy (with --test-set)')
    .option('--wide', 'accuracies: every other numeric column is a test set, named by its header')
    .option('--map <column=test-set...>', 'accuracies: rename a column to a test set (--map val=imagenet-val)')
    .option('--skip <columns>', 'accuracies (--wide): numeric columns that are not accuracies, comma-separated')
    .option('--n <test-set=n...>', 'accuracies: images in a test set (known sets default to their size)')
    .addOption(
      new Option('--units <units>', 'accuracies: percent or fraction; auto decides per column (percent when a value exceeds 1 or has a % sign)')
        .choices(['auto', 'percent', 'fraction'])
        .default('auto'),
    )
    .option('--collection <name>', 'accuracies: the collection the table belongs to, drawn as one cloud in reports (default: imported)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest import imagenetv2 ../shared/data/imagenetv2-predictions --metadata ../shared/data/imagenet
  $ retest import cifar10.1 ../shared/data/cifar10.1-predictions --metadata ../shared/data
  $ retest import csv my_model_v2.csv --dataset imagenetv2-matched-frequency --model my_model
  $ retest import accuracies results-imagenet.csv --key model,img_size --test-set imagenet-val --value top1 --top5 top5 --collection timm
  $ retest import accuracies table.csv --key model --wide --map val=imagenet-val --map v2=imagenetv2-matched-frequency`,
    )
    .action(async (format: string, path: string, opts: ImportOptions) => {
      if (format === 'accuracies') {
        await importAccuracies(app, path, opts);
        return;
      }
      const importer = importerFor(format);
      const selectModel = modelMatcher({ ...(opts.include ? { include: opts.include } : {}), ...(opts.exclude ? { exclude: opts.exclude } : {}) });
      await app.withResults(opts.db, async (store) => {
        const batch = await importer.read({
          path,
          store,
          selectModel,
          topkOrder: opts.topkOrder,
          ...(opts.metadata ? { metadata: opts.metadata } : {}),
          ...(opts.dataset ? { dataset: opts.dataset } : {}),
          ...(opts.model ? { model: opts.model } : {}),
          ...(opts.labels ? { labels: opts.labels } : {}),
          ...(opts.numClasses ? { numClasses: opts.numClasses } : {}),
        });
        if (batch.predictions.length === 0)
          throw usageError('no prediction files matched', {
            file: path,
            hint: opts.include || opts.exclude ? 'check --include/--exclude' : 'check the folder layout (see --help)',
          });
        const summary = await writeImportBatch(store, batch, { replace: opts.replace ?? false });
        if (opts.json) {
          printJson({
            format: summary.format,
            db: storeName(store),
            runs: summary.runs.map((r) => ({
              model: r.model,
              dataset: r.dataset,
              run: r.runId,
              n: r.n,
              top1_correct: r.top1Correct,
              top5_correct: r.top5Correct,
              skipped: r.skipped,
              notes: r.notes,
            })),
          });
          return;
        }
        const width = Math.max(...summary.runs.map((r) => r.model.length), 5);
        for (const r of summary.runs) {
          const pct = (correct: number) => (r.n > 0 ? `${((100 * correct) / r.n).toFixed(2)}%` : '—'); // 0 images: no accuracy
          const top5 = r.top5Correct === null ? '' : `  top-5 ${r.top5Correct}/${r.n} (${pct(r.top5Correct)})`;
          const note = r.notes.length > 0 ? `  [${r.notes.join('; ')}]` : '';
          process.stdout.write(
            `${r.skipped ? 'skipped ' : 'imported'} ${r.model.padEnd(width)}  ${r.dataset.padEnd(28)}  top-1 ${r.top1Correct}/${r.n} (${pct(r.top1Correct)})${top5}${note}\n`,
          );
        }
        const imported = summary.runs.filter((r) => !r.skipped).length;
        process.stdout.write(`\n${imported} run(s) imported, ${summary.runs.length - imported} already present, into ${storeName(store)}\n`);
      });
    });
}
