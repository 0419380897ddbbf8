/**
 * The background checkpoint worker (piscina task, see Checkpointer in ./sqlite-durability.ts): one
 * connection per database file, kept for the thread's life, running a passive checkpoint.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/** A checkpoint of the file at `path`. */
export interface CheckpointTask {
  path: string;
  /** Close this thread's connection to the file instead (before the pool is destroyed). */
  close?: boolean;
}

/** SQLite's answer to `PRAGMA wal_checkpoint(PASSIVE)`. */
export interface CheckpointResult {
  /** 1 when the checkpoint could not run to completion because another connection held a lock. */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames copied into the database file (all of `log` when the checkpoint was complete). */
  checkpointed: number;
}

const require = createRequire(import.meta.url);
const connections = new Map<string, BetterSqlite3.Database>();

export default function checkpoint(task: CheckpointTask): CheckpointResult {
  let connection = connections.get(task.path);
  if (task.close) {
    connection?.close();
    connections.delete(task.path);
    return { busy: 0, log: 0, checkpointed: 0 };
  }
  if (connection === undefined) {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    connection = new Database(task.path, { fileMustExist: true });
    connection.pragma('busy_timeout = 10000');
    // NORMAL: the checkpoint syncs the WAL before copying and the database file after.
    connection.pragma('synchronous = NORMAL');
    connection.pragma('wal_autocheckpoint = 0');
    connections.set(task.path, connection);
  }
  const [row] = connection.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
  return row ?? { busy: 0, log: 0, checkpointed: 0 };
}
