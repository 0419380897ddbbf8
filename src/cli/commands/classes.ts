import type { Command } from 'commander';
import { loadClasses, toClassRow } from '../../classes/index.ts';
import { jsonOption, printJson } from '../options.ts';

export function register(program: Command): void {
  program
    .command('classes')
    .description('print a class list: index, wnid, lemmas, gloss, hypernyms and most similar classes')
    .argument('<list>', 'imagenet, cifar10, or a classes JSON file')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest classes imagenet --json > classes.json   # edit, then: retest init DIR --classes classes.json
  $ retest classes cifar10

ImageNet's classes are generated from WordNet 3.0 (see data/WORDNET-LICENSE).`,
    )
    .action((list: string, options: { json?: boolean }) => {
      const rows = loadClasses(list).map(toClassRow);
      if (options.json) {
        printJson(rows);
        return;
      }
      for (const r of rows) {
        const similar = r.similar.length > 0 ? `  (similar: ${r.similar.slice(0, 3).join(', ')})` : '';
        process.stdout.write(`${String(r.index).padStart(4)}  ${r.wnid}  ${r.lemmas.join(', ')}${r.gloss ? ` — ${r.gloss}` : ''}${similar}\n`);
      }
    });
}
