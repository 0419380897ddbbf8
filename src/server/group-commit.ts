/**
 * Group commit for the server's writes (claims and submissions), on the database port. Every
 * write asked for during one turn of the event loop (and while the previous batch was committing)
 * runs in one outer transaction (`SqlDatabase.transaction`; SQLite `BEGIN IMMEDIATE`), each in its
 * own savepoint (`withSavepoint`, src/store/savepoint.ts), so one failing write does not undo the
 * others. A job gets stores built on `savepointDatabase(tx)`: their own transactions nest as
 * savepoints inside the job's. Each caller's promise settles only after the shared COMMIT and
 * `sql.sync()` (SQLite: one fdatasync of the WAL, off the event loop; the next batch's SQL runs
 * meanwhile), so an acknowledged answer is on disk, and the fsync is paid once per batch instead of
 * once per request.
 *
 * On PostgreSQL the outer transaction may be retried (a dropped connection, a deadlock): a job
 * failing that way fails the batch (`isTransientFailure`), the whole batch runs again from the
 * start, and no job has resolved before. Jobs must therefore have no effect outside the database.
 */
import { isTransientFailure, savepointDatabase, withSavepoint, type SqlDatabase } from '../store/index.ts';

interface Job<S> {
  run: (stores: S) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<S> {
  private queue: Job<S>[] = [];
  private scheduled = false;
  private running = false;
  /** Batches committed and jobs run (for tests and logs). */
  readonly stats = { batches: 0, jobs: 0, largest: 0 };

  /**
   * `sql` is the database the batches commit to; `bind` builds the stores a job uses on a database
   * (called with the savepoint view of the batch's transaction, once per job).
   */
  constructor(
    private readonly sql: SqlDatabase,
    private readonly bind: (db: SqlDatabase) => S,
  ) {}

  /** Runs `write` inside the next batch's transaction; resolves with its result after COMMIT. */
  run<T>(write: (stores: S) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.running = true;
    try {
      let outcomes: { ok: boolean; value: unknown }[] = [];
      try {
        await this.sql.transaction(async (tx) => {
          outcomes = []; // a retried transaction runs every job again
          for (const job of batch) {
            try {
              outcomes.push({ ok: true, value: await withSavepoint(tx, (inner) => job.run(this.bind(savepointDatabase(inner, this.sql.location)))) });
            } catch (error) {
              if (isTransientFailure(error)) throw error;
              outcomes.push({ ok: false, value: error });
            }
          }
        });
      } catch (error) {
        for (const job of batch) job.reject(error);
        return;
      }
      this.stats.batches += 1;
      this.stats.jobs += batch.length;
      this.stats.largest = Math.max(this.stats.largest, batch.length);
      // The next batch may run its SQL while this one's commit goes to disk.
      this.#next();
      try {
        await this.sql.sync();
      } catch (error) {
        for (const job of batch) job.reject(error);
        return;
      }
      batch.forEach((job, i) => (outcomes[i]!.ok ? job.resolve(outcomes[i]!.value) : job.reject(outcomes[i]!.value)));
    } finally {
      this.#next();
    }
  }

  #next(): void {
    if (!this.running) return;
    this.running = false;
    if (this.queue.length > 0) this.schedule();
  }
}
