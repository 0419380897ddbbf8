/** `retest blacklist add|remove|list`: candidates excluded by a person, with reasons. */
import type { Command } from 'commander';
import { addToBlacklist, listBlacklist, removeFromBlacklist } from '../../sample/index.ts';
import { workspaceOption, withWorkspace } from '../../workspace/index.ts';
import { jsonOption, printJson } from '../options.ts';

export function register(program: Command): void {
  const group = program.command('blacklist').description('exclude candidates from sampling, with a reason (kept for the record)');
  group
    .command('add')
    .description('exclude images from every later `retest sample` run (a sampled image is replaced in the next revision)')
    .argument('<ids...>', 'image ids')
    .requiredOption('--reason <text>', 'why (e.g. "drawing, not a photograph")')
    .option('--by <name>', 'who decided', 'cli')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((ids: string[], options: { reason: string; by: string; workspace?: string; json?: boolean }) => {
      withWorkspace(options.workspace, (ws) => {
        const n = addToBlacklist(ws.db, ids, { reason: options.reason, by: options.by });
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
    .action((ids: string[], options: { workspace?: string; json?: boolean }) => {
      withWorkspace(options.workspace, (ws) => {
        const n = removeFromBlacklist(ws.db, ids);
        if (options.json) printJson({ removed: n });
        else process.stdout.write(`removed ${n} entr${n === 1 ? 'y' : 'ies'}\n`);
      });
    });
  group
    .command('list')
    .description('list blacklisted images with reason, who and when')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((options: { workspace?: string; json?: boolean }) => {
      withWorkspace(options.workspace, (ws) => {
        const rows = listBlacklist(ws.db);
        if (options.json) printJson({ blacklist: rows });
        else for (const r of rows) process.stdout.write(`${r.imageId}\t${r.reason}\t${r.by}\t${r.at}\n`);
      });
    });
}
