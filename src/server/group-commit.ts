/**
 * Group commit for the server's writes (claims and submissions). Every write asked for during one
 * turn of the event loop runs in a single IMMEDIATE transaction, each in its own savepoint (the
 * label stage's transaction functions nest), so one failing write does not undo the others; each
 * caller's promise settles only after the shared COMMIT — with `synchronous = FULL` an
 * acknowledged answer is on disk — and the fsync is paid once per batch instead of once per request.
 */
import type { Db } from '../store/index.ts';

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  /** Batches committed and jobs run (for tests and logs). */
  readonly stats = { batches: 0, jobs: 0, largest: 0 };

  constructor(private readonly db: Db) {}

  /** Runs `write` inside the next batch's transaction; resolves with its result after COMMIT. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const job of batch) {
          // A nested transaction function is a savepoint: a job that throws rolls back only itself.
          const inner = this.db.transaction(job.run);
          try {
            outcomes.push({ ok: true, value: inner() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
        }
      }).immediate();
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    this.stats.batches += 1;
    this.stats.jobs += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    batch.forEach((job, i) => (outcomes[i]!.ok ? job.resolve(outcomes[i]!.value) : job.reject(outcomes[i]!.value)));
  }
}
