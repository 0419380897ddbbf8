/**
 * Durable commits without blocking the event loop, for a SQLite file in WAL mode.
 *
 * The connection commits with `synchronous = NORMAL`: a COMMIT writes its frames to the `-wal` file
 * (into the OS page cache) and returns without an fsync. `WalSync.sync()` then makes every frame
 * written so far durable with one `fdatasync` of the `-wal` file, run in libuv's thread pool, so the
 * event loop goes on reading requests while the disk works; callers that arrive while one sync is
 * running share the next one. After `sync()` resolves, the transactions committed before the call
 * survive a power loss, as with `synchronous = FULL`, but a slow disk delays only those callers.
 *
 * `Checkpointer` moves WAL checkpoints (which fsync the WAL and the database file and copy pages)
 * off the event loop too: the connection's automatic checkpoint is turned off, and a worker thread
 * with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` whenever the WAL has grown past a
 * threshold. A passive checkpoint never waits for readers or writers, and SQLite starts the WAL over
 * from its beginning at the first write after a complete checkpoint, so the file stays bounded.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { ioError } from '../core/errors.ts';
import { onCommandEnd } from '../core/cleanup.ts';
import type { CheckpointResult, CheckpointTask } from './checkpoint-worker.ts';

/** Syncs a file's data to disk (`FileHandle.datasync`); tests pass a slow or counting one. */
export type SyncFile = (file: FileHandle) => Promise<void>;

const datasync: SyncFile = (file) => file.datasync();

/** One file's coalesced, off-the-event-loop fdatasync (see the module comment). */
export class WalSync {
  #file: FileHandle | undefined;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #closed = false;
  /** fdatasync calls made (for tests and the benchmark). */
  syncs = 0;

  constructor(
    /** The `-wal` file. */
    readonly walPath: string,
    private readonly syncFile: SyncFile = datasync,
  ) {}

  /** Resolves when every frame written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#start();
    // A sync is running, but it may have started before this caller's commit: wait for the next one.
    const queued = this.#running.then(
      () => this.#start(),
      () => this.#start(),
    );
    this.#queued = queued;
    return queued;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([this.#running, this.#queued]);
    await this.#file?.close();
    this.#file = undefined;
  }

  #start(): Promise<void> {
    this.#queued = undefined;
    const running = this.#syncOnce().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #syncOnce(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#file === undefined) {
        try {
          this.#file = await open(this.walPath, 'r');
        } catch (error) {
          // No WAL: nothing was written since the last connection closed (and checkpointed) it.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
        // The WAL's directory entry is made durable once (SQLite created the file without a sync).
        await syncDirectory(dirname(this.walPath), this.syncFile);
      }
      this.syncs++;
      await this.syncFile(this.#file);
    } catch (cause) {
      throw ioError('cannot make the store durable: syncing its write-ahead log failed', {
        file: this.walPath,
        cause,
        hint: 'check the disk; answers acknowledged before this error are safe, this one was not acknowledged',
      });
    }
  }
}

async function syncDirectory(dir: string, syncFile: SyncFile): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await syncFile(handle);
  } finally {
    await handle.close();
  }
}

/** Options of `Checkpointer`. */
export interface CheckpointOptions {
  /** Checkpoint once the WAL is larger than this (bytes; default 4 MiB, SQLite's 1,000-page default). */
  thresholdBytes?: number;
  /** How often the WAL's size is looked at (ms; default 1,000). */
  intervalMs?: number;
}

/** The worker entry: the compiled file, or a bootstrap that registers tsx when running from sources. */
function workerFile(): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');
  return fileURLToPath(new URL(fromSources ? './checkpoint-worker-tsx.mjs' : './checkpoint-worker.js', import.meta.url));
}

/** Background checkpoints of one SQLite file (see the module comment). */
export class Checkpointer {
  /** piscina is loaded when a server asks for background checkpoints, not when a command opens a store. */
  readonly #pool: Promise<Piscina<CheckpointTask, CheckpointResult>>;
  readonly #timer: NodeJS.Timeout;
  readonly #threshold: number;
  #running: Promise<void> | undefined;
  #closed = false;
  /** The WAL's modification time when the last checkpoint started (a WAL not written since needs none). */
  #checkedAt = -1;
  /** Checkpoints run, and the last one's result (for tests and logs). */
  readonly stats = { checkpoints: 0, last: undefined as CheckpointResult | undefined, failures: 0 };

  constructor(
    /** The database file. */
    readonly path: string,
    options: CheckpointOptions = {},
  ) {
    this.#threshold = options.thresholdBytes ?? 4 * 1024 * 1024;
    this.#pool = import('piscina').then(
      ({ Piscina }) =>
        new Piscina<CheckpointTask, CheckpointResult>({ filename: workerFile(), minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY }),
    );
    this.#pool.catch(() => {}); // reported by the first checkpoint
    this.#timer = setInterval(() => void this.#maybeCheckpoint(), options.intervalMs ?? 1000);
    this.#timer.unref();
    onCommandEnd(() => this.close());
  }

  /** Runs a checkpoint now (after the running one, if any). */
  async checkpoint(): Promise<CheckpointResult | undefined> {
    await this.#running;
    if (this.#closed) return undefined;
    const result = this.#pool
      .then((pool) => pool.run({ path: this.path }))
      .then((r) => {
        this.stats.checkpoints++;
        this.stats.last = r;
        return r;
      });
    const running = result.then(
      () => undefined,
      () => {
        this.stats.failures++;
      },
    );
    this.#running = running;
    void running.then(() => {
      if (this.#running === running) this.#running = undefined;
    });
    return result;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
    // The worker's connection is closed properly, so the last connection to close can remove the WAL.
    const pool = await this.#pool.catch(() => undefined);
    await pool?.run({ path: this.path, close: true }).catch(() => undefined);
    await pool?.destroy();
  }

  async #maybeCheckpoint(): Promise<void> {
    if (this.#running || this.#closed) return;
    const wal = await stat(`${this.path}-wal`).catch(() => undefined);
    // The file keeps its size when SQLite starts it over, so its size alone would call for a
    // checkpoint at every tick: only a WAL written since the last checkpoint gets one.
    if (wal === undefined || wal.size <= this.#threshold || wal.mtimeMs === this.#checkedAt) return;
    this.#checkedAt = wal.mtimeMs;
    // A failed checkpoint is retried at the next tick; the connection's own writes never depend on it.
    await this.checkpoint().catch((error: unknown) => {
      process.emitWarning(`retest: background checkpoint of ${this.path} failed: ${String((error as Error).message ?? error)}`);
    });
  }
}
