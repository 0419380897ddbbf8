/**
 * npm run bench:distributed — the same eval and dedup work in-process and through the BullMQ queue
 * with 1 and 2 `retest worker` processes on loopback, measured in the same run:
 *
 * 1. eval: ResNet-20 (../shared/models/cifar10) on the 10,000 CIFAR-10 test images
 *    (test_batch_jpeg10000.bin), 1 onnxruntime thread per process; in-process `evaluate` vs
 *    4 shard jobs of 2,500 images + a finish job; every run writes into the same PostgreSQL store.
 * 2. dedup: exact search, raw pixels, the 10,000 test images against the 4,000 training images
 *    (data_batch_1_first4000.bin), k = 10, 1 search thread per process; `searchSources` vs
 *    4 query chunks × 1 reference shard (2,500 × 4,000 per job) + 4 merge jobs.
 * 3. job latency, enqueue → start (BullMQ's `timestamp` → `processedOn`) of 200 no-op jobs sent one
 *    after another to one idle worker, and of every job of the runs above.
 *
 * Goal: 1 worker ≥ 0.9× the in-process throughput. Starts its own redis-server (AOF on) and a
 * throwaway PostgreSQL (test/helpers/services.ts; fsync off). Options: --json, --no-write
 * (else writes docs/benchmarks/distributed.md).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { openResultsStore } from '../src/app/results.ts';
import { resolveDataset } from '../src/datasets/index.ts';
import { openImageSource, parseDescriptor, searchSources, type Neighbour } from '../src/dedup/index.ts';
import { evaluate } from '../src/evaluate/index.ts';
import { fileRef, mergedNeighbours, parseQueueUrl, planDedupSearch, planEval, queueRunner, type JobRunner } from '../src/jobs/index.ts';
import { startPostgres, stopStartedServers } from '../test/helpers/services.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } });
const log = (text: string) => {
  if (!values.json) console.log(text);
};
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(process.env.RETEST_SHARED ?? join(ROOT, '..', 'shared'));
const MODEL = join(SHARED, 'models', 'cifar10', 'akamaster_resnet20.onnx');
const TEST = join(SHARED, 'data', 'cifar10', 'test_batch_jpeg10000.bin');
const TRAIN = join(SHARED, 'data', 'cifar10', 'data_batch_1_first4000.bin');
const K = 10;
/** Dedup job size: 2,500 queries × 4,000 references (a few seconds per job: see docs/deployment.md on sizing). */
const QUERY_CHUNK = 2500;
const REFERENCE_SHARD = 4000;

const dir = mkdtempSync(join(tmpdir(), 'retest-bench-distributed-'));
const servers: { redis: ChildProcess | null } = { redis: null };
const workers: ChildProcess[] = [];

async function startRedis(): Promise<string> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  servers.redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (spawnSync('/usr/bin/redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

/** Starts `n` workers and resolves once each is ready. */
async function startWorkers(n: number, queue: string, db: string): Promise<ChildProcess[]> {
  const started = Array.from({ length: n }, () =>
    spawn(process.execPath, [join(ROOT, 'bin', 'retest.js'), 'worker', '--queue', queue, '--db', db, '--data-dir', SHARED, '--threads', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }),
  );
  workers.push(...started);
  await Promise.all(
    started.map(
      (child) =>
        new Promise<void>((ok, fail) => {
          let text = '';
          child.stderr?.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes('ready on')) ok();
          });
          child.once('exit', () => fail(new Error(`worker exited:\n${text}`)));
        }),
    ),
  );
  return started;
}

async function stopWorkers(list: ChildProcess[]): Promise<void> {
  await Promise.all(
    list.map((child) => {
      if (child.exitCode !== null) return Promise.resolve();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      return exited;
    }),
  );
}

/** enqueue → start latencies (ms) of a group's jobs. */
async function latencies(queue: string, group: string, ids: string[]): Promise<number[]> {
  const { connection, queue: name } = parseQueueUrl(queue);
  const q = new Queue(name, { connection });
  try {
    const out: number[] = [];
    for (const id of ids) {
      const job = await q.getJob(`${group}.${id}`);
      if (job?.processedOn !== undefined && job.timestamp !== undefined) out.push(job.processedOn - job.timestamp);
    }
    return out;
  } finally {
    await q.close();
  }
}

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number);
};

async function main() {
  const pgServer = await startPostgres();
  if (!pgServer.url) throw new Error(pgServer.why);
  const redisUrl = await startRedis();
  const results: Record<string, unknown> = {};
  log(`machine: ${cpus()[0]?.model} × ${cpus().length}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  // --- eval ---
  const evalRows: { setup: string; seconds: number; imagesPerSecond: number; top1: number }[] = [];
  const evalLatencies: number[] = [];
  const evalInProcess = async (label: string) => {
    const db = `${pgServer.url}?schema=bench_inprocess_${evalRows.length}`;
    const store = await openResultsStore(db);
    const dataset = await resolveDataset(TEST, { cacheDir: dir });
    const t0 = performance.now();
    const summary = await evaluate({ store, dataset, modelPath: MODEL, options: { threads: 1 } });
    const seconds = (performance.now() - t0) / 1000;
    evalRows.push({ setup: label, seconds, imagesPerSecond: 10_000 / seconds, top1: summary.top1.correct });
    await store.close();
    log(`eval ${label}: ${seconds.toFixed(1)} s, ${(10_000 / seconds).toFixed(0)} images/s`);
  };
  await evalInProcess('in-process (first)');
  for (const n of [1, 2]) {
    const db = `${pgServer.url}?schema=bench_queue${n}`;
    const queue = `${redisUrl}?queue=eval${n}`;
    const store = await openResultsStore(db);
    const started = await startWorkers(n, queue, db);
    const runner = await queueRunner(queue);
    const plan = await planEval({ store, dataset: await resolveDataset(TEST, { cacheDir: dir }), modelPath: MODEL, dataDir: SHARED, shardSize: 2500 });
    if (plan.group === null) throw new Error('already done');
    const t0 = performance.now();
    const group = await runner.submit(plan.group);
    const status = await runner.wait(group, { intervalMs: 100 });
    const seconds = (performance.now() - t0) / 1000;
    if (status.state !== 'done') throw new Error(`eval group ${status.state}`);
    const score = await store.score(plan.runId);
    evalRows.push({ setup: `${n} worker${n > 1 ? 's' : ''}`, seconds, imagesPerSecond: 10_000 / seconds, top1: score.top1Correct });
    evalLatencies.push(...(await latencies(queue, group, ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'finish'])));
    log(`eval ${n} worker(s): ${seconds.toFixed(1)} s, ${(10_000 / seconds).toFixed(0)} images/s, top-1 ${score.top1Correct}`);
    await runner.close();
    await store.close();
    await stopWorkers(started);
  }
  await evalInProcess('in-process (again)');
  results.eval = evalRows;

  // --- dedup ---
  const dedupRows: { setup: string; seconds: number; queriesPerSecond: number; equal: boolean }[] = [];
  let expected: Neighbour[][] = [];
  const dedupInProcess = async (label: string) => {
    const queries = await openImageSource(TEST, { cacheDir: dir });
    const references = await openImageSource(TRAIN, { cacheDir: dir });
    const descriptor = parseDescriptor('pixels');
    const t0 = performance.now();
    const found = (await searchSources(queries, [references], descriptor, { k: K, workers: 1 })).neighbours;
    const seconds = (performance.now() - t0) / 1000;
    await descriptor.close();
    const equal = expected.length === 0 || JSON.stringify(found) === JSON.stringify(expected);
    if (expected.length === 0) expected = found;
    dedupRows.push({ setup: label, seconds, queriesPerSecond: 10_000 / seconds, equal });
    log(`dedup ${label}: ${seconds.toFixed(1)} s`);
  };
  await dedupInProcess('in-process (first)');
  for (const n of [1, 2]) {
    const queue = `${redisUrl}?queue=dedup${n}`;
    const started = await startWorkers(n, queue, join(dir, 'unused.db'));
    const runner: JobRunner = await queueRunner(queue);
    const spec = planDedupSearch({ descriptor: 'pixels', k: K, queries: { ref: await fileRef(TEST, SHARED, 'queries'), count: 10_000 }, references: [{ ref: await fileRef(TRAIN, SHARED, 'references'), count: 4000 }], queryChunk: QUERY_CHUNK, referenceShard: REFERENCE_SHARD });
    const t0 = performance.now();
    const group = await runner.submit(spec);
    const status = await runner.wait(group, { intervalMs: 100 });
    const seconds = (performance.now() - t0) / 1000;
    if (status.state !== 'done') throw new Error(`dedup group ${status.state}`);
    const { neighbours } = mergedNeighbours(await runner.results(group), 10_000);
    const equal = JSON.stringify(neighbours) === JSON.stringify(expected);
    dedupRows.push({ setup: `${n} worker${n > 1 ? 's' : ''}`, seconds, queriesPerSecond: 10_000 / seconds, equal });
    log(`dedup ${n} worker(s): ${seconds.toFixed(1)} s, equal to in-process: ${equal}`);
    await runner.close();
    await stopWorkers(started);
  }
  await dedupInProcess('in-process (again)');
  results.dedup = dedupRows;

  // --- latency of no-op jobs, one at a time, one idle worker ---
  const queue = `${redisUrl}?queue=ping`;
  const started = await startWorkers(1, queue, join(dir, 'unused.db'));
  const runner = await queueRunner(queue);
  const pings: number[] = [];
  for (let i = 0; i < 200; i++) {
    const group = await runner.submit({ name: 'ping', jobs: [{ kind: 'noop', id: 'p', data: null }] });
    await runner.wait(group, { intervalMs: 5 });
    pings.push(...(await latencies(queue, group, ['p'])));
  }
  await runner.close();
  await stopWorkers(started);
  results.latency = {
    noop: { n: pings.length, p50: quantile(pings, 0.5), p99: quantile(pings, 0.99) },
    evalJobs: { n: evalLatencies.length, p50: quantile(evalLatencies, 0.5), p99: quantile(evalLatencies, 0.99) },
  };
  log(`latency enqueue→start, no-op jobs: p50 ${quantile(pings, 0.5)} ms, p99 ${quantile(pings, 0.99)} ms`);
  const machine = `${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}, load after ${loadavg().map((x) => x.toFixed(1)).join(' ')}`;
  results.machine = machine;
  if (values.json) console.log(JSON.stringify(results));
  if (!values['no-write']) writeDoc(evalRows, dedupRows, results.latency as never, machine);
}

function writeDoc(evalRows: { setup: string; seconds: number; imagesPerSecond: number; top1: number }[], dedupRows: { setup: string; seconds: number; queriesPerSecond: number; equal: boolean }[], latency: { noop: { n: number; p50: number; p99: number }; evalJobs: { n: number; p50: number; p99: number } }, machine: string) {
  // Against the faster of the two in-process runs (before and after the queue runs): the conservative ratio.
  const base = evalRows.filter((r) => r.setup.startsWith('in-process')).sort((a, b) => b.imagesPerSecond - a.imagesPerSecond)[0] as (typeof evalRows)[number];
  const dbase = dedupRows.filter((r) => r.setup.startsWith('in-process')).sort((a, b) => b.queriesPerSecond - a.queriesPerSecond)[0] as (typeof dedupRows)[number];
  const text = `# Benchmark: jobs through the queue (\`npm run bench:distributed\`)

Command: \`npm run bench:distributed\` (bench/distributed.ts). Machine: ${machine}; ${new Date().toISOString().slice(0, 10)}.
redis-server (AOF on) and a throwaway PostgreSQL (fsync off, as in the tests) on loopback, started by the bench.
Workers are \`retest worker --threads 1\` processes started (and ready) before the clock starts; their
first job loads the model, as the in-process run does.

## eval: ResNet-20 on the 10,000 CIFAR-10 test images (test_batch_jpeg10000.bin), 1 thread per process

In-process \`evaluate\` vs 4 shard jobs of 2,500 images + 1 finish job; every run writes into PostgreSQL.

| setup | seconds | images/s | × in-process (the faster of its two runs) | top-1 correct |
|---|---:|---:|---:|---:|
${evalRows.map((r) => `| ${r.setup} | ${r.seconds.toFixed(1)} | ${r.imagesPerSecond.toFixed(0)} | ${(r.imagesPerSecond / base.imagesPerSecond).toFixed(2)}× | ${r.top1} |`).join('\n')}

## dedup: exact search, raw pixels, 10,000 test vs 4,000 training images, k = 10, 1 thread per process

\`searchSources\` vs 4 query chunks of 2,500 × 1 reference shard of 4,000 (4 search jobs) + 4 merge jobs.

| setup | seconds | queries/s | × in-process (the faster of its two runs) | neighbours equal the first in-process run |
|---|---:|---:|---:|---|
${dedupRows.map((r) => `| ${r.setup} | ${r.seconds.toFixed(1)} | ${r.queriesPerSecond.toFixed(0)} | ${(r.queriesPerSecond / dbase.queriesPerSecond).toFixed(2)}× | ${r.equal ? 'yes' : 'NO'} |`).join('\n')}

## job latency, enqueue → start (BullMQ timestamp → processedOn)

| jobs | n | p50 ms | p99 ms |
|---|---:|---:|---:|
| no-op jobs one at a time, one idle worker | ${latency.noop.n} | ${latency.noop.p50} | ${latency.noop.p99} |
| the eval runs' jobs (queued behind each other: includes waiting for a free worker) | ${latency.evalJobs.n} | ${latency.evalJobs.p50} | ${latency.evalJobs.p99} |

The machine has 2 cores shared with other work: 2 workers cannot be twice as fast as 1 here, and
the figures move with the load; the ratios are measured in the same run.
`;
  const path = join(ROOT, 'docs', 'benchmarks', 'distributed.md');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  log(`wrote ${path}`);
}

try {
  await main();
} finally {
  await stopWorkers(workers);
  const redis = servers.redis;
  if (redis && redis.exitCode === null) {
    const exited = new Promise((r) => redis.once('exit', r));
    redis.kill('SIGTERM');
    await exited;
  }
  await stopStartedServers();
  rmSync(dir, { recursive: true, force: true });
}
