/**
 * Worker-thread entry that computes the dashboard's tables (per-class progress and histograms, the
 * worker table) on its own read connection, so a large workspace never blocks the labelling
 * routes. Protocol: `{id, dbPath, minAnswers, now, classIdx?}` → `{id, classes, workers}` or
 * `{id, error}`.
 */
import { parentPort } from 'node:worker_threads';
import { openDatabase, type Db } from '../store/index.ts';
import { classProgress, workerRows } from './dashboard-data.ts';

interface Request { id: number; dbPath: string; minAnswers: number; now: string; classIdx?: number }

const port = parentPort;
if (port) {
  const connections = new Map<string, Db>();
  port.on('message', (message: Request) => {
    try {
      let db = connections.get(message.dbPath);
      if (!db) connections.set(message.dbPath, (db = openDatabase(message.dbPath)));
      const options = { now: new Date(message.now), minAnswers: message.minAnswers, ...(message.classIdx === undefined ? {} : { classIdx: message.classIdx }) };
      const classes = classProgress(db, options);
      const workers = message.classIdx === undefined ? workerRows(db) : [];
      port.postMessage({ id: message.id, classes, workers });
    } catch (error) {
      port.postMessage({ id: message.id, error: (error as Error).stack ?? String(error) });
    }
  });
}
