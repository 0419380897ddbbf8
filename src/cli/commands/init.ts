import type { Command } from 'commander';
import { closeWorkspace, initWorkspace } from '../../workspace/index.ts';
import { jsonOption, printJson } from '../options.ts';

export function register(program: Command): void {
  program
    .command('init')
    .description('create a workspace folder (config, SQLite database, image blobs) for building a new test set')
    .argument('<dir>', 'folder to create (must be new or empty)')
    .requiredOption('--classes <list>', 'imagenet (1,000 WordNet classes), cifar10, or a classes JSON file')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest init my-v2 --classes imagenet
  $ retest init my-cifar --classes cifar10
  $ retest init birds --classes birds.json     # ["sparrow", "crow"] or [{"id", "names", "definition"}]

Every later command (collect, tasks, sample, export, …) acts on the workspace given by
--workspace, or the current folder.`,
    )
    .action((dir: string, options: { classes: string; json?: boolean }) => {
      const workspace = initWorkspace(dir, { classes: options.classes });
      const summary = { workspace: workspace.dir, classes: workspace.classes.length, classSource: workspace.config.classSource };
      closeWorkspace(workspace);
      if (options.json) printJson(summary);
      else process.stdout.write(`created workspace ${summary.workspace} with ${summary.classes} classes (${summary.classSource})\n`);
    });
}
