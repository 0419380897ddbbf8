/** `retest blacklist add|remove|list`: candidates excluded by a person, with reasons. */
import type { Command } from 'commander';
import { addToBlacklist, listBlacklist, removeFromBlacklist } from '../../sample/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import type { App } from '../types.ts';
import { jsonOption, printJson } from '../options.ts';

export function register(program: Command, app: App): void {
  const group = program.command('blacklist').description('exclude candidates from sampling, with a reason (kept for the record)');
  group
    .command('add')
    .description('exclude images from every later `retest sample` run (a sampled image is replaced in the next revision)')
    .argument('<ids...>', 'image ids')
    .requiredOption('--reason <text>', 'why (e.g. "drawing, not a photograph")')
    .option('--by <name>', 'who decided', 'cli')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (ids: string[], options: { reason: string; by: string; workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ sample, catalog }) => {
        const n = await addToBlacklist({ sample, missing: (i) => catalog.missing(i) }, ids, { reason: options.reason, by: options.by });
        if (options.json) printJson({ added: n });
        else process.stdout.write(`blacklisted ${n} image(s); sample again to replace them\n`);
      });
    });
  group
    .command('remove')
    .description('make blacklisted images eligible again')
    .argument('<ids...>', 'image ids')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (ids: string[], options: { workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ sample }) => {
        const n = await removeFromBlacklist(sample, ids);
        if (options.json) printJson({ removed: n });
        else process.stdout.write(`removed ${n} entr${n === 1 ? 'y' : 'ies'}\n`);
      });
    });
  group
    .command('list')
    .description('list blacklisted images with reason, who and when')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: { workspace?: string; json?: boolean }) => {
      await app.withWorkspaceStores(options.workspace, async ({ sample }) => {
        const rows = await listBlacklist(sample);
        if (options.json) printJson({ blacklist: rows });
        else for (const r of rows) process.stdout.write(`${r.imageId}\t${r.reason}\t${r.by}\t${r.at}\n`);
      });
    });
}
