/**
 * `retest worker --queue redis://… --db postgres://… --data-dir /shared`: takes jobs from the
 * queue and runs them until stopped. SIGTERM / SIGINT drain it: the jobs it is running finish (or,
 * on a second signal, are given back to the queue by BullMQ's stalled-job check) and it exits.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { usageError } from '../../core/errors.ts';
import { jobHandlers, startQueueWorker } from '../../jobs/index.ts';
import type { ResultsStore } from '../../results/index.ts';
import type { App } from '../types.ts';
import { dataDirOption, dbOption, positiveInt } from '../options.ts';
import { queueOption } from './jobs.ts';

export function register(program: Command, app: App): void {
  program
    .command('worker')
    .summary('take jobs (eval, describe, dedup search, ingest) from a Redis queue and run them, on any machine')
    .description(
      'Runs jobs submitted with --queue by eval, dedup search, describe and collect: any number of\n' +
        'workers on any machines share one Redis (the queue, BullMQ) and one results store (--db,\n' +
        'PostgreSQL when workers are on several machines). Jobs name their data relative to --data-dir,\n' +
        'the shared data folder as this machine mounts it. SIGTERM finishes the running jobs, then exits.',
    )
    .addOption(queueOption().makeOptionMandatory())
    .addOption(dbOption())
    .addOption(dataDirOption())
    .option('--concurrency <n>', 'jobs run at once by this process', positiveInt('--concurrency'), 1)
    .option('--threads <n>', 'onnxruntime / search threads per job', positiveInt('--threads'), 1)
    .action(async (opts) => {
      if (!opts.dataDir)
        throw usageError('retest worker needs --data-dir: jobs name their data relative to it', {
          field: '--data-dir',
          hint: 'give the shared data folder as this machine mounts it',
        });
      const dataDir = resolve(opts.dataDir);
      let store: Promise<ResultsStore> | undefined;
      const handlers = jobHandlers({ results: () => (store ??= app.openResults(opts.db)), threads: opts.threads });
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const worker = startQueueWorker({
        url: opts.queue,
        handlers,
        dataDir,
        concurrency: opts.concurrency,
        onEvent: (e) =>
          log(
            e.type === 'failed'
              ? `failed ${e.group}/${e.id} (${e.kind}): ${e.error}`
              : e.type === 'done'
                ? `done ${e.group}/${e.id} in ${e.seconds?.toFixed(2)} s`
                : `start ${e.group}/${e.id} (${e.kind})`,
          ),
      });
      await worker.ready;
      log(`worker ${process.pid} ready on ${opts.queue} (data ${dataDir}, ${opts.concurrency} at a time)`);
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) process.exit(130);
          stopping = true;
          log(`${signal}: finishing the running jobs, then exiting`);
          worker.close().then(done, done);
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      });
      if (store) await (await store).close();
      log('worker stopped');
    });
}
