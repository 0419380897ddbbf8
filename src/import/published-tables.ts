/**
 * The published results bundled with retest, by name, for `--published [NAME…]`:
 * - `recht2019`: the paper's 67 ImageNet and 30 CIFAR-10 models as correct counts
 *   (data/published/recht2019_per_model_counts.csv, see published.ts);
 * - `timm`: timm's 1,556 (model, img_size) rows on ImageNet and ImageNetV2 MatchedFrequency
 *   (data/published/timm/, Apache-2.0, with its NOTICE), read as accuracy tables keyed by
 *   `model,img_size`, top-1 and top-5 in percent, counts round(accuracy × n).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataError, usageError } from '../core/errors.ts';
import { readAccuracyTable } from './accuracy-table.ts';
import { loadPublished, publishedCsvPath } from './published.ts';
import type { CountRecord } from './types.ts';

/** A bundled table. */
export interface PublishedTable {
  /** The name given to --published. */
  name: string;
  /** One line for --help and the report. */
  title: string;
  /** Citation / source shown in reports. */
  citation: string;
  /** Its counts (source 'published', collection = name). */
  load(): CountRecord[];
}

/** The folder of the bundled results (data/published/). */
export function publishedDir(): string {
  return dirname(publishedCsvPath());
}

export const TIMM_SOURCE = 'huggingface/pytorch-image-models, results/ at commit aa4b5850c1543fa488abf260f18390eda46cf85d';

/** timm's two result files, in data/published/timm/. */
export function timmFiles(): { imagenet: string; matchedFrequency: string } {
  const dir = join(publishedDir(), 'timm');
  const files = { imagenet: join(dir, 'results-imagenet.csv'), matchedFrequency: join(dir, 'results-imagenetv2-matched-frequency.csv') };
  for (const f of Object.values(files))
    if (!existsSync(f)) throw dataError('the bundled timm results are missing', { file: f, hint: 'reinstall retest; the package ships data/published/timm/' });
  return files;
}

let timmCache: CountRecord[] | undefined;

function loadTimm(): CountRecord[] {
  if (timmCache) return timmCache;
  const files = timmFiles();
  const tables = [
    readAccuracyTable(files.imagenet, { key: ['model', 'img_size'], testSet: 'imagenet-val', value: 'top1', top5: 'top5' }),
    readAccuracyTable(files.matchedFrequency, { key: ['model', 'img_size'], testSet: 'imagenetv2-matched-frequency', value: 'top1', top5: 'top5' }),
  ];
  timmCache = tables.flatMap((t) =>
    t.entries.map((e) => ({
      model: e.model,
      testSet: e.testSet,
      n: e.n,
      top1Correct: e.top1Correct,
      top5Correct: e.top5Correct,
      source: 'published' as const,
      collection: 'timm',
    })),
  );
  return timmCache;
}

export const PUBLISHED_TABLES: readonly PublishedTable[] = [
  {
    name: 'recht2019',
    title: "the paper's 67 ImageNet and 30 CIFAR-10 models (Recht et al. 2019)",
    citation: 'Recht, Roelofs, Schmidt, Shankar. "Do ImageNet Classifiers Generalize to ImageNet?" ICML 2019 (counts from the authors\' released predictions)',
    load: () => loadPublished().map((r) => ({ ...r, collection: 'recht2019' })),
  },
  {
    name: 'timm',
    title: "timm's 1,556 ImageNet models on ImageNet and ImageNetV2 MatchedFrequency",
    citation: `Ross Wightman, PyTorch Image Models (timm), ${TIMM_SOURCE}, Apache-2.0`,
    load: loadTimm,
  },
];

/** The bundled table of a name, or a usage error listing the names. */
export function publishedTable(name: string): PublishedTable {
  const table = PUBLISHED_TABLES.find((t) => t.name === name);
  if (!table)
    throw usageError(`no bundled published results named "${name}"`, {
      field: '--published',
      expected: PUBLISHED_TABLES.map((t) => t.name).join(', '),
      received: name,
    });
  return table;
}

/** Counts of the bundled tables named (each table once, in the order given). */
export function loadPublishedTables(names: readonly string[]): CountRecord[] {
  return [...new Set(names)].flatMap((n) => publishedTable(n).load());
}
