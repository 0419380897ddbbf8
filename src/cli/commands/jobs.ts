/**
 * `retest jobs status|retry|cancel --queue redis://…`: the job groups on a queue — progress,
 * parked jobs with their errors — and putting parked jobs back or removing a group's waiting jobs.
 */
import { Option, type Command } from 'commander';
import { usageError } from '../../core/errors.ts';
import type { GroupStatus, JobRunner } from '../../jobs/index.ts';
import { parseQueueUrl } from '../../jobs/queue-url.ts';
import type { App, JobsCancelJson, JobsRetryJson, JobsStatusJson } from '../types.ts';
import { jsonOption, printJson } from '../options.ts';

/** `--queue`: the Redis of the job queue; `RETEST_QUEUE` when not given. Checked as the command line is read. */
export const queueOption = () =>
  new Option('--queue <url>', 'run as jobs on this queue (redis://host[:port][/db][?queue=NAME]); workers: `retest worker`')
    .env('RETEST_QUEUE')
    .argParser((value: string) => (parseQueueUrl(value), value));

export function register(program: Command, _app: App): void {
  const jobs = program.command('jobs').summary('job groups on a queue: progress, parked jobs with their errors; retry or cancel');
  jobs
    .command('status [group]')
    .description('every job group on the queue (or one): state, jobs done, images, parked jobs with their errors, workers alive')
    .addOption(queueOption().makeOptionMandatory())
    .addOption(jsonOption())
    .action(async (group: string | undefined, opts) =>
      withRunner(opts.queue, async (runner) => {
        const groups = group === undefined ? await runner.list() : [await one(runner, group)];
        if (opts.json) printJson({ groups } satisfies JobsStatusJson);
        else process.stdout.write(groups.length === 0 ? 'no job groups on this queue\n' : groups.map(formatStatus).join(''));
      }),
    );
  jobs
    .command('retry <group>')
    .description("put the group's parked jobs (failed every try) back on the queue")
    .addOption(queueOption().makeOptionMandatory())
    .addOption(jsonOption())
    .action(async (group: string, opts) =>
      withRunner(opts.queue, async (runner) => {
        await one(runner, group);
        const retried = await runner.retry(group);
        if (opts.json) printJson({ group, retried } satisfies JobsRetryJson);
        else process.stdout.write(`${retried} parked job${retried === 1 ? '' : 's'} of ${group} back on the queue\n`);
      }),
    );
  jobs
    .command('cancel <group>')
    .description("remove the group's jobs that have not started (running ones finish)")
    .addOption(queueOption().makeOptionMandatory())
    .addOption(jsonOption())
    .action(async (group: string, opts) =>
      withRunner(opts.queue, async (runner) => {
        await one(runner, group);
        const removed = await runner.cancel(group);
        if (opts.json) printJson({ group, removed } satisfies JobsCancelJson);
        else process.stdout.write(`${removed} job${removed === 1 ? '' : 's'} of ${group} removed\n`);
      }),
    );
}

async function withRunner(url: string, fn: (runner: JobRunner) => Promise<void>): Promise<void> {
  const { queueRunner } = await import('../../jobs/index.ts');
  const runner = await queueRunner(url);
  try {
    await fn(runner);
  } finally {
    await runner.close();
  }
}

async function one(runner: JobRunner, group: string): Promise<GroupStatus> {
  const status = await runner.status(group);
  if (status === undefined)
    throw usageError(`no job group ${group} on this queue`, { field: 'group', received: group, hint: '`retest jobs status --queue …` lists the groups' });
  return status;
}

/** One group as `retest jobs status` prints it. */
export function formatStatus(s: GroupStatus): string {
  const lines = [
    `${s.id}  ${s.state.padEnd(9)} ${s.name}`,
    `  jobs ${s.completed}/${s.jobs} done, ${s.active} running; work ${s.unitsDone}/${s.units} (images, or query×reference pairs); workers alive ${s.workers}; submitted ${s.submitted}`,
    ...s.parked.map((p) => `  parked ${p.id} (${p.kind}, ${p.attempts} tries): ${p.error}`),
  ];
  return `${lines.join('\n')}\n`;
}
