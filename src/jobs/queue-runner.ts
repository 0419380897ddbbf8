/**
 * The queue `JobRunner` and the worker that serves it, on BullMQ + Redis (`--queue redis://…`).
 *
 * Everything about running jobs is BullMQ's: a group is submitted as BullMQ flows (a parent job
 * runs once its children completed and reads their return values), tries with exponential backoff
 * (`attempts`), a job that failed every try stays in BullMQ's failed set (parked, with its error)
 * until `retry`, a worker that died mid-job loses its lock and BullMQ's stalled-job check hands the
 * job to another worker, and Redis with AOF keeps queued jobs over a restart. The only thing kept
 * beside BullMQ's keys is one hash of group descriptions (name, time, job ids) for `retest jobs`.
 */
import { hostname } from 'node:os';
import { FlowProducer, Queue, Worker, type FlowJob, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { usageError } from '../core/errors.ts';
import { checkGroup, flattenJobs, groupState, newGroupId } from './group.ts';
import { parseQueueUrl } from './queue-url.ts';
import type { GroupSpec, GroupStatus, JobHandlers, JobRunner, JobSpec, ParkedJob } from './types.ts';

/** What a BullMQ job of ours carries. */
interface QueuedData {
  group: string;
  id: string;
  kind: string;
  data: unknown;
}

/** One group's description, kept in the groups hash. */
interface GroupRecord {
  id: string;
  name: string;
  submitted: string;
  cancelled: boolean;
  jobs: { id: string; kind: string; units: number; top: boolean }[];
}

const jobKey = (group: string, id: string) => `${group}.${id}`;

function toFlow(queueName: string, group: string, job: JobSpec, opts: { attempts: number; backoffMs: number }): FlowJob {
  const data: QueuedData = { group, id: job.id, kind: job.kind, data: job.data };
  return {
    name: job.kind,
    queueName,
    data,
    opts: {
      jobId: jobKey(group, job.id),
      attempts: opts.attempts,
      backoff: { type: 'exponential', delay: opts.backoffMs },
      removeOnComplete: false,
      removeOnFail: false,
    },
    ...(job.children && job.children.length > 0 ? { children: job.children.map((c) => toFlow(queueName, group, c, opts)) } : {}),
  };
}

/** The queue runner on the Redis at `url` (jobs run in `retest worker` processes). */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a factory returning the runner's methods as closures over its BullMQ queue
export async function queueRunner(url: string): Promise<JobRunner> {
  const { connection, queue: queueName } = parseQueueUrl(url);
  const queue = new Queue(queueName, { connection });
  const flows = new FlowProducer({ connection });
  const redis = new Redis({ ...connection, lazyConnect: false });
  const groupsKey = `bull:${queueName}:retest-groups`;
  try {
    await Promise.all([queue.waitUntilReady(), flows.waitUntilReady(), redis.ping()]);
  } catch (error) {
    await Promise.allSettled([queue.close(), flows.close()]);
    redis.disconnect();
    throw usageError(`cannot reach the job queue at ${url}: ${(error as Error).message}`, { field: '--queue', hint: 'start redis-server, or check the URL' });
  }

  const record = async (id: string): Promise<GroupRecord | undefined> => {
    const raw = await redis.hget(groupsKey, id);
    return raw === null ? undefined : (JSON.parse(raw) as GroupRecord);
  };

  const statusOf = async (group: GroupRecord): Promise<GroupStatus> => {
    const states = await Promise.all(group.jobs.map((j) => queue.getJobState(jobKey(group.id, j.id))));
    const parked: ParkedJob[] = [];
    let completed = 0,
      active = 0,
      runnable = 0,
      unitsDone = 0;
    await Promise.all(
      group.jobs.map(async (j, i) => {
        const state = states[i];
        if (state === 'completed') {
          completed++;
          unitsDone += j.units;
        } else if (state === 'active') {
          active++;
          runnable++;
        } else if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
          runnable++;
        } else if (state === 'failed') {
          const job = await queue.getJob(jobKey(group.id, j.id));
          parked.push({ id: j.id, kind: j.kind, attempts: job?.attemptsMade ?? 0, error: job?.failedReason ?? '' });
        }
      }),
    );
    parked.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      id: group.id,
      name: group.name,
      submitted: group.submitted,
      state: groupState({ cancelled: group.cancelled, jobs: group.jobs.length, completed, runnable, parked: parked.length }),
      jobs: group.jobs.length,
      completed,
      active,
      units: group.jobs.reduce((s, j) => s + j.units, 0),
      unitsDone,
      parked,
      workers: await queue.getWorkersCount(),
    };
  };

  return {
    kind: 'queue',
    async submit(spec: GroupSpec) {
      checkGroup(spec);
      const id = newGroupId();
      const topIds = new Set(spec.jobs.map((j) => j.id));
      const group: GroupRecord = {
        id,
        name: spec.name,
        submitted: new Date().toISOString(),
        cancelled: false,
        jobs: flattenJobs(spec.jobs).map((j) => ({ id: j.id, kind: j.kind, units: j.units ?? 0, top: topIds.has(j.id) })),
      };
      await redis.hset(groupsKey, id, JSON.stringify(group));
      const opts = { attempts: spec.attempts ?? 3, backoffMs: spec.backoffMs ?? 1000 };
      // Flows in bulk: one Redis transaction per call.
      for (let start = 0; start < spec.jobs.length; start += 500)
        await flows.addBulk(spec.jobs.slice(start, start + 500).map((j) => toFlow(queueName, id, j, opts)));
      return id;
    },
    async status(id) {
      const group = await record(id);
      return group && statusOf(group);
    },
    async list() {
      const all = Object.values(await redis.hgetall(groupsKey)).map((raw) => JSON.parse(raw) as GroupRecord);
      all.sort((a, b) => (a.submitted < b.submitted ? -1 : a.submitted > b.submitted ? 1 : a.id < b.id ? -1 : 1));
      return Promise.all(all.map(statusOf));
    },
    async wait(id, options = {}) {
      for (;;) {
        const group = await record(id);
        if (group === undefined) throw usageError(`no job group ${id} in the queue`, { field: 'group' });
        const status = await statusOf(group);
        options.onProgress?.(status);
        if (status.state !== 'running') return status;
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
      }
    },
    async results(id) {
      const group = await record(id);
      if (group === undefined) return {};
      const out: Record<string, unknown> = {};
      for (const j of group.jobs.filter((x) => x.top)) {
        const job = await queue.getJob(jobKey(id, j.id));
        if (job && (await job.getState()) === 'completed') out[j.id] = job.returnvalue ?? null;
      }
      return out;
    },
    async retry(id) {
      const group = await record(id);
      if (group === undefined) return 0;
      let n = 0;
      for (const j of group.jobs) {
        const job = await queue.getJob(jobKey(id, j.id));
        if (job && (await job.getState()) === 'failed') {
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          n++;
        }
      }
      return n;
    },
    async cancel(id) {
      const group = await record(id);
      if (group === undefined) return 0;
      group.cancelled = true;
      await redis.hset(groupsKey, id, JSON.stringify(group));
      const pending: string[] = [];
      for (const j of group.jobs) {
        const state = await queue.getJobState(jobKey(id, j.id));
        if (state !== 'completed' && state !== 'active' && state !== 'unknown') pending.push(j.id);
      }
      // Parents first: removing one removes its children that have not started.
      for (const j of [...group.jobs].reverse()) {
        const job = await queue.getJob(jobKey(id, j.id));
        if (!job || !pending.includes(j.id)) continue;
        try {
          await job.remove({ removeChildren: true });
        } catch {
          // Started meanwhile (locked by a worker): it finishes.
        }
      }
      let n = 0;
      for (const jobId of pending) if ((await queue.getJobState(jobKey(id, jobId))) === 'unknown') n++;
      return n;
    },
    async close() {
      await Promise.allSettled([queue.close(), flows.close()]);
      redis.disconnect();
    },
  };
}

/** What `startQueueWorker` is told. */
export interface QueueWorkerOptions {
  url: string;
  handlers: JobHandlers;
  /** Where the jobs' relative data paths resolve (`--data-dir`). */
  dataDir: string;
  /** Jobs this process runs at once (default 1). */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, in ms (default 30 s, `RETEST_JOB_LOCK_MS`): a
   * worker killed mid-job gives its job back after at most about twice this.
   */
  lockMs?: number;
  /** Called when a job starts, completes or fails (logging). */
  onEvent?: (event: { type: 'start' | 'done' | 'failed'; group: string; id: string; kind: string; error?: string; seconds?: number }) => void;
}

/** A running worker: `close` drains it (running jobs finish; nothing new is taken). */
export interface QueueWorker {
  close(): Promise<void>;
  /** Resolves when the worker's connection is up and it takes jobs. */
  ready: Promise<void>;
}

/** Takes jobs from the queue at `url` and runs them with `handlers` until closed. */
export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const { connection, queue: queueName } = parseQueueUrl(options.url);
  const lockDuration = options.lockMs ?? (Number(process.env.RETEST_JOB_LOCK_MS) || 30_000);
  const worker = new Worker(
    queueName,
    async (job: Job<QueuedData>) => {
      const { group, id, kind, data } = job.data;
      const handler = options.handlers[kind];
      if (handler === undefined) throw new Error(`this worker has no handler for job kind "${kind}" (an older retest?)`);
      const started = performance.now();
      options.onEvent?.({ type: 'start', group, id, kind });
      try {
        const value = await handler(data as never, {
          id,
          group,
          attempt: job.attemptsMade + 1,
          dataDir: options.dataDir,
          childrenValues: async () => {
            const values = await job.getChildrenValues();
            const prefix = `${group}.`;
            return Object.fromEntries(
              Object.entries(values).map(([key, value]) => {
                const jobId = key.slice(key.lastIndexOf(':') + 1);
                return [jobId.startsWith(prefix) ? jobId.slice(prefix.length) : jobId, value];
              }),
            );
          },
        });
        options.onEvent?.({ type: 'done', group, id, kind, seconds: (performance.now() - started) / 1000 });
        return value === undefined ? null : value;
      } catch (error) {
        options.onEvent?.({ type: 'failed', group, id, kind, error: (error as Error).message });
        throw error;
      }
    },
    {
      connection,
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      // A job whose worker died is handed out again; after this many such losses it is parked.
      maxStalledCount: 5,
      name: `${hostname()}:${process.pid}`,
    },
  );
  const ready = worker.waitUntilReady().then(() => undefined);
  ready.catch(() => {});
  return {
    ready,
    close: () => worker.close(),
  };
}
