/**
 * `retest mturk enable|disable|status`: MTurk ExternalQuestion mode's switch (off by default).
 * `retest serve` answers `/mturk` only for HITs published for a batch whose mode is on.
 */
import type { Command } from 'commander';
import { parseCsv, readTextFile, usageError } from '../../core/index.ts';
import { disableMturk, enableMturk, latestBatch, mturkStatus } from '../../server/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { jsonOption, printJson } from '../options.ts';
import type { App } from '../types.ts';

interface Common {
  workspace?: string;
  json?: boolean;
}

/** HIT ids from a file: one per line, or a CSV with a HITId column (MTurk's batch or HIT listing). */
export function readHitIds(file: string): string[] {
  const text = readTextFile(file, 'HIT id list');
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  if (/(^|,)\s*"?HITId"?\s*(,|$)/.test(first)) {
    const table = parseCsv(text, file, ['HITId']);
    const at = table.header.indexOf('HITId');
    return table.rows.map((row) => (row[at] ?? '').trim()).filter(Boolean);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function register(program: Command, app: App): void {
  const group = program
    .command('mturk')
    .description('MTurk ExternalQuestion mode of `retest serve`: off unless turned on for a batch of tasks with its published HITs');
  group
    .command('enable')
    .description('serve the HITs published for a batch at /mturk (the HIT ids MTurk returned when you created them)')
    .option('--batch <batch>', 'the batch of tasks (`retest mturk status` lists them; default: the newest)')
    .option('--hit <id...>', 'HIT ids')
    .option('--hits <file>', 'a file of HIT ids: one per line, or a CSV with a HITId column')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: Common & { batch?: string; hit?: string[]; hits?: string }) => {
      await app.withWorkspaceStores(options.workspace, async (stores) => {
        const batch = options.batch ?? (await latestBatch(stores));
        if (batch === null) throw usageError('the workspace has no tasks yet', { hint: 'run `retest tasks create` first' });
        const hitIds = [...(options.hit ?? []), ...(options.hits ? readHitIds(options.hits) : [])];
        const result = await enableMturk(stores, { batch, hitIds });
        if (options.json) printJson(result);
        else process.stdout.write(`MTurk mode on for batch "${result.batch}": ${result.hits} HIT(s) served (${result.added} new)\n`);
      });
    });
  group
    .command('disable')
    .description('stop serving MTurk HITs (answers already stored stay)')
    .option('--batch <batch>', 'only this batch (default: every batch)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: Common & { batch?: string }) => {
      await app.withWorkspaceStores(options.workspace, async (stores) => {
        const off = await disableMturk(stores, options.batch === undefined ? {} : { batch: options.batch });
        if (options.json) printJson({ disabled: off });
        else process.stdout.write(off.length ? `MTurk mode off for ${off.map((b) => `"${b}"`).join(', ')}\n` : 'MTurk mode was not on for any batch\n');
      });
    });
  group
    .command('status')
    .description('the batches of tasks, and whether MTurk mode is on for each')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: Common) => {
      await app.withWorkspaceStores(options.workspace, async (stores) => {
        const rows = await mturkStatus(stores);
        if (options.json) {
          printJson({ batches: rows });
          return;
        }
        if (rows.length === 0) process.stdout.write('no tasks yet (retest tasks create)\n');
        for (const r of rows) process.stdout.write(`${r.enabled ? 'on ' : 'off'}  ${r.batch}  (${r.tasks} tasks, ${r.hits} HITs)\n`);
      });
    });
}
