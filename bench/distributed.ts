/**
 * npm run bench:distributed — the same eval and dedup work in-process and through the BullMQ queue
 * with 1 and 2 `retest worker` processes on loopback, measured in the same run:
 *
 * Rounds: in-process, 1 worker, in-process, 1 worker, 2 workers (alternating: the load drifts); CPU
 * seconds of every process doing the work are reported beside the wall clock.
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
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  servers.redis = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (spawnSync('/usr/bin/redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

/** Starts `n` workers and resolves once each is ready. */
async function startWorkers(n: number, queue: string, db: string): Promise<ChildProcess[]> {
  const started = Array.from({ length: n }, () =>
    spawn(process.execPath, [join(ROOT, 'bin', 'retest.js'), 'worker', '--queue', queue, '--db', db, '--data-dir', SHARED, '--threads', '1'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
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

type Setup = 'in-process' | '1 worker' | '2 workers';
interface Row {
  setup: Setup;
  seconds: number;
  /** images/s (eval) or queries/s (dedup). */
  rate: number;
  /** CPU seconds of every process doing the work. */
  cpu: number;
  /** eval: top-1 correct; dedup: whether the neighbours equal the first run's. */
  check: string;
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** CPU seconds (user + system, all threads) of a live process, from /proc (clock ticks of 1/100 s). */
function procCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a benchmark's main: one linear sequence of measured steps
async function main() {
  const pgServer = await startPostgres();
  if (!pgServer.url) throw new Error(pgServer.why);
  const redisUrl = await startRedis();
  const results: Record<string, unknown> = {};
  log(
    `machine: ${cpus()[0]?.model} × ${cpus().length}, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );

  // Rounds alternate in-process and 1-worker runs (the machine's load drifts); 2 workers run once.
  // CPU seconds: the in-process run's own process; for the queue, the workers' + redis-server's + the submitter's.
  const ORDER: Setup[] = ['in-process', '1 worker', 'in-process', '1 worker', '2 workers'];

  // --- eval ---
  const evalRows: Row[] = [];
  const evalLatencies: number[] = [];
  for (const [round, setup] of ORDER.entries()) {
    const db = `${pgServer.url}?schema=bench_eval_${round}`;
    const store = await openResultsStore(db);
    const dataset = await resolveDataset(TEST, { cacheDir: dir });
    if (setup === 'in-process') {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const summary = await evaluate({ store, dataset, modelPath: MODEL, options: { threads: 1 } });
      const seconds = (performance.now() - t0) / 1000;
      evalRows.push({ setup, seconds, rate: 10_000 / seconds, cpu: cpuSeconds(process.cpuUsage(cpu0)), check: String(summary.top1.correct) });
    } else {
      const n = setup === '1 worker' ? 1 : 2;
      const queue = `${redisUrl}?queue=eval${round}`;
      const started = await startWorkers(n, queue, db);
      const runner = await queueRunner(queue);
      const plan = await planEval({ store, dataset, modelPath: MODEL, dataDir: SHARED, shardSize: 2500 });
      if (plan.group === null) throw new Error('already done');
      const pids = [...started.map((c) => c.pid as number), servers.redis?.pid as number];
      const before = pids.map(procCpu);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const group = await runner.submit(plan.group);
      const status = await runner.wait(group, { intervalMs: 100 });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = pids.reduce((sum, pid, i) => sum + procCpu(pid) - before[i]!, 0) + cpuSeconds(process.cpuUsage(cpu0));
      if (status.state !== 'done') throw new Error(`eval group ${status.state}`);
      const score = await store.score(plan.runId);
      evalRows.push({ setup, seconds, rate: 10_000 / seconds, cpu, check: String(score.top1Correct) });
      evalLatencies.push(...(await latencies(queue, group, ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'finish'])));
      await runner.close();
      await stopWorkers(started);
    }
    await store.close();
    const r = evalRows[evalRows.length - 1] as Row;
    log(`eval ${setup}: ${r.seconds.toFixed(1)} s, ${r.rate.toFixed(0)} images/s, ${r.cpu.toFixed(1)} CPU s, top-1 ${r.check}`);
  }
  results.eval = evalRows;

  // --- dedup ---
  const dedupRows: Row[] = [];
  let expected = '';
  const queries = await openImageSource(TEST, { cacheDir: dir });
  const references = await openImageSource(TRAIN, { cacheDir: dir });
  for (const [round, setup] of ORDER.entries()) {
    let found: Neighbour[][];
    let seconds: number;
    let cpu: number;
    if (setup === 'in-process') {
      const descriptor = parseDescriptor('pixels');
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      found = (await searchSources(queries, [references], descriptor, { k: K, workers: 1 })).neighbours;
      seconds = (performance.now() - t0) / 1000;
      cpu = cpuSeconds(process.cpuUsage(cpu0));
      await descriptor.close();
    } else {
      const n = setup === '1 worker' ? 1 : 2;
      const queue = `${redisUrl}?queue=dedup${round}`;
      const started = await startWorkers(n, queue, join(dir, 'unused.db'));
      const runner: JobRunner = await queueRunner(queue);
      // Warm-up (not timed): a long-lived worker has started its search thread and run the 8-bit
      // kernel's self-check once, as the in-process run's process has after round 1.
      const warm = await runner.submit(
        planDedupSearch({
          descriptor: 'pixels',
          k: K,
          queries: { ref: await fileRef(TEST, SHARED, 'queries'), count: 20 },
          references: [{ ref: await fileRef(TRAIN, SHARED, 'references'), count: 40 }],
          queryChunk: 10,
          referenceShard: 20,
        }),
      );
      await runner.wait(warm, { intervalMs: 50 });
      const spec = planDedupSearch({
        descriptor: 'pixels',
        k: K,
        queries: { ref: await fileRef(TEST, SHARED, 'queries'), count: 10_000 },
        references: [{ ref: await fileRef(TRAIN, SHARED, 'references'), count: 4000 }],
        queryChunk: QUERY_CHUNK,
        referenceShard: REFERENCE_SHARD,
      });
      const pids = [...started.map((c) => c.pid as number), servers.redis?.pid as number];
      const before = pids.map(procCpu);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const group = await runner.submit(spec);
      const status = await runner.wait(group, { intervalMs: 100 });
      if (status.state !== 'done') throw new Error(`dedup group ${status.state}`);
      found = mergedNeighbours(await runner.results(group), 10_000).neighbours;
      seconds = (performance.now() - t0) / 1000;
      cpu = pids.reduce((sum, pid, i) => sum + procCpu(pid) - before[i]!, 0) + cpuSeconds(process.cpuUsage(cpu0));
      await runner.close();
      await stopWorkers(started);
    }
    const text = JSON.stringify(found);
    if (expected === '') expected = text;
    dedupRows.push({ setup, seconds, rate: 10_000 / seconds, cpu, check: text === expected ? 'yes' : 'NO' });
    log(
      `dedup ${setup}: ${seconds.toFixed(1)} s, ${(10_000 / seconds).toFixed(0)} queries/s, ${cpu.toFixed(1)} CPU s, equal to the first run: ${text === expected}`,
    );
  }
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
  const machine = `${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}, load after ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`;
  results.machine = machine;
  if (values.json) console.log(JSON.stringify(results));
  if (!values['no-write']) writeDoc(evalRows, dedupRows, results.latency as never, machine);
}

function writeDoc(
  evalRows: Row[],
  dedupRows: Row[],
  latency: { noop: { n: number; p50: number; p99: number }; evalJobs: { n: number; p50: number; p99: number } },
  machine: string,
) {
  const summary = (rows: Row[]) => {
    const inProcess = rows.filter((r) => r.setup === 'in-process');
    const one = rows.filter((r) => r.setup === '1 worker');
    const rate = median(one.map((r) => r.rate)) / median(inProcess.map((r) => r.rate));
    const cpu = median(one.map((r) => r.cpu)) / median(inProcess.map((r) => r.cpu));
    return { rate, cpu };
  };
  const table = (rows: Row[], unit: string, check: string) =>
    [
      `| round | setup | seconds | ${unit} | CPU seconds (all processes) | ${check} |`,
      '|---:|---|---:|---:|---:|---|',
      ...rows.map((r, i) => `| ${i + 1} | ${r.setup} | ${r.seconds.toFixed(1)} | ${r.rate.toFixed(0)} | ${r.cpu.toFixed(1)} | ${r.check} |`),
    ].join('\n');
  const e = summary(evalRows);
  const d = summary(dedupRows);
  const text = `# Benchmark: jobs through the queue (\`npm run bench:distributed\`)

Command: \`npm run bench:distributed\` (bench/distributed.ts). Machine: ${machine}; ${new Date().toISOString().slice(0, 10)}.
redis-server (AOF on) and a throwaway PostgreSQL (fsync off, as in the tests) on loopback, started by the bench.
Workers are \`retest worker --threads 1\` processes started (and ready) before the clock starts; their
first job loads the model, as the in-process run does (eval workers are fresh processes each round; dedup
workers first run a small untimed warm-up search — search thread started, 8-bit kernel self-check done —
as the in-process process has after its first round). Rounds alternate in-process and 1-worker runs
because the shared machine's load drifts; ratios are of the medians. CPU seconds count every process
doing the work: the in-process run's own process; for the queue the workers, redis-server and the
submitting process — the cost of the queue independent of how busy the machine's other tenants are.

## Summary

| work | 1 worker ÷ in-process, throughput (median) | in-process ÷ 1 worker, CPU seconds (median) |
|---|---:|---:|
| eval | **${e.rate.toFixed(2)}×** | ${(1 / e.cpu).toFixed(2)}× |
| dedup | **${d.rate.toFixed(2)}×** | ${(1 / d.cpu).toFixed(2)}× |

Goal: throughput ≥ 0.9×.

## eval: ResNet-20 on the 10,000 CIFAR-10 test images (test_batch_jpeg10000.bin), 1 thread per process

In-process \`evaluate\` vs 4 shard jobs of 2,500 images + 1 finish job; every run writes into PostgreSQL.

${table(evalRows, 'images/s', 'top-1 correct')}

## dedup: exact search, raw pixels, 10,000 test vs 4,000 training images, k = 10, 1 thread per process

\`searchSources\` vs 4 query chunks of 2,500 × 1 reference shard of 4,000 (4 search jobs) + 4 merge jobs.

${table(dedupRows, 'queries/s', 'neighbours equal round 1')}

## job latency, enqueue → start (BullMQ timestamp → processedOn)

| jobs | n | p50 ms | p99 ms |
|---|---:|---:|---:|
| no-op jobs one at a time, one idle worker | ${latency.noop.n} | ${latency.noop.p50} | ${latency.noop.p99} |
| the eval runs' jobs (queued behind each other: includes waiting for a free worker) | ${latency.evalJobs.n} | ${latency.evalJobs.p50} | ${latency.evalJobs.p99} |

The machine has 2 cores shared with other work: 2 workers cannot be twice as fast as 1 here.
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
