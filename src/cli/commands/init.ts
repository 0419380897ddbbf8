import type { Command } from 'commander';

import { jsonOption, positiveInt, printJson } from '../options.ts';
import { closeWorkspace } from '../../workspace/index.ts';
import type { App } from '../types.ts';

export function register(program: Command, app: App): void {
  program
    .command('init')
    .description('create a workspace folder (config, SQLite database, image blobs) for building a new test set')
    .argument('<dir>', 'folder to create (must be new or empty)')
    .requiredOption('--classes <list>', 'imagenet (1,000 WordNet classes), cifar10, or a classes JSON file')
    .option('--square-size <px>', 'side of the squashed copy used for near-duplicate search (default 256; 32 for cifar10)', positiveInt('--square-size'))
    .option('--display-size <px>', 'longer side of the copy shown to labellers and exported (default 500)', positiveInt('--display-size'))
    .option(
      '--workspace-db <url>',
      "keep the workspace's tables in PostgreSQL (postgres://user@host/db[?schema=NAME]; default schema ws_<folder name>) instead of workspace.db in the folder",
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Examples:
  $ retest init my-v2 --classes imagenet
  $ retest init my-cifar --classes cifar10
  $ retest init birds --classes birds.json     # ["sparrow", "crow"] or [{"id", "names", "definition"}]
  $ retest init my-v2 --classes imagenet --workspace-db postgres://retest@db.lab/retest
                                               # tables in schema ws_my_v2; the folder keeps retest.json and blobs/

Every later command (collect, tasks, sample, export, …) acts on the workspace given by
--workspace, or the current folder.`,
    )
    .action(async (dir: string, options: { classes: string; json?: boolean; squareSize?: number; displaySize?: number; workspaceDb?: string }) => {
      const workspace = await app.initWorkspace(dir, {
        classes: options.classes,
        ...(options.squareSize ? { squareSize: options.squareSize } : {}),
        ...(options.displaySize ? { displayLongerSide: options.displaySize } : {}),
        ...(options.workspaceDb === undefined ? {} : { database: options.workspaceDb }),
      });
      const summary = {
        workspace: workspace.dir,
        database: workspace.sql.location,
        backend: workspace.backend,
        classes: workspace.classes.length,
        classSource: workspace.config.classSource,
        squareSize: workspace.config.squareSize,
        displayLongerSide: workspace.config.displayLongerSide,
      };
      await closeWorkspace(workspace);
      if (options.json) printJson(summary);
      else
        process.stdout.write(
          `created workspace ${summary.workspace} with ${summary.classes} classes (${summary.classSource})${workspace.backend === 'postgres' ? `, tables in ${summary.database}` : ''}\n`,
        );
    });
}
