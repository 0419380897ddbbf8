/**
 * The database port every stage's store is written against: a few async calls that SQLite
 * (better-sqlite3, embedded, the default) and PostgreSQL (pg, for results from many machines and a
 * labelling server behind a load balancer) both implement. Stages never see a driver: each writes
 * its SQL once, in the portable subset described here, and its store works on either backend.
 *
 * Portable SQL, as the stores use it:
 * - parameters are `?` (the PostgreSQL adapter numbers them `$1, $2, …`); never inside a quoted
 *   string, and no PostgreSQL `?` JSON operators;
 * - upserts are `INSERT … ON CONFLICT (…) DO NOTHING | DO UPDATE SET x = excluded.x`, new ids come
 *   back with `RETURNING id`; no `INSERT OR IGNORE/REPLACE`, no `lastInsertRowid`;
 * - integers come back as JS numbers (PostgreSQL's BIGINT/COUNT included; a value beyond 2^53 is an
 *   error), floats as numbers, BLOB/BYTEA as `Buffer`, NULL as `null`;
 * - where the dialects differ (JSON functions, triggers), a store branches on `db.dialect`.
 */

/** A value bound to a `?` parameter or read from a column. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** A result row: column name → value. */
export type SqlRow = Record<string, unknown>;

/** Which SQL dialect a database speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Runs statements; either the database itself (each statement on its own) or an open transaction. */
export interface SqlExecutor {
  /** The dialect, for the few statements that must differ. */
  readonly dialect: SqlDialect;
  /** All rows of a query. */
  all<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** The first row of a query, or undefined when there is none. */
  get<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** A statement without rows; `changes` = rows inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /**
   * Inserts many rows into `table` (one multi-row statement per chunk; one transaction when called
   * on the database). `conflict` is appended verbatim, e.g. `ON CONFLICT (run_id, idx) DO NOTHING`.
   * Returns the number of rows inserted.
   */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict?: string): Promise<number>;
  /** Several statements separated by `;`, without parameters (schema changes). */
  exec(sql: string): Promise<void>;
}

/** Options of `SqlDatabase.transaction`. */
export interface TransactionOptions {
  /**
   * 'write' (default) takes the write lock at the start (SQLite `BEGIN IMMEDIATE`), so two writers
   * never deadlock half-way; 'read' gives a consistent snapshot for several reads.
   */
  mode?: 'write' | 'read';
}

/** An open database: SQLite file or PostgreSQL pool. */
export interface SqlDatabase extends SqlExecutor {
  /** Where it is, for messages: the SQLite path, or the PostgreSQL URL with its password removed. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when its promise resolves, rolled back when it rejects
   * (the rejection is passed on). On PostgreSQL a transaction that failed on a serialization
   * conflict, a deadlock or a dropped connection is retried from the start (up to 5 times), so `fn`
   * must not have effects outside the database. Statements on the database itself wait until a
   * running transaction of this handle has finished.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Resolves when every transaction committed on this database before the call is durable (on
   * disk: it survives a power loss, not only a crash of this process). SQLite commits without an
   * fsync and syncs its write-ahead log here, off the event loop, once for all waiting callers;
   * PostgreSQL's COMMIT is already durable, so it resolves at once. Call it before acknowledging
   * what must not be lost (a labeller's answer).
   */
  sync(): Promise<void>;
  /** Closes the file or the pool. Further calls fail. */
  close(): Promise<void>;
}

/**
 * A named schema change. `sql` is portable DDL (see `translateDdl` in migrate.ts for what the
 * PostgreSQL side rewrites: INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, `INTEGER
 * PRIMARY KEY AUTOINCREMENT` → an identity column, `WITHOUT ROWID` dropped), or one text per
 * dialect where they cannot share one (triggers).
 */
export interface Migration {
  /** Unique, stable name, `<stage>-NNN-<what>`, e.g. "results-001-initial". Never rename one that shipped. */
  name: string;
  /** The DDL, run once inside a transaction. */
  sql:
    | string
    | {
        /** The DDL for SQLite. */
        sqlite: string;
        /** The DDL for PostgreSQL. */
        postgres: string;
      };
}

/** What `migrationStatus` reports about a database. */
export interface MigrationStatus {
  /** Where the database is (as `SqlDatabase.location`). */
  location: string;
  /** Its dialect. */
  dialect: SqlDialect;
  /** Migrations recorded in the database, in the order they were applied, with their ISO time. */
  applied: {
    /** The migration's name. */
    name: string;
    /** ISO time it was applied. */
    appliedAt: string;
  }[];
  /** Migrations this retest knows and the database has not applied yet. */
  pending: string[];
  /**
   * Migrations the database has that this retest does not know: it was written by a newer retest,
   * which this one refuses to open (an older build would misread the newer tables).
   */
  unknown: string[];
}
