/**
 * `retest answers import mturk|jsonl FILE`, review decisions (approve/reject assignments and
 * workers, an automatic control-accuracy rule).
 */
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { ioError, usageError } from '../../core/index.ts';
import { importAnswersJsonl, importMturkResults } from '../../label/index.ts';
import { workspaceOption } from '../../workspace/index.ts';
import { jsonOption, printJson } from '../options.ts';
import type { App } from '../types.ts';

interface Common {
  workspace?: string;
  json?: boolean;
}

/** A missing answers file is an error naming it, not a stack trace. */
function requireFile(file: string): string {
  if (!existsSync(file)) throw ioError(`no such file: ${file}`, { file, hint: 'check the path of the answers file' });
  return file;
}

export function register(program: Command, app: App): void {
  const group = program.command('answers').description('import crowd answers and review workers');
  registerImports(group, app);
  for (const status of ['approve', 'reject'] as const) registerReview(group, app, status);
  group
    .command('auto-reject')
    .description('reject every unreviewed worker whose control accuracy is below --min-accuracy (an automatic rule; the original only inspected by hand)')
    .addOption(new Option('--min-accuracy <x>', 'minimum pooled control accuracy').default(0.5).argParser(Number))
    .addOption(new Option('--min-controls <n>', 'only judge workers with at least this many control answers').default(12).argParser(Number))
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((options: Common & { minAccuracy: number; minControls: number }) =>
      app.withWorkspaceStores(options.workspace, async ({ label }) => {
        if (!(options.minAccuracy >= 0 && options.minAccuracy <= 1))
          throw usageError('--min-accuracy must be in [0, 1]', { field: '--min-accuracy', received: String(options.minAccuracy) });
        const rejected = await label.rejectLowAccuracyWorkers({ minAccuracy: options.minAccuracy, minControls: options.minControls });
        if (options.json) printJson({ rejected });
        else process.stdout.write(`rejected ${rejected.length} worker(s)\n`);
      }),
    );
}

/** `answers import mturk|jsonl FILE`. */
function registerImports(group: Command, app: App): void {
  const imp = group.command('import').description('import finished assignments (idempotent: re-importing updates review statuses only)');
  imp
    .command('mturk')
    .description('import an MTurk batch results CSV (HITId, AssignmentId, WorkerId, AssignmentStatus, AcceptTime, SubmitTime, Input.*, Answer.*)')
    .argument('<file>', 'Batch_NNN_batch_results.csv')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((file: string, options: Common) =>
      app.withWorkspaceStores(options.workspace, async ({ label }) => {
        const r = await importMturkResults(label, requireFile(file), { salt: await label.workerSalt() });
        report(options, r);
      }),
    );
  imp
    .command('jsonl')
    .description('import answers, one JSON assignment per line (see docs/labelling-and-sampling.md)')
    .argument('<file>', 'answers.jsonl')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((file: string, options: Common) =>
      app.withWorkspaceStores(options.workspace, async ({ label }) => {
        const r = await importAnswersJsonl(label, requireFile(file), { salt: await label.workerSalt() });
        report(options, r);
      }),
    );
}

/** `answers approve|reject IDS…` and `answers approve-worker|reject-worker HASH`. */
function registerReview(group: Command, app: App, status: 'approve' | 'reject'): void {
  group
    .command(status)
    .description(`${status} assignments by id (${status === 'reject' ? 'their answers leave the frequencies; the task slot reopens' : 'restores them'})`)
    .argument('<ids...>', 'assignment ids (MTurk imports: mturk:<AssignmentId>; JSONL imports: import:<assignment_id>)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((ids: string[], options: Common) =>
      app.withWorkspaceStores(options.workspace, async ({ label }) => {
        const r = await label.setAssignmentStatus(ids, status === 'approve' ? 'approved' : 'rejected');
        if (options.json) printJson(r);
        else
          process.stdout.write(
            `${r.changed} assignment(s) ${status === 'approve' ? 'approved' : 'rejected'}${r.skipped.length ? `; not answered or unknown: ${r.skipped.join(', ')}` : ''}\n`,
          );
      }),
    );
  group
    .command(`${status}-worker`)
    .description(
      `${status} a worker by hash (${status === 'reject' ? 'all their answers leave the frequencies at once; raw answers are kept' : 'their answers count again'})`,
    )
    .argument('<workerHash>', 'worker hash as printed by `retest frequencies --workers`')
    .option('--reason <text>', 'why')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((hash: string, options: Common & { reason?: string }) =>
      app.withWorkspaceStores(options.workspace, async ({ label }) => {
        if (!/^[0-9a-f]{64}$/.test(hash)) throw usageError('a worker hash is 64 hex digits', { field: 'workerHash', received: JSON.stringify(hash) });
        await label.setWorkerStatus(hash, status === 'approve' ? 'approved' : 'rejected', options.reason ? { reason: options.reason } : {});
        if (options.json) printJson({ workerHash: hash, status: status === 'approve' ? 'approved' : 'rejected' });
        else process.stdout.write(`worker ${hash.slice(0, 12)}… ${status === 'approve' ? 'approved' : 'rejected'}\n`);
      }),
    );
}

function report(
  options: Common,
  r: { rows: number; inserted: number; statusChanged: number; unchanged: number; answers: number; conflicts: { externalId: string; reason: string }[] },
): void {
  if (options.json) {
    printJson(r);
    return;
  }
  process.stdout.write(`${r.rows} rows: ${r.inserted} new assignments (${r.answers} answers), ${r.statusChanged} status updates, ${r.unchanged} unchanged\n`);
  for (const c of r.conflicts) process.stderr.write(`warning: ${c.externalId}: ${c.reason}\n`);
}
