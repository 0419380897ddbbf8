/**
 * Savepoints on the database port: a transaction inside an open transaction, portable between
 * SQLite and PostgreSQL (`SAVEPOINT` / `RELEASE SAVEPOINT` / `ROLLBACK TO SAVEPOINT`).
 *
 * `savepointDatabase(tx)` wraps an open transaction as a `SqlDatabase`, so a store written against
 * the port runs unchanged inside someone else's transaction: its own `transaction` calls become
 * savepoints (a failing call undoes only its own statements) and the outer transaction commits or
 * rolls back everything. The labelling server's group commit (src/server/group-commit.ts) runs
 * each request's store calls this way, many requests in one outer transaction.
 */
import pLimit from 'p-limit';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, TransactionOptions } from './types.ts';

let counter = 0;

/**
 * Runs `fn` in a new savepoint of the open transaction `tx`: released when its promise resolves,
 * rolled back to (and released) when it rejects; the rejection is passed on. Calls on one `tx`
 * must not overlap (a savepoint is a stack on the connection): await one before starting the next.
 * When the rollback itself fails (the connection is gone), that failure is thrown instead: the
 * whole outer transaction is lost.
 */
export async function withSavepoint<T>(tx: SqlExecutor, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  const name = `retest_sp_${++counter}`;
  await tx.exec(`SAVEPOINT ${name}`);
  let result: T;
  try {
    result = await fn(tx);
  } catch (error) {
    await tx.exec(`ROLLBACK TO SAVEPOINT ${name}`);
    await tx.exec(`RELEASE SAVEPOINT ${name}`);
    throw error;
  }
  await tx.exec(`RELEASE SAVEPOINT ${name}`);
  return result;
}

/**
 * The open transaction `tx` as a `SqlDatabase`: statements run in `tx`; `transaction(fn)` is a
 * savepoint (`withSavepoint`), one at a time (statements wait for a running one, as on a real
 * database handle); `insertMany` runs in a savepoint (all rows or none); `close` only stops the
 * façade (the outer transaction belongs to its caller). Transaction options are ignored: the
 * outer transaction's mode holds. `location` is shown in messages.
 */
export function savepointDatabase(tx: SqlExecutor, location = 'transaction'): SqlDatabase {
  return new SavepointDatabase(tx, location);
}

class SavepointDatabase implements SqlDatabase {
  readonly #queue = pLimit(1);
  #closed = false;

  constructor(
    private readonly tx: SqlExecutor,
    readonly location: string,
  ) {}

  get dialect() {
    return this.tx.dialect;
  }

  all<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#whenFree(() => this.tx.all<Row>(sql, params));
  }

  get<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.#whenFree(() => this.tx.get<Row>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#whenFree(() => this.tx.run(sql, params));
  }

  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict?: string): Promise<number> {
    return this.transaction((tx) => tx.insertMany(table, columns, rows, conflict));
  }

  exec(sql: string): Promise<void> {
    return this.#whenFree(() => this.tx.exec(sql));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    if (this.#closed) return this.#closedError();
    return this.#queue(() => withSavepoint(this.tx, fn));
  }

  /** Nothing is committed inside the outer transaction: its owner syncs after it commits. */
  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }

  #closedError(): Promise<never> {
    return Promise.reject(new Error(`the savepoint view of ${this.location} is closed (this is a bug)`));
  }

  #whenFree<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return this.#closedError();
    if (this.#queue.activeCount === 0 && this.#queue.pendingCount === 0) return fn();
    return this.#queue(fn);
  }
}
