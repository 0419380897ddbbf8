/**
 * `retest labellers invite NAME…` prints one personal labelling link per name;
 * `retest labellers list` and `retest labellers revoke NAME…` manage them.
 */
import type { Command } from 'commander';
import { checkPublicUrl, inviteLabellers, listLabellers, revokeLabellers } from '../../server/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { jsonOption, printJson } from '../options.ts';
import type { App } from '../types.ts';

interface Common {
  workspace?: string;
  json?: boolean;
}

export function register(program: Command, app: App): void {
  const group = program.command('labellers').description('invite labellers (personal links to the labelling app)');
  group
    .command('invite')
    .description('print a personal labelling link per name (a name invited again gets a new link; the old one stops working)')
    .argument('<names...>', 'labeller names (letters, digits, . _ @ + -)')
    .addOption(workspaceOption())
    .option('--url <base>', 'base URL of `retest serve`', 'http://127.0.0.1:8080')
    .addOption(jsonOption())
    .action(async (names: string[], options: Common & { url: string }) => {
      await app.withWorkspaceStores(options.workspace, async (stores) => {
        const base = checkPublicUrl(options.url, '--url');
        const invitations = (await inviteLabellers(stores, names)).map((i) => ({ name: i.name, link: `${base}/l/${i.token}` }));
        if (options.json) printJson({ labellers: invitations });
        else for (const i of invitations) process.stdout.write(`${i.name}\t${i.link}\n`);
      });
    });
  group
    .command('list')
    .description('list invited labellers')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (options: Common) => {
      await app.withWorkspaceStores(options.workspace, async (stores) => {
        const rows = await listLabellers(stores);
        if (options.json) printJson({ labellers: rows });
        else
          for (const r of rows)
            process.stdout.write(`${r.name}\t${r.revokedAt ? `revoked ${r.revokedAt}` : `invited ${r.createdAt}`}\t${r.workerHash.slice(0, 12)}\n`);
      });
    });
  group
    .command('revoke')
    .description('stop the named labellers’ links from working (their answers stay)')
    .argument('<names...>', 'labeller names')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (names: string[], options: Common) => {
      await app.withWorkspaceStores(options.workspace, async (stores) => {
        const revoked = await revokeLabellers(stores, names);
        if (options.json) printJson({ revoked });
        else process.stdout.write(`revoked ${revoked} link(s)\n`);
      });
    });
}
