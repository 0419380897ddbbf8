/**
 * Load helpers for a labelling workspace on PostgreSQL (the SQLite ones are bench/label-harness.ts):
 * a workspace in its own schema built through the product's stores (catalog images, label tasks,
 * invited labellers), a checker that compares acknowledged answers with the database through SQL on
 * the port, and the schema's removal.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ack } from '../../bench/label-harness.ts';
import { createWorkspace, workspaceStores } from '../../src/app/workspace-stores.ts';
import { sha1Hex } from '../../src/core/index.ts';
import type { NewTask } from '../../src/label/types.ts';
import { shownItems } from '../../src/server/image-tokens.ts';
import { inviteLabellers } from '../../src/server/index.ts';
import { connectStore } from '../../src/store/index.ts';
import { closeWorkspace } from '../../src/workspace/index.ts';

/** A load workspace on PostgreSQL. */
export interface PgLoadWorkspace {
  /** The workspace folder (retest.json names the database). */
  dir: string;
  /** The database URL with `?schema=`. */
  database: string;
  /** The schema holding the workspace's tables. */
  schema: string;
  /** Invite tokens of the labellers, as `retest labellers invite` issues them. */
  tokens: string[];
}

/** A workspace of `tasks` tasks × `itemsPerTask` items (10 classes, image rows without files) in a new schema of `url`. */
export async function buildPgLoadWorkspace(
  url: string,
  options: { tasks: number; itemsPerTask?: number; assignmentsWanted: number; labellers: number },
): Promise<PgLoadWorkspace> {
  const items = options.itemsPerTask ?? 12;
  const schema = `load_${process.pid}_${randomBytes(3).toString('hex')}`;
  const database = `${url}?schema=${schema}`;
  const dir = join(mkdtempSync(join(tmpdir(), 'retest-pg-load-')), 'ws');
  const classes = Array.from({ length: 10 }, (_, i) => ({
    index: i,
    id: `class${i}`,
    names: [`thing ${i}`],
    definition: `the ${i}th thing`,
    urls: [],
    hypernyms: [],
    similar: [],
  }));
  const ws = await createWorkspace(dir, { classes, database });
  try {
    const stores = workspaceStores(ws);
    const now = new Date().toISOString();
    const pool: string[][] = [];
    for (const c of classes) {
      const ids: string[] = [];
      for (let i = 0; i < items; i++) {
        const id = sha1Hex(`pg-load-${c.index}-${i}`);
        const path = `blobs/${id}.jpg`;
        await stores.catalog.addImage({
          id,
          role: i < items - 4 ? 'candidate' : 'reference',
          classIdx: c.index,
          source: 'bench',
          sourceId: id,
          url: null,
          keyword: null,
          sha256: id,
          exactDuplicateOf: null,
          originalPath: path,
          displayPath: path,
          squarePath: `blobs/${id}.png`,
          width: 500,
          height: 375,
          uploadedAt: null,
          takenAt: null,
          createdAt: now,
          format: 'jpeg',
          bytes: null,
        });
        ids.push(id);
      }
      pool.push(ids);
    }
    const tasks: NewTask[] = Array.from({ length: options.tasks }, (_, t) => ({
      id: randomBytes(8).toString('hex'),
      seq: t,
      classIdx: t % classes.length,
      kind: 'main',
      assignmentsWanted: options.assignmentsWanted,
      batch: 'load',
      createdAt: now,
      items: pool[t % classes.length]!.map((imageId, position) => ({
        imageId,
        role: position < items - 4 ? 'candidate' : position < items - 2 ? 'positive' : 'negative',
        token: randomBytes(16).toString('base64url'),
      })),
    }));
    await stores.label.addTasks(tasks);
    const names = Array.from({ length: options.labellers }, (_, i) => `load${i}`);
    const tokens = (await inviteLabellers(stores, names)).map((i) => i.token);
    return { dir, database, schema, tokens };
  } finally {
    await closeWorkspace(ws);
  }
}

/** What `checkPgAnswers` found. */
export interface PgCheck {
  /** Acknowledged answers missing from the database or stored differently from what was sent. */
  lost: number;
  /** Assignments acknowledged more than once as a first submission (a retry not seen as a repeat counts too). */
  ackedTwice: number;
  /** Answers beyond N, summed over the tasks over N. */
  overfull: number;
  /** (task, worker) pairs with more than one answered assignment. */
  workerTwice: number;
  /** Answered (submitted or approved) assignments in the database. */
  stored: number;
  /** Answered assignments per task, lowest and highest. */
  perTask: { min: number; max: number };
  /** Tasks in the workspace. */
  tasks: number;
  /** Assignments whose claim lapsed (status 'expired'). */
  expired: number;
}

/** Compares acknowledged answers (`acks`; `duplicateAcks`: retries answered as new) with the workspace's tables, through SQL. */
export async function checkPgAnswers(database: string, acks: readonly Ack[], duplicateAcks: number): Promise<PgCheck> {
  const db = await connectStore(database, { defaultSchema: 'unused' });
  try {
    const key = (await db.get<{ value: string }>("SELECT value FROM server_secrets WHERE key = 'image_key'"))!.value;
    const seen = new Map<string, number>();
    for (const ack of acks) seen.set(ack.assignment, (seen.get(ack.assignment) ?? 0) + 1);
    let lost = 0;
    for (const ack of acks) {
      const a = await db.get<{ status: string; task_id: string }>('SELECT status, task_id FROM assignments WHERE id = ?', [ack.assignment]);
      if (!a || !['submitted', 'approved'].includes(a.status)) {
        lost++;
        continue;
      }
      const items = await db.all<{ image_id: string; token: string }>('SELECT image_id, token FROM task_items WHERE task_id = ? ORDER BY position', [
        a.task_id,
      ]);
      const byItem = new Map(items.map((i) => [i.token, i.image_id]));
      const expected = new Set(
        shownItems(
          key,
          ack.assignment,
          items.map((i) => i.token),
        )
          .filter((s) => ack.selected.includes(s.token))
          .map((s) => byItem.get(s.itemToken)!),
      );
      const stored = await db.all<{ image_id: string; selected: number }>('SELECT image_id, selected FROM answers WHERE assignment_id = ?', [ack.assignment]);
      const got = new Set(stored.filter((r) => r.selected === 1).map((r) => r.image_id));
      if (stored.length !== items.length || got.size !== expected.size || [...expected].some((id) => !got.has(id))) lost++;
    }
    const perTask = await db.all<{ wanted: number; n: number }>(
      `SELECT t.assignments_wanted AS wanted, COUNT(a.id) AS n FROM tasks t
       LEFT JOIN assignments a ON a.task_id = t.id AND a.status IN ('submitted', 'approved') GROUP BY t.id, t.assignments_wanted`,
    );
    const workerTwice = await db.get<{ x: number }>(
      "SELECT COUNT(*) AS x FROM (SELECT task_id, worker_hash FROM assignments WHERE status IN ('submitted', 'approved') GROUP BY task_id, worker_hash HAVING COUNT(*) > 1) AS d",
    );
    const stored = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM assignments WHERE status IN ('submitted', 'approved')");
    const expired = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM assignments WHERE status = 'expired'");
    const counts = perTask.map((r) => r.n);
    return {
      lost,
      ackedTwice: duplicateAcks + [...seen.values()].filter((n) => n > 1).length,
      overfull: perTask.reduce((sum, r) => sum + Math.max(0, r.n - r.wanted), 0),
      workerTwice: workerTwice!.x,
      stored: stored!.n,
      perTask: { min: Math.min(...counts), max: Math.max(...counts) },
      tasks: perTask.length,
      expired: expired!.n,
    };
  } finally {
    await db.close();
  }
}

/** Drops the load workspace's schema (and everything in it). */
export async function dropPgSchema(url: string, schema: string): Promise<void> {
  const db = await connectStore(url, { defaultSchema: 'public' });
  try {
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await db.close();
  }
}
