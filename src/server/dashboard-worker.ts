/**
 * The dashboard's piscina task (./dashboard-snapshots.ts): computes per-class progress and
 * histograms and the worker table on the worker's own stores, opened from the workspace's database
 * location (a SQLite path: its own read connection, WAL lets it read while the server writes; a
 * PostgreSQL URL: its own small pool), so a large workspace never blocks the labelling routes.
 * Connections are kept for the thread's next task.
 */
import { createLabelStore } from '../label/index.ts';
import { connectStore, type SqlDatabase } from '../store/index.ts';
import { classProgress, workerRows, type DashboardClass } from './dashboard-data.ts';
import { createServerStore } from './sql-server-store.ts';
import type { ClassProgress, WorkerRow } from './types.ts';

/** One request: where the database is, and what to compute. */
export interface DashboardTask {
  /** A SQLite path or a PostgreSQL URL (with its password, if any: it never leaves the process). */
  location: string;
  /** PostgreSQL schema when the URL names none. */
  defaultSchema: string;
  classes: DashboardClass[];
  minAnswers: number;
  /** ISO time. */
  now: string;
  classIdx?: number;
}

/** What a task returns. */
export interface DashboardTables {
  classes: ClassProgress[];
  workers: WorkerRow[];
}

const connections = new Map<string, Promise<SqlDatabase>>();

/** The piscina entry. */
export default async function computeDashboard(task: DashboardTask): Promise<DashboardTables> {
  let opened = connections.get(task.location);
  if (!opened) {
    opened = connectStore(task.location, { defaultSchema: task.defaultSchema, maxConnections: 2 });
    connections.set(task.location, opened);
    opened.catch(() => connections.delete(task.location));
  }
  const db = await opened;
  const label = createLabelStore(db);
  const options = { now: new Date(task.now), minAnswers: task.minAnswers, ...(task.classIdx === undefined ? {} : { classIdx: task.classIdx }) };
  const classes = await classProgress(label, task.classes, options);
  const workers = task.classIdx === undefined ? await workerRows({ label, server: createServerStore(db) }) : [];
  return { classes, workers };
}
