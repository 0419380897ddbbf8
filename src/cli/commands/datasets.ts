/**
 * `retest datasets`: the named datasets, whether each is present locally and where.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DATASETS, locateDataset, openFileHashCache, readMarker, verifyDataset, type DatasetCheck } from '../../datasets/index.ts';
import { cacheDir, dataDirOption, jsonOption, printJson } from '../options.ts';

export function register(program: Command): void {
  program
    .command('datasets')
    .summary('list the named datasets and where they are')
    .description(
      'Lists the named datasets (usable as --dataset NAME), whether each is present in --data-dir or the ' +
        "download cache, and where, and checks each present one against the official files' checksums\n" +
        '("present, modified" when it differs; checks are cached until a file changes). Missing ones:\n' +
        '`retest fetch NAME` (ImageNet val must be brought by hand).',
    )
    .addOption(dataDirOption())
    .option('--cache <dir>', 'download cache (env RETEST_CACHE)', cacheDir())
    .addOption(jsonOption())
    .action(async (opts: { dataDir?: string; cache: string; json?: boolean }) => {
      const options = { dataDir: opts.dataDir, cacheDir: opts.cache };
      const hashes = await openFileHashCache(opts.cache, { warn: (message) => process.stderr.write(`retest datasets: warning: ${message}\n`) });
      const rows = [];
      try {
        for (const spec of DATASETS) {
          const location = locateDataset(spec, options);
          const marker = location.present && location.where === 'cache' ? readMarker(resolve(opts.cache), spec.name) : null;
          const check: DatasetCheck | null = location.present
            ? await verifyDataset(spec, location.path, location.where, { cacheDir: resolve(opts.cache), hashes })
            : null;
          rows.push({
            name: spec.name,
            title: spec.title,
            present: location.present,
            where: location.present ? location.where : null,
            path: location.present ? location.path : null,
            check,
            fetchedAt: marker?.fetchedAt ?? null,
            looked: location.present ? [] : location.looked,
            downloads: spec.downloads.map((d) => ({
              url: d.url,
              md5: d.md5 ?? null,
              sha256: d.sha256 ?? null,
              bytes: d.bytes ?? null,
              checksumSource: d.checksumSource,
            })),
            manual: spec.manual ?? null,
            homepage: spec.homepage,
            license: spec.license,
          });
        }
      } finally {
        await hashes.close();
      }
      if (opts.json) {
        printJson({ cacheDir: resolve(opts.cache), dataDir: opts.dataDir ? resolve(opts.dataDir) : null, datasets: rows });
        return;
      }
      const width = Math.max(...rows.map((r) => r.name.length));
      process.stdout.write(`cache: ${resolve(opts.cache)}${opts.dataDir ? `   data dir: ${resolve(opts.dataDir)}` : ''}\n\n`);
      for (const row of rows) {
        const state =
          row.check === null ? '' : row.check.status === 'verified' ? ', verified' : row.check.status === 'modified' ? ', modified' : ', not verified';
        const status = row.present
          ? `present${state} (${row.where}) ${row.path}`
          : row.downloads.length > 0
            ? `missing: retest fetch ${row.name}`
            : 'missing: bring it yourself (see docs/datasets.md)';
        process.stdout.write(`${row.name.padEnd(width)}  ${status}\n`);
        if (row.check && row.check.status !== 'verified') process.stdout.write(`${''.padEnd(width)}    ${row.check.detail}\n`);
      }
    });
}
