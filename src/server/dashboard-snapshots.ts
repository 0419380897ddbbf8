/**
 * The dashboard's tables computed off the event loop. Selection frequencies and control accuracy
 * aggregate every answer (millions of rows for an ImageNet-size build: seconds of database work),
 * so they run as a piscina task (./dashboard-worker.ts) on a thread with its own stores, opened
 * from the workspace's database location (SQLite path or PostgreSQL URL); labellers' requests are
 * never stalled by an admin opening the dashboard. Concurrent requests for the same view share one
 * computation. When the worker cannot run (it failed to start, or the database location cannot be
 * opened from another thread, such as `:memory:`), the failure is logged as a warning and the
 * tables are computed on the main thread; the dashboard says so (`DashboardSnapshot.warning`).
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { LabelStore } from '../label/index.ts';
import { classProgress, workerRows, type DashboardClass } from './dashboard-data.ts';
import type { DashboardTables, DashboardTask } from './dashboard-worker.ts';
import type { ServerStore } from './types.ts';

export type { DashboardTables } from './dashboard-worker.ts';

/** The tables, and where they were computed. */
export interface DashboardSnapshot extends DashboardTables {
  /** 'worker' (the dashboard thread) or 'main' (this thread, after a worker failure or with the worker off). */
  computedOn: 'worker' | 'main';
  /** Set when the worker failed and the tables were computed on the main thread. */
  warning?: string;
}

/** Where the worker opens its own stores; null runs everything on the main thread. */
export interface DashboardSource {
  /** A SQLite path or a PostgreSQL URL (with its password: it stays in the process). */
  location: string;
  /** PostgreSQL schema when the URL names none. */
  defaultSchema: string;
}

/** The worker entry: the compiled file, or a bootstrap that registers tsx when running from sources. */
function workerFile(): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');
  return fileURLToPath(new URL(fromSources ? './dashboard-worker-tsx.mjs' : './dashboard-worker.js', import.meta.url));
}

export class DashboardSnapshots {
  private pool: Piscina<DashboardTask, DashboardTables> | null = null;
  private readonly inFlight = new Map<string, Promise<DashboardSnapshot>>();
  /** Where the last tables were computed, for tests and logs. */
  lastMode: 'worker' | 'main' | null = null;

  /**
   * `source` null computes on the main thread (no warning: asked for). `warn` logs a worker
   * failure (the server's logger).
   */
  constructor(
    private readonly stores: { label: LabelStore; server: ServerStore },
    private readonly classes: readonly DashboardClass[],
    private readonly source: DashboardSource | null,
    private readonly warn: (error: unknown, message: string) => void,
  ) {}

  /** The tables for every class (or one class, without the worker table), computed now. */
  get(options: { minAnswers: number; now: Date; classIdx?: number }): Promise<DashboardSnapshot> {
    const key = `${options.minAnswers}:${options.classIdx ?? '*'}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const work = this.compute(options).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  private async onMain(options: { minAnswers: number; now: Date; classIdx?: number }): Promise<DashboardTables> {
    this.lastMode = 'main';
    const o = { now: options.now, minAnswers: options.minAnswers, ...(options.classIdx === undefined ? {} : { classIdx: options.classIdx }) };
    return { classes: await classProgress(this.stores.label, this.classes, o), workers: options.classIdx === undefined ? await workerRows(this.stores) : [] };
  }

  private async compute(options: { minAnswers: number; now: Date; classIdx?: number }): Promise<DashboardSnapshot> {
    if (this.source === null) return { ...(await this.onMain(options)), computedOn: 'main' };
    try {
      const pool = (this.pool ??= new Piscina<DashboardTask, DashboardTables>({ filename: workerFile(), minThreads: 0, maxThreads: 1, idleTimeout: 60_000 }));
      const tables = await pool.run({
        location: this.source.location,
        defaultSchema: this.source.defaultSchema,
        classes: [...this.classes],
        minAnswers: options.minAnswers,
        now: options.now.toISOString(),
        ...(options.classIdx === undefined ? {} : { classIdx: options.classIdx }),
      });
      this.lastMode = 'worker';
      return { ...tables, computedOn: 'worker' };
    } catch (error) {
      this.warn(error, 'dashboard worker failed; computing the dashboard on the main thread');
      return {
        ...(await this.onMain(options)),
        computedOn: 'main',
        warning: `The dashboard worker failed (${(error as Error).message ?? String(error)}); these tables were computed on the main thread, which slows labellers' requests while it runs.`,
      };
    }
  }

  /** Stops the worker (server shutdown). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.destroy();
  }
}
