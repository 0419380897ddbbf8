/**
 * `retest keywords allocate`: CIFAR-10.1's per-keyword allocation of the new images (DESIGN §1.2),
 * and optionally the draw of that many images per keyword from a keyword-tagged pool, written as a
 * URL list that `retest collect urls` ingests.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { allocateKeywords, drawFromPool, readKeywordCounts, readKeywordPool, sharedKeywords } from '../../collect/index.ts';
import { createRng, usageError } from '../../core/index.ts';
import { jsonOption, positiveInt, printJson } from '../options.ts';
import { intArg } from './tasks.ts';

interface AllocateFlags {
  counts: string;
  perClass: number;
  top: number;
  pool?: string;
  seed?: number;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const group = program
    .command('keywords')
    .description("CIFAR-10.1's keyword allocation: images per keyword in proportion to the original dataset's keyword counts");
  group
    .command('allocate')
    .description(
      'Per class, the top --top keywords of the original dataset by count; keyword k gets --per-class · count_k / Σ counts\n' +
        'images (float64), floored, the rest one each by largest remainder, ties to the earlier (higher-count) keyword\n' +
        '(CIFAR-10.1 v6: --top 50 --per-class 200). With --pool, draws that many images per keyword from a pool of\n' +
        'keyword-tagged images (seeded) and writes them with --out as a URL list for `retest collect urls`.',
    )
    .requiredOption('--counts <file>', "the original dataset's keyword counts: CSV class,keyword[,count] or JSON (see docs)")
    .option('--per-class <n>', 'images per class', positiveInt('--per-class'), 200)
    .option('--top <k>', 'keywords kept per class', positiveInt('--top'), 50)
    .option('--pool <file>', 'keyword-tagged candidates: CSV image,keyword[,class] or JSON {image: keyword}')
    .option('--seed <n>', 'seed of the draw from the pool', intArg('--seed'))
    .option('--out <file.csv>', 'write the drawn images as url,class,keyword (needs --pool)')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Example:
  $ retest keywords allocate --counts cifar10_keyword_counts.csv --per-class 200 --top 50
  $ retest keywords allocate --counts counts.csv --pool tinyimages_pool.csv --seed 1 --out selection.csv
  $ retest collect urls selection.csv --workspace my-cifar`,
    )
    .action(runAllocate);
}

/** Allocates, optionally draws from the pool and writes the URL list, and reports (as JSON or text). */
function runAllocate(flags: AllocateFlags): void {
  if (flags.out && !flags.pool) throw usageError('--out writes the images drawn from --pool', { field: '--out', hint: 'add --pool FILE (and --seed N)' });
  if (flags.pool && flags.seed === undefined)
    throw usageError('drawing from --pool needs --seed', { field: '--seed', hint: 'e.g. --seed 1 (recorded so the draw can be repeated)' });
  const allocation = allocateKeywords(readKeywordCounts(flags.counts), { perClass: flags.perClass, topK: flags.top });
  const shared = sharedKeywords(allocation);
  const draw = flags.pool ? drawFromPool(allocation, readKeywordPool(flags.pool), createRng(flags.seed as number)) : null;
  if (flags.out && draw) {
    writeFileSync(
      resolve(flags.out),
      stringify(
        draw.selection.map((s) => [s.image, s.classKey, s.keyword]),
        { header: true, columns: ['url', 'class', 'keyword'] },
      ),
    );
  }
  if (flags.json) {
    printJson({
      perClass: flags.perClass,
      topK: flags.top,
      classes: allocation.map((c) => ({
        class: c.classKey,
        topKCount: c.topKCount,
        totalCount: c.totalCount,
        keywords: Object.fromEntries(c.keywords.filter((k) => k.allocated > 0).map((k) => [k.keyword, k.allocated])),
      })),
      sharedKeywords: shared,
      ...(draw ? { seed: flags.seed, drawn: draw.selection.length, short: draw.short, keywordsShort: draw.keywords.filter((k) => k.drawn < k.allocated) } : {}),
      ...(flags.out ? { out: resolve(flags.out) } : {}),
    });
    return;
  }
  printAllocation(allocation, shared, draw, flags);
}

/** The text report: per class the keywords given images, shared keywords, and what the draw was short of. */
function printAllocation(
  allocation: ReturnType<typeof allocateKeywords>,
  shared: ReturnType<typeof sharedKeywords>,
  draw: ReturnType<typeof drawFromPool> | null,
  flags: AllocateFlags,
): void {
  for (const c of allocation) {
    const given = c.keywords.filter((k) => k.allocated > 0);
    const cover = c.totalCount > 0 ? ` (top ${c.keywords.length} cover ${((100 * c.topKCount) / c.totalCount).toFixed(1)} % of the class)` : '';
    process.stdout.write(
      `${c.classKey}: ${given.reduce((s, k) => s + k.allocated, 0)} images over ${given.length} keywords${cover}: ${given.map((k) => `${k.keyword} ${k.allocated}`).join(', ')}\n`,
    );
  }
  for (const s of shared)
    process.stderr.write(`warning: keyword "${s.keyword}" is allocated in ${s.classKeys.join(' and ')}; its pool images are split between them\n`);
  if (draw) {
    process.stdout.write(`drew ${draw.selection.length} images (seed ${flags.seed})${flags.out ? ` → ${resolve(flags.out)}` : ''}\n`);
    for (const s of draw.short.filter((x) => x.short > 0)) {
      const missing = draw.keywords.filter((k) => k.classKey === s.classKey && k.drawn < k.allocated).map((k) => `${k.keyword} ${k.drawn}/${k.allocated}`);
      process.stderr.write(`${s.classKey}: short ${s.short} (the pool has too few images for ${missing.join(', ')})\n`);
    }
  }
}
