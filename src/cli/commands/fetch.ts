/**
 * `retest fetch NAME`: download a named dataset into the cache (progress bar, resume, checksum,
 * unpack). `retest datasets` lists the named datasets and where each is present.
 */
import type { Command } from 'commander';
import { formatBytes, terminalProgress } from '../../core/progress.ts';
import { datasetNames, fetchDataset } from '../../datasets/index.ts';
import { cacheDir, jsonOption, printJson } from '../options.ts';

export function register(program: Command): void {
  program
    .command('fetch')
    .summary('download a named dataset into the cache')
    .description(
      'Downloads a named dataset (see `retest datasets`) into the cache folder, with a progress bar. ' +
        'An interrupted download resumes where it stopped. Every file is checked against its published ' +
        'md5/sha256 (or, where none is published, against the sha256 recorded at the first download); ' +
        'a file that fails is deleted. Archives are unpacked. ImageNet val cannot be fetched: bring it. ' +
        `Names: ${datasetNames().join(', ')}.`,
    )
    .argument('<name>', 'dataset name')
    .option('--cache <dir>', 'download cache (env RETEST_CACHE)', cacheDir())
    .option('--mirror <url>', 'download <url>/<file name> instead of the official URLs (env RETEST_MIRROR)', process.env.RETEST_MIRROR)
    .option('--force', 'download again even if already in the cache')
    .addOption(jsonOption())
    .action(async (name: string, opts: { cache: string; mirror?: string; force?: boolean; json?: boolean }) => {
      const result = await fetchDataset(name, {
        cacheDir: opts.cache,
        mirror: opts.mirror,
        force: opts.force === true,
        progress: terminalProgress({ quiet: opts.json === true, unit: 'B' }),
      });
      if (opts.json) {
        printJson(result);
        return;
      }
      if (result.alreadyPresent) {
        process.stdout.write(`${result.name} is already in the cache: ${result.path}\n(use --force to download it again)\n`);
        return;
      }
      for (const file of result.files) {
        const how = {
          md5: 'md5 verified',
          sha256: 'sha256 verified',
          'recorded-sha256': 'sha256 matches the first download',
          'first-download': 'no published checksum: sha256 recorded',
        }[file.verifiedBy];
        process.stdout.write(
          `${file.fileName}  ${formatBytes(file.bytes)}  ${how}${file.resumedFrom > 0 ? `, resumed at ${formatBytes(file.resumedFrom)}` : ''}${file.unpacked ? ', unpacked' : ''}\n  sha256 ${file.sha256}\n`,
        );
      }
      process.stdout.write(`${result.name} is ready: ${result.path}\n`);
    });
}
