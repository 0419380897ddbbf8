/**
 * The dashboard's tables computed off the event loop. Selection frequencies and control accuracy
 * aggregate every answer (millions of rows for an ImageNet-size build: seconds of SQLite work), so
 * they run in a worker thread with its own read connection (WAL lets it read while the server
 * writes); labellers' requests are never stalled by an admin opening the dashboard. Concurrent
 * requests for the same view share one computation. When the worker cannot start, the work runs
 * inline (correct, only not concurrent).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Db } from '../store/index.ts';
import { classProgress, workerRows } from './dashboard-data.ts';
import type { ClassProgress, WorkerRow } from './types.ts';

export interface DashboardTables {
  classes: ClassProgress[];
  workers: WorkerRow[];
}

/** Starts the worker: the compiled file directly, or through a tsx bootstrap when running from sources. */
function startWorker(): Worker {
  if (!fileURLToPath(import.meta.url).endsWith('.ts')) return new Worker(new URL('./dashboard-worker.js', import.meta.url));
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./dashboard-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

export class DashboardSnapshots {
  private worker: Worker | null = null;
  private failed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (t: DashboardTables) => void; reject: (e: Error) => void }>();
  private readonly inFlight = new Map<string, Promise<DashboardTables>>();
  /** Where the last tables were computed ('worker' or 'inline'), for tests and logs. */
  lastMode: 'worker' | 'inline' | null = null;

  constructor(private readonly db: Db, private readonly useWorker: boolean) {}

  /** The tables for every class (or one class, without the worker table), computed now. */
  get(options: { minAnswers: number; now: Date; classIdx?: number }): Promise<DashboardTables> {
    const key = `${options.minAnswers}:${options.classIdx ?? '*'}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const work = this.compute(options).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  private inline(options: { minAnswers: number; now: Date; classIdx?: number }): DashboardTables {
    this.lastMode = 'inline';
    const o = { now: options.now, minAnswers: options.minAnswers, ...(options.classIdx === undefined ? {} : { classIdx: options.classIdx }) };
    return { classes: classProgress(this.db, o), workers: options.classIdx === undefined ? workerRows(this.db) : [] };
  }

  private async compute(options: { minAnswers: number; now: Date; classIdx?: number }): Promise<DashboardTables> {
    const worker = this.useWorker && !this.failed && this.db.name !== ':memory:' ? this.ensureWorker() : null;
    if (!worker) return this.inline(options);
    try {
      const tables = await this.viaWorker(worker, options);
      this.lastMode = 'worker';
      return tables;
    } catch {
      // The worker failed (or could not load): answer from this thread rather than not at all.
      return this.inline(options);
    }
  }

  private viaWorker(worker: Worker, options: { minAnswers: number; now: Date; classIdx?: number }): Promise<DashboardTables> {
    return new Promise<DashboardTables>((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, dbPath: this.db.name, minAnswers: options.minAnswers, now: options.now.toISOString(), ...(options.classIdx === undefined ? {} : { classIdx: options.classIdx }) });
    });
  }

  private ensureWorker(): Worker | null {
    if (this.worker) return this.worker;
    try {
      const worker = startWorker();
      worker.on('message', (m: { id: number; error?: string } & Partial<DashboardTables>) => {
        const waiter = this.waiting.get(m.id);
        if (!waiter) return;
        this.waiting.delete(m.id);
        if (this.waiting.size === 0) worker.unref();
        if (m.error !== undefined) waiter.reject(new Error(`dashboard worker: ${m.error}`));
        else waiter.resolve({ classes: m.classes!, workers: m.workers! });
      });
      const fail = (error: Error) => {
        this.worker = null;
        this.failed = true;
        for (const w of this.waiting.values()) w.reject(error);
        this.waiting.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => { if (this.worker === worker) fail(new Error(`dashboard worker exited with code ${code}`)); });
      worker.unref();
      this.worker = worker;
      return worker;
    } catch {
      this.failed = true;
      return null;
    }
  }

  /** Stops the worker (server shutdown). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
