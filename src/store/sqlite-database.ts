/**
 * The SQLite side of the database port (`SqlDatabase`, ./types.ts): the one module that loads
 * better-sqlite3. A file in WAL mode with foreign keys on; statements are prepared once and cached.
 *
 * better-sqlite3 is synchronous; the port is async so that a network database fits the same
 * stores. A connection is one at a time, so an open transaction owns it: statements and other
 * transactions queue behind it (p-limit with a concurrency of one) instead of slipping into it.
 * Every handle on the same file in one process shares one connection and its queue: two
 * connections of one thread would deadlock on the write lock (SQLite's busy wait blocks the very
 * thread that would release it). Other processes wait on SQLite's own lock (busy_timeout).
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type BetterSqlite3 from 'better-sqlite3';
import { dataError, ioError, RetestError } from '../core/errors.ts';
import { Checkpointer, type CheckpointOptions, type SyncFile, WalSync } from './sqlite-durability.ts';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, TransactionOptions } from './types.ts';

type Driver = typeof BetterSqlite3;
type Connection = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const require = createRequire(import.meta.url);
let driver: Driver | undefined;
/** Loaded on first use, so commands that never open a store do not pay for the native module. */
function loadDriver(): Driver {
  driver ??= require('better-sqlite3') as Driver;
  return driver;
}

/** Most rows in one multi-row INSERT: SQLite allows 32,766 parameters per statement. */
const MAX_PARAMETERS = 32_000;

interface Shared {
  connection: Connection;
  statements: Map<string, Statement>;
  queue: LimitFunction;
  handles: number;
  /** fdatasync of the file's WAL (none for `:memory:`). */
  walSync: WalSync | undefined;
  /** Checkpoints in a worker thread, when a handle asked for them. */
  checkpointer: Checkpointer | undefined;
}

/** Options of `openSqliteDatabase`. */
export interface SqliteOptions {
  /** Open read-only (the file must exist). */
  readonly?: boolean;
  /**
   * Run the WAL checkpoints in a worker thread instead of inside the COMMIT that crosses SQLite's
   * threshold (which fsyncs twice on the event loop): the labelling server asks for this.
   */
  backgroundCheckpoints?: boolean | CheckpointOptions;
  /** How `sync()` syncs the WAL (tests inject a slow or counting one). */
  syncFile?: SyncFile;
}

/** Open connections by absolute file path (not `:memory:`, which is private to each handle). */
const shared = new Map<string, Shared>();

/** Opens (creating if needed) the SQLite file at `path`; `:memory:` for a private in-memory database. */
export function openSqliteDatabase(path: string, options: SqliteOptions = {}): SqlDatabase {
  const readonly = options.readonly ?? false;
  const key = path === ':memory:' ? undefined : `${resolve(path)}${readonly ? '?ro' : ''}`;
  const existing = key === undefined ? undefined : shared.get(key);
  let entry: Shared;
  if (existing !== undefined && existing.connection.open) {
    existing.handles++;
    entry = existing;
  } else {
    const walSync = key === undefined || readonly ? undefined : new WalSync(`${resolve(path)}-wal`, options.syncFile);
    entry = { connection: connect(path, readonly), statements: new Map(), queue: pLimit(1), handles: 1, walSync, checkpointer: undefined };
    if (key !== undefined) shared.set(key, entry);
  }
  const db = new SqliteDatabase(entry, path, key);
  if (options.backgroundCheckpoints) startBackgroundCheckpoints(db, options.backgroundCheckpoints === true ? {} : options.backgroundCheckpoints);
  return db;
}

/**
 * Moves the WAL checkpoints of an open SQLite database (and every handle sharing its connection)
 * to a worker thread (./sqlite-durability.ts); nothing on PostgreSQL, `:memory:` or a read-only
 * file. The labelling server calls it so that no checkpoint fsync runs on its event loop.
 */
export function startBackgroundCheckpoints(db: SqlDatabase, options: CheckpointOptions = {}): void {
  if (!(db instanceof SqliteDatabase)) return;
  db.startBackgroundCheckpoints(options);
}

function connect(path: string, readonly: boolean): Connection {
  if (path !== ':memory:') prepareFolder(path, readonly);
  let connection: Connection;
  try {
    const Database = loadDriver();
    connection = new Database(path, { readonly, fileMustExist: readonly });
    connection.pragma('busy_timeout = 10000');
    // Two processes creating one new store at once: switching it to WAL can answer SQLITE_BUSY at
    // once, without SQLite's busy wait (the switch needs an exclusive lock), so it is retried here.
    retryWhileBusy(() => {
      if (!readonly) connection.pragma('journal_mode = WAL');
      // Reading the schema makes a file that is not a SQLite database fail here, with its name.
      connection.prepare('SELECT count(*) FROM sqlite_master').get();
    });
    connection.pragma('synchronous = NORMAL');
    connection.pragma('foreign_keys = ON');
  } catch (cause) {
    throw sqliteOpenError(path, cause);
  }
  return connection;
}

/** Runs `step` again while it fails with SQLITE_BUSY, for up to 10 s (as busy_timeout), 20 ms apart. */
function retryWhileBusy(step: () => void): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      step();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;

  constructor(
    protected readonly connection: Connection,
    readonly location: string,
    /** Prepared statements by SQL text, shared by the database and its transactions. */
    protected readonly statements = new Map<string, Statement>(),
  ) {}

  protected statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.guard(() => this.connection.prepare(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const statement = this.statement(sql);
    return this.guard(() => statement.all(...params.map(bindable)) as Row[]);
  }

  async get<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    const statement = this.statement(sql);
    return this.guard(() => statement.get(...params.map(bindable)) as Row | undefined);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const statement = this.statement(sql);
    return this.guard(() => ({ changes: statement.run(...params.map(bindable)).changes }));
  }

  async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict = ''): Promise<number> {
    return this.insertRows(table, columns, rows, conflict);
  }

  protected insertRows(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict: string): number {
    if (rows.length === 0) return 0;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
    const placeholders = `(${columns.map(() => '?').join(', ')})`;
    let inserted = 0;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => placeholders).join(', ')} ${conflict}`;
      // Full chunks reuse one cached statement; the last, shorter one is prepared once.
      const statement = this.statement(sql);
      const values = chunk.flatMap((row) => row.map(bindable));
      inserted += this.guard(() => statement.run(...values).changes);
    }
    return inserted;
  }

  async exec(sql: string): Promise<void> {
    this.guard(() => this.connection.exec(sql));
  }

  /** Turns driver errors that are the file's fault (corrupt, read-only, disk full) into io errors naming it. */
  protected guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw sqliteRunError(this.location, cause);
    }
  }
}

class SqliteDatabase extends SqliteExecutor implements SqlDatabase {
  /** One at a time: a transaction owns the connection until it ends (shared by the file's handles). */
  readonly #queue: LimitFunction;
  readonly #shared: Shared;
  readonly #key: string | undefined;
  #closed = false;

  constructor(entry: Shared, location: string, key: string | undefined) {
    super(entry.connection, location, entry.statements);
    this.#shared = entry;
    this.#queue = entry.queue;
    this.#key = key;
  }

  override async all<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#whenFree(() => super.all<Row>(sql, params));
  }

  override async get<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.#whenFree(() => super.get<Row>(sql, params));
  }

  override async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#whenFree(() => super.run(sql, params));
  }

  override async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict = ''): Promise<number> {
    return this.transaction(async () => this.insertRows(table, columns, rows, conflict));
  }

  override async exec(sql: string): Promise<void> {
    return this.#whenFree(() => super.exec(sql));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.#closed) return this.#closedError();
    return this.#queue(async () => {
      const tx = new SqliteExecutor(this.connection, this.location, this.statements);
      this.guard(() => this.connection.exec(options.mode === 'read' ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE'));
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
        throw error;
      }
      this.guard(() => this.connection.exec('COMMIT'));
      return result;
    });
  }

  /**
   * Commits run with `synchronous = NORMAL` (no fsync inside COMMIT, so none on the event loop);
   * this fdatasyncs the WAL in the thread pool, shared by concurrent callers (./sqlite-durability.ts).
   */
  async sync(): Promise<void> {
    await this.#shared.walSync?.sync();
  }

  /** See `startBackgroundCheckpoints`. */
  startBackgroundCheckpoints(options: CheckpointOptions): void {
    if (this.#key === undefined || this.#shared.walSync === undefined || this.#shared.checkpointer !== undefined) return;
    this.connection.pragma('wal_autocheckpoint = 0');
    this.#shared.checkpointer = new Checkpointer(resolve(this.location), options);
  }

  /** See `backgroundCheckpointer`. */
  get checkpointer(): Checkpointer | undefined {
    return this.#shared.checkpointer;
  }

  /** See `sqliteConnection`. */
  get driverConnection(): Connection {
    return this.connection;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue(async () => {
      if (--this.#shared.handles > 0) return;
      if (this.#key !== undefined && shared.get(this.#key) === this.#shared) shared.delete(this.#key);
      // The worker's connection first: the last connection to close checkpoints and removes the WAL.
      await this.#shared.checkpointer?.close();
      await this.#shared.walSync?.close();
      if (this.connection.open) this.connection.close();
    });
  }

  /** A closed handle answers nothing, even while another handle keeps the file's connection open. */
  #closedError(): Promise<never> {
    return Promise.reject(new Error(`${this.location} is closed (this handle; a bug in the caller)`));
  }

  /** Runs a statement now when no transaction holds the connection, else after it (fast path: no queueing). */
  #whenFree<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return this.#closedError();
    if (this.#queue.activeCount === 0 && this.#queue.pendingCount === 0) return fn();
    return this.#queue(fn);
  }
}

/**
 * The better-sqlite3 connection under a SQLite `SqlDatabase`, for what must see the driver itself:
 * query-plan tests (`EXPLAIN QUERY PLAN` of a store's SQL) and benchmarks' bare-driver baselines.
 * No stage uses it: stages go through the port.
 */
export function sqliteConnection(db: SqlDatabase): Connection {
  if (!(db instanceof SqliteDatabase)) throw new Error(`${db.location} is not a SQLite database (this is a bug)`);
  return db.driverConnection;
}

/** The background checkpointer of a SQLite database opened with `backgroundCheckpoints` (tests, benchmarks). */
export function backgroundCheckpointer(db: SqlDatabase): Checkpointer | undefined {
  return db instanceof SqliteDatabase ? db.checkpointer : undefined;
}

/** better-sqlite3 binds booleans/undefined badly and wants Buffers for blobs. */
function bindable(value: SqlValue): SqlValue {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

function prepareFolder(path: string, readonly: boolean): void {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw ioError('the store path is a folder, not a SQLite file', { file: path, hint: 'pass a file path, e.g. --db results/retest.db' });
  }
  if (readonly) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw ioError('cannot create the folder of the store', { file: dirname(path), cause, hint: 'check that the path is writable' });
  }
}

function sqliteOpenError(path: string, cause: unknown): RetestError {
  const code = (cause as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return dataError('the store is not a SQLite database (or is damaged)', {
      file: path,
      cause,
      expected: 'a SQLite 3 file written by retest',
      received: code,
      hint: 'pass the right --db, or move this file away to start a new store',
    });
  }
  return ioError('cannot open the store', { file: path, cause, received: code || String(cause), hint: 'check that the path is a writable SQLite file' });
}

function sqliteRunError(path: string, cause: unknown): unknown {
  const code = (cause as { code?: string }).code ?? '';
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'SQLITE_FULL') {
    const what =
      code === 'SQLITE_READONLY' ? 'cannot write the store: it is read-only (the file, its -wal/-shm files or its folder)' : 'cannot write the store';
    return ioError(what, {
      file: path,
      cause,
      received: code,
      hint: code === 'SQLITE_FULL' ? 'free some disk space' : 'check that the file and its folder are writable',
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return sqliteOpenError(path, cause);
  if (code === 'SQLITE_BUSY') {
    return ioError('the store is busy: another process has held its write lock for over 10 s', {
      file: path,
      cause,
      received: code,
      hint: 'wait for the other retest command to finish, then run this one again',
    });
  }
  return cause;
}
