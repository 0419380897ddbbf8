/**
 * The PostgreSQL side of the database port (`SqlDatabase`, ./types.ts): the one module that loads
 * `pg`. A pooled connection per concurrent call; every connection's `search_path` is the store's
 * schema (the URL's `?schema=`, else the store kind's default), created if missing, so a results
 * store and several workspaces can share one database.
 *
 * Statements are written with `?` parameters (portable with SQLite) and numbered here. BIGINT
 * (and COUNT) come back as numbers, BYTEA as Buffers. A dropped connection is retried with
 * backoff, and so is a transaction that failed on a serialization conflict or deadlock.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { ioError, RetestError, usageError } from '../core/errors.ts';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, TransactionOptions } from './types.ts';
import { redactUrl } from '../core/redact.ts';

type Pg = typeof pg;
const require = createRequire(import.meta.url);
let driver: Pg | undefined;
/** Loaded on first use: commands on SQLite stores never load it. */
function loadDriver(): Pg {
  driver ??= require('pg') as Pg;
  return driver;
}

/** PostgreSQL allows 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;
/** Attempts of one statement or transaction before a retryable failure is reported. */
const ATTEMPTS = 5;

/** Type OIDs parsed to numbers: int8 (BIGINT, COUNT) and numeric (SUM of integers). */
const INT8 = 20;
const NUMERIC = 1700;

export interface PostgresOptions {
  /** The `search_path` schema when the URL names none. */
  defaultSchema: string;
  /** Most pooled connections (default 10). */
  maxConnections?: number;
}

/** Opens a pool on `url` (`postgres://user[:password]@host[:port]/database[?schema=name]`) and checks that it answers. */
export async function openPostgresDatabase(url: string, options: PostgresOptions): Promise<SqlDatabase> {
  const { Pool, types } = loadDriver();
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? options.defaultSchema;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw usageError('the PostgreSQL schema name is not a plain identifier', {
      file: redactUrl(url),
      field: 'schema',
      received: JSON.stringify(schema),
      expected: 'lower-case letters, digits and _ (not starting with a digit)',
    });
  }
  parsed.searchParams.delete('schema');
  const location = redactUrl(url);
  const toNumber = (text: string) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) && Number.isInteger(value)) throw new RangeError(`integer ${text} from ${location} is beyond 2^53`);
    return value;
  };
  const pool = new Pool({
    connectionString: parsed.toString(),
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 10_000,
    // Every connection works in the store's schema (validated above as a plain identifier).
    options: `-c search_path=${schema}`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC ? toNumber : types.getTypeParser(oid, format ?? 'text')) as typeof types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const database = new PostgresDatabase(pool, location);
  try {
    // Under an advisory lock: two processes creating the same new schema at once would collide.
    await database.transaction(async (tx) => {
      await tx.get('SELECT pg_advisory_xact_lock(7262705)');
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    });
  } catch (cause) {
    await pool.end().catch(() => {});
    throw cause;
  }
  return database;
}

/** `?` → `$1, $2, …`, outside quoted strings and identifiers. */
export function numberParameters(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;

  constructor(
    protected readonly client: Queryable,
    readonly location: string,
    /** Statements outside a transaction may be retried on a dropped connection; inside one, the whole transaction is. */
    private readonly retry: boolean,
  ) {}

  protected async query(sql: string, params: readonly SqlValue[]): Promise<{ rows: SqlRow[]; rowCount: number }> {
    const text = numberParameters(sql);
    const values = params.map((value) => (typeof value === 'bigint' ? value.toString() : value));
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.query(text, values);
        return { rows: result.rows as SqlRow[], rowCount: result.rowCount ?? 0 };
      } catch (cause) {
        if (this.retry && attempt < ATTEMPTS && isConnectionLoss(cause)) {
          await backoff(attempt);
          continue;
        }
        throw postgresError(this.location, cause);
      }
    }
  }

  async all<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await this.query(sql, params)).rows as Row[];
  }

  async get<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    return (await this.query(sql, params)).rows[0] as Row | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount };
  }

  async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict = ''): Promise<number> {
    if (rows.length === 0) return 0;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    let inserted = 0;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ${conflict}`;
      inserted += (await this.query(sql, chunk.flat())).rowCount;
    }
    return inserted;
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql, []);
  }
}

class PostgresDatabase extends PostgresExecutor implements SqlDatabase {
  constructor(
    private readonly pool: pg.Pool,
    location: string,
  ) {
    super(pool, location, true);
  }

  override async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], conflict = ''): Promise<number> {
    return this.transaction((tx) => tx.insertMany(table, columns, rows, conflict));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (cause) {
        if (attempt < ATTEMPTS && isConnectionLoss(cause)) {
          await backoff(attempt);
          continue;
        }
        throw postgresError(this.location, cause);
      }
      let broken = false;
      try {
        await client.query(options.mode === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const result = await fn(new PostgresExecutor(client, this.location, false));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        const cause = causeOf(error);
        broken = isConnectionLoss(cause);
        if (!broken) await client.query('ROLLBACK').catch(() => {});
        if (attempt < ATTEMPTS && (broken || isRetryableConflict(cause))) {
          await backoff(attempt);
          continue;
        }
        throw error instanceof RetestError ? error : postgresError(this.location, error);
      } finally {
        client.release(broken);
      }
    }
  }

  /** A PostgreSQL COMMIT returns after the server flushed its WAL (synchronous_commit on): nothing to wait for. */
  async sync(): Promise<void> {}

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Whether a failure inside a PostgreSQL transaction is one that `transaction` retries (a dropped
 * connection, a serialization conflict, a deadlock): code that catches errors inside a transaction
 * (a savepoint per job, src/server/group-commit.ts) rethrows these so the whole transaction runs
 * again. Always false for SQLite's errors.
 */
export function isTransientFailure(error: unknown): boolean {
  const cause = causeOf(error);
  return isConnectionLoss(cause) || isRetryableConflict(cause);
}

function causeOf(error: unknown): unknown {
  return error instanceof RetestError && error.cause !== undefined ? error.cause : error;
}

/** The server went away or never answered: worth another try on a fresh connection. */
function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  const message = String((error as Error)?.message ?? '');
  return (
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006'].includes(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  );
}

/** Serialization failure or deadlock: the transaction can simply run again. */
function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  return code === '40001' || code === '40P01';
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));
}

function postgresError(location: string, cause: unknown): unknown {
  if (cause instanceof RetestError) return cause;
  const code = (cause as { code?: string })?.code ?? '';
  if (isConnectionLoss(cause) || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return ioError('cannot reach the PostgreSQL store', {
      file: location,
      cause,
      received: code || String((cause as Error)?.message),
      hint: 'check the host, port and that the server is running',
    });
  }
  if (code === '28P01' || code === '28000') {
    return ioError('PostgreSQL refused the login', {
      file: location,
      cause,
      received: String((cause as Error).message),
      hint: 'check the user in the URL and the password (PGPASSWORD or ~/.pgpass)',
    });
  }
  if (code === '3D000') {
    return ioError('the PostgreSQL database does not exist', { file: location, cause, hint: 'create it first (createdb NAME)' });
  }
  if (code === '42501') {
    return ioError('PostgreSQL denied the access', {
      file: location,
      cause,
      received: String((cause as Error).message),
      hint: 'grant the user the rights on the database and schema',
    });
  }
  return cause;
}
