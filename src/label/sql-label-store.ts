/**
 * The labelling stage's store (`LabelStore`, ./types.ts) in portable SQL over the database port, on
 * SQLite and PostgreSQL alike. The live counts (`tasks.live_count`) are kept by the database
 * (label-002: SQLite triggers, PL/pgSQL trigger functions on PostgreSQL), so every write here only
 * changes assignments and workers. Claims on PostgreSQL lock the task they take with
 * `FOR UPDATE OF t SKIP LOCKED`: a concurrent claimer passes over it to the next task instead of
 * waiting, and re-reads `live_count` once the lock is released, so no task gets more than N.
 */
import { usageError } from '../core/index.ts';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from '../store/index.ts';
import { summarizeControls } from './control-accuracy.ts';
import { LabelError } from './errors.ts';
import { randomToken } from '../core/tokens.ts';
import { addSeconds, toIso } from './time.ts';
import { randomBytes } from 'node:crypto';
import type {
  AssignmentView,
  BatchSummary,
  ClassTaskCounts,
  TaskView,
  AssignmentControlAccuracy,
  AssignmentSource,
  AssignmentStatus,
  ClaimOptions,
  ControlAccuracyReport,
  ExportedTask,
  FrequencyOptions,
  ImageTally,
  ImportedAssignment,
  ItemRole,
  NewAdaptiveRound,
  PlannedItems,
  RecordReport,
  SelectionFrequency,
  ClaimedAssignment,
  ClaimedItem,
  Instant,
  LabelProgress,
  LabelStore,
  NewTask,
  SubmitOptions,
  SubmitResult,
  TaskKind,
  TaskSummary,
} from './types.ts';

const LIVE = "('open', 'submitted', 'approved')";

/** The label store on a migrated workspace database (the database stays open: the workspace owns it). */
export function createLabelStore(db: SqlDatabase): LabelStore {
  return new SqlLabelStore(db);
}

interface TaskRow extends SqlRow {
  id: string;
  seq: number;
  class_idx: number;
  kind: TaskKind;
}
interface AssignmentRow extends SqlRow {
  id: string;
  task_id: string;
  worker_hash: string;
  status: AssignmentStatus;
  expires_at: string | null;
}

class SqlLabelStore implements LabelStore {
  constructor(private readonly db: SqlDatabase) {}

  get backend() {
    return this.db.dialect;
  }

  get location() {
    return this.db.location;
  }

  async addTasks(tasks: readonly NewTask[]): Promise<number> {
    if (tasks.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      await tx.insertMany(
        'tasks',
        ['id', 'seq', 'class_idx', 'kind', 'assignments_wanted', 'batch', 'created_at'],
        tasks.map((t) => [t.id, t.seq, t.classIdx, t.kind, t.assignmentsWanted, t.batch, t.createdAt]),
      );
      await tx.insertMany(
        'task_items',
        ['task_id', 'position', 'image_id', 'role', 'token'],
        tasks.flatMap((t) => t.items.map((item, position) => [t.id, position, item.imageId, item.role, item.token] as SqlValue[])),
      );
      return tasks.length;
    });
  }

  async expireLapsed(now: Instant): Promise<number> {
    return expire(this.db, toIso(now));
  }

  async claim(options: ClaimOptions): Promise<ClaimedAssignment | null> {
    checkClaimOptions(options);
    const now = toIso(options.now);
    return this.db.transaction(async (tx) => {
      // One claim per worker at a time on PostgreSQL: two servers claiming for one worker at once
      // would each miss the other's new claim and open two tasks (or meet on one and break its
      // UNIQUE (task_id, worker_hash)). The second waits here, then finds the first's claim. SQLite
      // has one writer at a time anyway.
      if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7262711, hashtext(?)) AS locked', [options.workerHash]);
      const worker = await tx.get<{ status: string }>('SELECT status FROM label_workers WHERE worker_hash = ?', [options.workerHash]);
      if (worker?.status === 'rejected')
        throw new LabelError('worker-rejected', 'this worker was rejected and gets no more tasks', { record: options.workerHash });
      await expire(tx, now);
      const filter = claimFilter(options);
      const own = await openClaimOf(tx, options.workerHash, filter);
      if (own) return own;

      const mine = "NOT EXISTS (SELECT 1 FROM assignments mine WHERE mine.task_id = t.id AND mine.worker_hash = ? AND mine.status <> 'expired')";
      const full = options.assignmentsPerTask === undefined ? 't.live_count < t.assignments_wanted' : 't.live_count < ?';
      const select = `SELECT t.id, t.seq, t.class_idx, t.kind FROM tasks t WHERE ${full} AND ${mine} ${filter.where} ORDER BY t.seq LIMIT 1`;
      const selectParams = [...(options.assignmentsPerTask === undefined ? [] : [options.assignmentsPerTask]), options.workerHash, ...filter.params];
      const task = await nextTask(tx, select, selectParams);
      if (!task) return null;
      const expiresAt = addSeconds(now, options.ttlSeconds);
      const assignmentId = await openAssignment(tx, task.id, options.workerHash, { source: options.source ?? 'web', now, expiresAt });
      return {
        assignmentId,
        taskId: task.id,
        classIdx: task.class_idx,
        kind: task.kind,
        claimedAt: now,
        expiresAt,
        resumed: false,
        items: await itemsOf(tx, task.id),
      };
    });
  }

  async submit(options: SubmitOptions): Promise<SubmitResult> {
    if ((options.selectedTokens === undefined) === (options.selectedImageIds === undefined)) {
      throw usageError('give exactly one of selectedTokens and selectedImageIds', { field: 'selectedTokens' });
    }
    const now = toIso(options.now);
    const result = await this.db.transaction(async (tx): Promise<SubmitResult | undefined> => {
      const lock = tx.dialect === 'postgres' ? 'FOR UPDATE' : '';
      const a = await tx.get<AssignmentRow>(`SELECT id, task_id, worker_hash, status, expires_at FROM assignments WHERE id = ? ${lock}`, [
        options.assignmentId,
      ]);
      if (!a) throw new LabelError('not-found', 'no such assignment', { record: options.assignmentId, hint: 'claim a task first' });
      if (a.worker_hash !== options.workerHash)
        throw new LabelError('not-owner', 'this assignment was claimed by another worker', { record: options.assignmentId });
      if (a.status === 'submitted' || a.status === 'approved') {
        const counts = await tx.get<{ n: number; s: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(selected), 0) AS s FROM answers WHERE assignment_id = ?', [
          a.id,
        ]);
        return { assignmentId: a.id, status: a.status, answers: counts!.n, selected: counts!.s, repeated: true };
      }
      if (a.status === 'rejected') throw new LabelError('rejected', 'this assignment was rejected', { record: a.id });
      const worker = await tx.get<{ status: string }>('SELECT status FROM label_workers WHERE worker_hash = ?', [a.worker_hash]);
      if (worker?.status === 'rejected') throw new LabelError('worker-rejected', 'this worker was rejected', { record: a.id });
      if (a.status === 'expired' || (a.expires_at !== null && a.expires_at <= now)) {
        if (a.status === 'open') await tx.run("UPDATE assignments SET status = 'expired' WHERE id = ?", [a.id]);
        return undefined; // committed: the lapse is recorded, then refused below
      }
      const items = await tx.all<{ image_id: string; token: string }>('SELECT image_id, token FROM task_items WHERE task_id = ? ORDER BY position', [
        a.task_id,
      ]);
      const selected = selection(a.task_id, items, options);
      await tx.insertMany(
        'answers',
        ['assignment_id', 'image_id', 'selected'],
        items.map((i) => [a.id, i.image_id, selected.has(i.image_id) ? 1 : 0]),
      );
      await tx.run("UPDATE assignments SET status = 'submitted', submitted_at = ? WHERE id = ?", [now, a.id]);
      return { assignmentId: a.id, status: 'submitted', answers: items.length, selected: selected.size, repeated: false };
    });
    if (result === undefined) {
      throw new LabelError('expired', 'the claim on this assignment lapsed before it was submitted', {
        record: options.assignmentId,
        hint: 'claim a new task',
      });
    }
    return result;
  }

  async itemByToken(token: string): Promise<{ taskId: string; imageId: string; position: number } | undefined> {
    const row = await this.db.get<{ task_id: string; image_id: string; position: number }>(
      'SELECT task_id, image_id, position FROM task_items WHERE token = ?',
      [token],
    );
    return row ? { taskId: row.task_id, imageId: row.image_id, position: row.position } : undefined;
  }

  async setWorkerStatus(workerHash: string, status: 'approved' | 'rejected', options: { reason?: string; now?: Instant } = {}): Promise<void> {
    if (status !== 'approved' && status !== 'rejected') throw usageError('status must be approved or rejected', { field: 'status', received: String(status) });
    await this.db.run(
      `INSERT INTO label_workers (worker_hash, status, reason, updated_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT (worker_hash) DO UPDATE SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`,
      [workerHash, status, options.reason ?? null, toIso(options.now ?? new Date())],
    );
  }

  async setAssignmentStatus(ids: readonly string[], status: 'approved' | 'rejected'): Promise<{ changed: number; skipped: string[] }> {
    if (status !== 'approved' && status !== 'rejected') throw usageError('status must be approved or rejected', { field: 'status', received: String(status) });
    return this.db.transaction(async (tx) => {
      let changed = 0;
      const skipped: string[] = [];
      for (const id of ids) {
        const n = (await tx.run("UPDATE assignments SET status = ? WHERE id = ? AND status IN ('submitted', 'approved', 'rejected')", [status, id])).changes;
        if (n === 0) skipped.push(id);
        changed += n;
      }
      return { changed, skipped };
    });
  }

  async liveCounts(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ id: string; n: number }>('SELECT id, live_count AS n FROM tasks ORDER BY seq');
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  async countLive(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ id: string; n: number }>(
      `SELECT t.id, (SELECT COUNT(*) FROM assignments a LEFT JOIN label_workers w ON w.worker_hash = a.worker_hash
                     WHERE a.task_id = t.id AND a.status IN ${LIVE} AND (w.status IS NULL OR w.status <> 'rejected')) AS n
       FROM tasks t ORDER BY t.seq`,
    );
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  async frequencies(options: FrequencyOptions = {}): Promise<SelectionFrequency[]> {
    const minAnswers = options.minAnswers ?? 10;
    const params: SqlValue[] = [];
    let classFilter = '';
    if (options.classIdx !== undefined) {
      classFilter = 'AND a.task_id IN (SELECT id FROM tasks WHERE class_idx = ?)';
      params.push(options.classIdx);
    }
    // Counts per (task, image) first, then per (class, image); CASE instead of SQLite's boolean MAX, sums cast to integers.
    const rows = await this.db.all<{ imageId: string; classIdx: number; asCandidate: number; asPositive: number; answers: number; selected: number }>(
      `WITH per AS (
         SELECT a.task_id AS task_id, an.image_id AS image_id, COUNT(*) AS n, SUM(an.selected) AS s
         FROM assignments a
         LEFT JOIN label_workers w ON w.worker_hash = a.worker_hash
         JOIN answers an ON an.assignment_id = a.id
         WHERE a.status IN ('submitted', 'approved') AND (w.status IS NULL OR w.status <> 'rejected') ${classFilter}
         GROUP BY a.task_id, an.image_id)
       SELECT ti.image_id AS "imageId", t.class_idx AS "classIdx",
              MAX(CASE WHEN ti.role = 'candidate' THEN 1 ELSE 0 END) AS "asCandidate",
              MAX(CASE WHEN ti.role = 'positive' THEN 1 ELSE 0 END) AS "asPositive",
              CAST(SUM(per.n) AS BIGINT) AS answers, CAST(SUM(per.s) AS BIGINT) AS selected
       FROM per
       JOIN task_items ti ON ti.task_id = per.task_id AND ti.image_id = per.image_id
       JOIN tasks t ON t.id = per.task_id
       GROUP BY t.class_idx, ti.image_id
       HAVING SUM(per.n) >= ?`,
      [...params, minAnswers],
    );
    // Sorted here: PostgreSQL's text order follows its collation, SQLite's is by code point.
    rows.sort((a, b) => a.classIdx - b.classIdx || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
    const out: SelectionFrequency[] = [];
    for (const r of rows) {
      const role = r.asCandidate ? 'candidate' : r.asPositive ? 'reference' : 'negative';
      if (role === 'negative' && !options.includeNegatives) continue;
      out.push({
        imageId: r.imageId,
        classIdx: r.classIdx,
        role,
        answers: r.answers,
        selected: r.selected,
        frequency: r.answers > 0 ? r.selected / r.answers : 0,
      });
    }
    return out;
  }

  async controlAccuracy(): Promise<ControlAccuracyReport> {
    return this.db.transaction((tx) => readControls(tx), { mode: 'read' });
  }

  async rejectLowAccuracyWorkers(options: { minAccuracy: number; minControls?: number; now?: Instant }): Promise<string[]> {
    const minControls = options.minControls ?? 12;
    const now = toIso(options.now ?? new Date());
    return this.db.transaction(async (tx) => {
      const rejected: string[] = [];
      for (const w of (await readControls(tx)).workers) {
        if (w.status !== 'active' || w.accuracy === null || w.controls < minControls || w.accuracy >= options.minAccuracy) continue;
        await tx.run(
          `INSERT INTO label_workers (worker_hash, status, reason, updated_at) VALUES (?, 'rejected', ?, ?)
                      ON CONFLICT (worker_hash) DO UPDATE SET status = 'rejected', reason = excluded.reason, updated_at = excluded.updated_at`,
          [w.workerHash, `control accuracy ${w.accuracy.toFixed(3)} < ${options.minAccuracy} over ${w.controls} controls`, now],
        );
        rejected.push(w.workerHash);
      }
      return rejected;
    });
  }

  async progress(): Promise<LabelProgress> {
    return this.db.transaction(
      async (tx) => {
        const tasks = await tx.get<{ n: number; full_tasks: number }>(
          'SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN live_count >= assignments_wanted THEN 1 ELSE 0 END), 0) AS full_tasks FROM tasks',
        );
        const assignments: Record<AssignmentStatus, number> = { open: 0, submitted: 0, approved: 0, rejected: 0, expired: 0 };
        for (const r of await tx.all<{ status: AssignmentStatus; n: number }>('SELECT status, COUNT(*) AS n FROM assignments GROUP BY status'))
          assignments[r.status] = r.n;
        const answers = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM answers');
        const workers = { approved: 0, rejected: 0 };
        for (const r of await tx.all<{ status: 'approved' | 'rejected'; n: number }>('SELECT status, COUNT(*) AS n FROM label_workers GROUP BY status'))
          workers[r.status] = r.n;
        return { tasks: tasks!.n, fullTasks: tasks!.full_tasks, assignments, answers: answers!.n, workers };
      },
      { mode: 'read' },
    );
  }
  // ---- What the labelling server reads and writes besides claims and submissions (LabelServerReads;
  // issue 12, branch issue-12s). Kept together so that other additions merge beside it. ----

  // workerSalt: in the block below (task creation and imports use it too).

  async assignment(id: string): Promise<AssignmentView | undefined> {
    const a = await this.db.get<{
      id: string;
      worker_hash: string;
      status: AssignmentStatus;
      source: AssignmentSource;
      claimed_at: string | null;
      expires_at: string | null;
      task_id: string;
    }>('SELECT id, worker_hash, status, source, claimed_at, expires_at, task_id FROM assignments WHERE id = ?', [id]);
    if (!a) return undefined;
    const task = await this.task(a.task_id);
    return { id: a.id, workerHash: a.worker_hash, status: a.status, source: a.source, claimedAt: a.claimed_at, expiresAt: a.expires_at, task: task! };
  }

  async task(id: string): Promise<TaskView | undefined> {
    const t = await this.db.get<{ id: string; class_idx: number; kind: TaskKind; batch: string }>('SELECT id, class_idx, kind, batch FROM tasks WHERE id = ?', [
      id,
    ]);
    if (!t) return undefined;
    const items = await this.db.all<{ position: number; image_id: string; token: string }>(
      'SELECT position, image_id, token FROM task_items WHERE task_id = ? ORDER BY position',
      [id],
    );
    return {
      id: t.id,
      classIdx: t.class_idx,
      kind: t.kind,
      batch: t.batch,
      items: items.map((i) => ({ position: i.position, imageId: i.image_id, token: i.token })),
    };
  }

  async previewTask(batch: string, hitId: string): Promise<TaskView | undefined> {
    const row =
      (await this.db.get<{ id: string }>('SELECT id FROM tasks WHERE external_id = ? AND batch = ?', [hitId, batch])) ??
      (await this.db.get<{ id: string }>(
        'SELECT id FROM tasks WHERE batch = ? ORDER BY CASE WHEN live_count >= assignments_wanted THEN 1 ELSE 0 END, seq LIMIT 1',
        [batch],
      ));
    return row ? this.task(row.id) : undefined;
  }

  async workerStatus(workerHash: string): Promise<'approved' | 'rejected' | null> {
    return (await this.db.get<{ status: 'approved' | 'rejected' }>('SELECT status FROM label_workers WHERE worker_hash = ?', [workerHash]))?.status ?? null;
  }

  async releaseOpenClaims(workerHashes: readonly string[]): Promise<number> {
    if (workerHashes.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let n = 0;
      for (const hash of workerHashes)
        n += (await tx.run("UPDATE assignments SET status = 'expired' WHERE status = 'open' AND worker_hash = ?", [hash])).changes;
      return n;
    });
  }

  async batches(): Promise<BatchSummary[]> {
    const rows = await this.db.all<{ batch: string; tasks: number; created_at: string; last_seq: number }>(
      'SELECT batch, COUNT(*) AS tasks, MAX(created_at) AS created_at, MAX(seq) AS last_seq FROM tasks GROUP BY batch',
    );
    rows.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.last_seq - a.last_seq));
    return rows.map((r) => ({ batch: r.batch, tasks: r.tasks, createdAt: r.created_at }));
  }

  async classCounts(options: { now: Instant; classIdx?: number }): Promise<ClassTaskCounts[]> {
    const one = options.classIdx === undefined ? '' : 'AND t.class_idx = ?';
    const classParam = options.classIdx === undefined ? [] : [options.classIdx];
    return this.db.transaction(
      async (tx) => {
        const rows = await tx.all<{ class_idx: number; tasks: number; needed: number; done: number }>(
          `SELECT t.class_idx, COUNT(*) AS tasks, COALESCE(SUM(t.assignments_wanted), 0) AS needed,
                COALESCE(SUM(CASE WHEN COALESCE(v.n, 0) < t.assignments_wanted THEN COALESCE(v.n, 0) ELSE t.assignments_wanted END), 0) AS done
         FROM tasks t
         LEFT JOIN (SELECT a.task_id AS task_id, COUNT(*) AS n FROM assignments a LEFT JOIN label_workers w ON w.worker_hash = a.worker_hash
                    WHERE a.status IN ('submitted', 'approved') AND (w.status IS NULL OR w.status <> 'rejected') GROUP BY a.task_id) v ON v.task_id = t.id
         WHERE 1 = 1 ${one}
         GROUP BY t.class_idx`,
          classParam,
        );
        const open = new Map(
          (
            await tx.all<{ class_idx: number; n: number }>(
              `SELECT t.class_idx, COUNT(*) AS n FROM assignments a JOIN tasks t ON t.id = a.task_id
         WHERE a.status = 'open' AND (a.expires_at IS NULL OR a.expires_at > ?) ${one} GROUP BY t.class_idx`,
              [toIso(options.now), ...classParam],
            )
          ).map((r) => [r.class_idx, r.n]),
        );
        return rows
          .sort((a, b) => a.class_idx - b.class_idx)
          .map((r) => ({ classIdx: r.class_idx, tasks: r.tasks, needed: r.needed, done: r.done, open: open.get(r.class_idx) ?? 0 }));
      },
      { mode: 'read' },
    );
  }

  async answerSeconds(): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    for (const r of await this.db.all<{ worker_hash: string; claimed_at: string | null; submitted_at: string }>(
      "SELECT worker_hash, claimed_at, submitted_at FROM assignments WHERE submitted_at IS NOT NULL AND status IN ('submitted', 'approved', 'rejected')",
    )) {
      const seconds = (Date.parse(r.submitted_at) - Date.parse(r.claimed_at ?? '')) / 1000;
      if (!Number.isFinite(seconds)) continue;
      let list = out.get(r.worker_hash);
      if (!list) out.set(r.worker_hash, (list = []));
      list.push(Math.max(0, seconds));
    }
    return out;
  }

  // ── Task creation, imports and exports (see the block of the same name in ./types.ts). ──

  async plannedItems(): Promise<PlannedItems> {
    return this.db.transaction(
      async (tx) => {
        const tasked = await tx.all<{ image_id: string }>(
          "SELECT DISTINCT ti.image_id FROM task_items ti JOIN tasks t ON t.id = ti.task_id WHERE t.kind = 'main' AND ti.role = 'candidate'",
        );
        const planned = await tx.all<{ id: string; c: number; n: number }>(
          "SELECT ti.image_id AS id, t.class_idx AS c, CAST(SUM(t.assignments_wanted) AS BIGINT) AS n FROM task_items ti JOIN tasks t ON t.id = ti.task_id WHERE ti.role = 'positive' GROUP BY ti.image_id, t.class_idx",
        );
        const plannedReferenceAnswers = new Map<number, Map<string, number>>();
        for (const r of planned) {
          let m = plannedReferenceAnswers.get(r.c);
          if (!m) {
            m = new Map();
            plannedReferenceAnswers.set(r.c, m);
          }
          m.set(r.id, r.n);
        }
        return { taskedCandidates: new Set(tasked.map((r) => r.image_id)), plannedReferenceAnswers };
      },
      { mode: 'read' },
    );
  }

  async appendTasks(tasks: readonly Omit<NewTask, 'seq'>[]): Promise<number> {
    return this.db.transaction((tx) => appendTasks(tx, tasks));
  }

  async addAdaptiveRound(round: NewAdaptiveRound, tasks: readonly Omit<NewTask, 'seq' | 'batch'>[], batch: (round: number) => string): Promise<number> {
    return this.db.transaction(async (tx) => {
      // One round at a time: the round number is read and written under the lock (SQLite: the write lock of BEGIN IMMEDIATE).
      if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7262707)');
      const n = ((await tx.get<{ r: number | null }>('SELECT MAX(round) AS r FROM label_adaptive_rounds'))?.r ?? 0) + 1;
      await tx.run('INSERT INTO label_adaptive_rounds (round, created_at, budget, scheduled, params) VALUES (?, ?, ?, ?, ?)', [
        n,
        round.createdAt,
        round.budget,
        round.scheduled,
        round.params,
      ]);
      const label = batch(n);
      await appendTasks(
        tx,
        tasks.map((t) => ({ ...t, batch: label })),
      );
      await tx.insertMany(
        'label_adaptive_tasks',
        ['task_id', 'round'],
        tasks.map((t) => [t.id, n]),
      );
      return n;
    });
  }

  async adaptiveSpent(): Promise<number> {
    return (await this.db.get<{ s: number }>('SELECT CAST(COALESCE(SUM(scheduled), 0) AS BIGINT) AS s FROM label_adaptive_rounds'))!.s;
  }

  async tallies(): Promise<ImageTally[]> {
    const rows = await this.db.all<{ imageId: string; classIdx: number; answers: number; selected: number; waiting: number }>(
      `WITH per AS (
         SELECT a.task_id AS task_id, an.image_id AS image_id, COUNT(*) AS n, SUM(an.selected) AS s
         FROM assignments a LEFT JOIN label_workers w ON w.worker_hash = a.worker_hash JOIN answers an ON an.assignment_id = a.id
         WHERE ${VALID} GROUP BY a.task_id, an.image_id),
       valid AS (
         SELECT a.task_id AS task_id, COUNT(*) AS n FROM assignments a LEFT JOIN label_workers w ON w.worker_hash = a.worker_hash
         WHERE ${VALID} GROUP BY a.task_id)
       SELECT ti.image_id AS "imageId", t.class_idx AS "classIdx", CAST(COALESCE(SUM(per.n), 0) AS BIGINT) AS answers, CAST(COALESCE(SUM(per.s), 0) AS BIGINT) AS selected,
              MAX(CASE WHEN COALESCE(v.n, 0) < t.assignments_wanted THEN 1 ELSE 0 END) AS waiting
       FROM task_items ti JOIN tasks t ON t.id = ti.task_id
       LEFT JOIN per ON per.task_id = ti.task_id AND per.image_id = ti.image_id
       LEFT JOIN valid v ON v.task_id = t.id
       WHERE ti.role = 'candidate'
       GROUP BY ti.image_id, t.class_idx`,
    );
    rows.sort((a, b) => a.classIdx - b.classIdx || byCodeUnit(a.imageId, b.imageId));
    return rows.map((r) => ({ imageId: r.imageId, classIdx: r.classIdx, answers: r.answers, selected: r.selected, waiting: r.waiting === 1 }));
  }

  async workerSalt(): Promise<string> {
    const read = async () => (await this.db.get<{ value: string }>("SELECT value FROM label_settings WHERE key = 'worker_salt'"))?.value;
    const known = await read();
    if (known !== undefined) return known;
    await this.db.run("INSERT INTO label_settings (key, value) VALUES ('worker_salt', ?) ON CONFLICT (key) DO NOTHING", [randomBytes(32).toString('hex')]);
    // Another process may have won the race: every process uses the stored value.
    return (await read())!;
  }

  async recordAssignments(records: readonly ImportedAssignment[], now: Instant = new Date()): Promise<RecordReport> {
    const nowIso = toIso(now);
    return this.db.transaction(async (tx) => {
      const report: RecordReport = { inserted: 0, statusChanged: 0, unchanged: 0, answers: 0, conflicts: [] };
      const ids = records.map((r) => `${r.source}:${r.externalId}`);
      const known = await knownAssignments(tx, ids);
      const { items, workers } = await taskItemsAndWorkers(tx, [...new Set(records.map((r) => r.taskId))]);
      const newAssignments: SqlValue[][] = [];
      const newAnswers: SqlValue[][] = [];
      const statusChanges: { id: string; status: AssignmentStatus }[] = [];
      records.forEach((r, index) => {
        const externalId = ids[index]!;
        const seen = known.get(externalId);
        if (seen) {
          if (seen.status !== r.status) {
            statusChanges.push({ id: seen.id, status: r.status });
            seen.status = r.status;
            report.statusChanged++;
          } else report.unchanged++;
          return;
        }
        const other = workers.get(`${r.taskId}\u0000${r.workerHash}`);
        if (other !== undefined) {
          report.conflicts.push({ externalId: r.externalId, reason: `the worker already has assignment ${other} on task ${r.taskId}` });
          return;
        }
        const task = items.get(r.taskId);
        if (!task)
          throw new LabelError('not-found', 'no such task (or it has no items)', { record: r.externalId, field: 'task', received: JSON.stringify(r.taskId) });
        const selected = new Set<string>();
        for (const token of r.selectedTokens ?? []) {
          const id = task.byToken.get(token);
          if (id === undefined)
            throw new LabelError('bad-item', 'a selected token is not an item of this task', {
              record: r.externalId,
              field: 'selected',
              received: JSON.stringify(token),
            });
          selected.add(id);
        }
        for (const id of [...(r.selectedImageIds ?? []), ...(r.answeredImageIds ?? [])]) {
          if (!task.idSet.has(id))
            throw new LabelError('bad-item', 'an image is not an item of this task', { record: r.externalId, field: 'selected', received: JSON.stringify(id) });
        }
        for (const id of r.selectedImageIds ?? []) selected.add(id);
        const submittedAt = r.submittedAt ?? nowIso;
        newAssignments.push([externalId, r.taskId, r.workerHash, r.status, r.source, r.claimedAt ?? submittedAt, null, submittedAt, externalId]);
        known.set(externalId, { id: externalId, status: r.status });
        workers.set(`${r.taskId}\u0000${r.workerHash}`, externalId);
        const answered = r.answeredImageIds ? new Set(r.answeredImageIds) : null;
        for (const id of task.ids) {
          if (answered && !answered.has(id)) continue;
          newAnswers.push([externalId, id, selected.has(id) ? 1 : 0]);
        }
        report.inserted++;
      });
      await tx.insertMany(
        'assignments',
        ['id', 'task_id', 'worker_hash', 'status', 'source', 'claimed_at', 'expires_at', 'submitted_at', 'external_id'],
        newAssignments,
      );
      report.answers = await tx.insertMany('answers', ['assignment_id', 'image_id', 'selected'], newAnswers);
      for (const c of statusChanges) await tx.run('UPDATE assignments SET status = ? WHERE id = ?', [c.status, c.id]);
      return report;
    });
  }

  async taskTokens(taskIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const chunk of chunks([...new Set(taskIds)], 500)) {
      const rows = await this.db.all<{ task_id: string; token: string }>(
        `SELECT task_id, token FROM task_items WHERE task_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY task_id, position`,
        chunk,
      );
      for (const r of rows) {
        let list = out.get(r.task_id);
        if (!list) {
          list = [];
          out.set(r.task_id, list);
        }
        list.push(r.token);
      }
    }
    return out;
  }

  async tasksByExternalId(externalIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const chunk of chunks(
      [...new Set(externalIds)].filter((x) => x !== ''),
      500,
    )) {
      for (const r of await this.db.all<{ id: string; external_id: string }>(
        `SELECT id, external_id FROM tasks WHERE external_id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      ))
        out.set(r.external_id, r.id);
    }
    return out;
  }

  async linkExternalIds(links: readonly { taskId: string; externalId: string }[]): Promise<void> {
    if (links.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const l of links) {
        // A HITId already on another task is left there (UNIQUE); a task keeps its first HITId.
        const taken = await tx.get('SELECT 1 AS x FROM tasks WHERE external_id = ?', [l.externalId]);
        if (!taken) await tx.run('UPDATE tasks SET external_id = ? WHERE id = ? AND external_id IS NULL', [l.externalId, l.taskId]);
      }
    });
  }

  async taskItems(): Promise<{ taskId: string; imageId: string; classIdx: number; role: ItemRole }[]> {
    return this.db.all<{ taskId: string; imageId: string; classIdx: number; role: ItemRole }>(
      'SELECT ti.task_id AS "taskId", ti.image_id AS "imageId", t.class_idx AS "classIdx", ti.role AS role FROM task_items ti JOIN tasks t ON t.id = ti.task_id ORDER BY t.seq, ti.position',
    );
  }

  async exportTasks(options: { kind?: TaskKind; onlyOpen?: boolean } = {}): Promise<ExportedTask[]> {
    const filters: string[] = [];
    const params: SqlValue[] = [];
    if (options.kind) {
      filters.push('t.kind = ?');
      params.push(options.kind);
    }
    if (options.onlyOpen ?? true)
      filters.push("(SELECT COUNT(*) FROM assignments a WHERE a.task_id = t.id AND a.status IN ('submitted', 'approved')) < t.assignments_wanted");
    return this.db.transaction(
      async (tx) => {
        const tasks = await tx.all<{ id: string; kind: TaskKind; class_idx: number }>(
          `SELECT t.id, t.kind, t.class_idx FROM tasks t ${filters.length ? `WHERE ${filters.join(' AND ')}` : ''} ORDER BY t.seq`,
          params,
        );
        const out: ExportedTask[] = tasks.map((t) => ({ id: t.id, kind: t.kind, classIdx: t.class_idx, items: [] }));
        const byId = new Map(out.map((t) => [t.id, t]));
        for (const chunk of chunks(
          out.map((t) => t.id),
          500,
        )) {
          for (const r of await tx.all<{ task_id: string; token: string; image_id: string }>(
            `SELECT task_id, token, image_id FROM task_items WHERE task_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY task_id, position`,
            chunk,
          )) {
            byId.get(r.task_id)!.items.push({ token: r.token, imageId: r.image_id });
          }
        }
        return out;
      },
      { mode: 'read' },
    );
  }

  async taskSummary(): Promise<TaskSummary> {
    return this.db.transaction(
      async (tx) => {
        const tasks = await tx.all<{ kind: TaskKind; n: number; wanted: number }>(
          'SELECT kind, COUNT(*) AS n, CAST(SUM(assignments_wanted) AS BIGINT) AS wanted FROM tasks GROUP BY kind',
        );
        const assignments = await tx.all<{ status: AssignmentStatus; source: AssignmentSource; n: number }>(
          'SELECT status, source, COUNT(*) AS n FROM assignments GROUP BY status, source',
        );
        const complete = await tx.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM tasks t WHERE (SELECT COUNT(*) FROM assignments a WHERE a.task_id = t.id AND a.status IN ('submitted', 'approved')) >= t.assignments_wanted",
        );
        tasks.sort((a, b) => byCodeUnit(a.kind, b.kind));
        assignments.sort((a, b) => byCodeUnit(a.status, b.status) || byCodeUnit(a.source, b.source));
        return { tasks, assignments, complete: complete!.n };
      },
      { mode: 'read' },
    );
  }
}

const VALID = "a.status IN ('submitted', 'approved') AND (w.status IS NULL OR w.status <> 'rejected')";

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Appends tasks after the highest seq (read in this transaction); returns the first seq used. */
async function appendTasks(tx: SqlExecutor, tasks: readonly Omit<NewTask, 'seq'>[]): Promise<number> {
  // Two creators at once: PostgreSQL serialises them here (SQLite already holds its write lock).
  if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7262708)');
  const first = ((await tx.get<{ m: number | null }>('SELECT MAX(seq) AS m FROM tasks'))?.m ?? -1) + 1;
  if (tasks.length === 0) return first;
  await tx.insertMany(
    'tasks',
    ['id', 'seq', 'class_idx', 'kind', 'assignments_wanted', 'batch', 'created_at'],
    tasks.map((t, i) => [t.id, first + i, t.classIdx, t.kind, t.assignmentsWanted, t.batch, t.createdAt]),
  );
  await tx.insertMany(
    'task_items',
    ['task_id', 'position', 'image_id', 'role', 'token'],
    tasks.flatMap((t) => t.items.map((item, position) => [t.id, position, item.imageId, item.role, item.token] as SqlValue[])),
  );
  return first;
}

/** The assignments already stored under these external ids (an import run twice finds its rows). */
async function knownAssignments(tx: SqlExecutor, ids: readonly string[]): Promise<Map<string, { id: string; status: AssignmentStatus }>> {
  const known = new Map<string, { id: string; status: AssignmentStatus }>();
  for (const chunk of chunks([...new Set(ids)], 500)) {
    for (const row of await tx.all<{ id: string; external_id: string; status: AssignmentStatus }>(
      `SELECT id, external_id, status FROM assignments WHERE external_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    )) {
      known.set(row.external_id, { id: row.id, status: row.status });
    }
  }
  return known;
}

/** The tasks' items (in position order, by token and as a set) and their assignments keyed by task + worker. */
async function taskItemsAndWorkers(
  tx: SqlExecutor,
  taskIds: readonly string[],
): Promise<{ items: Map<string, { ids: string[]; byToken: Map<string, string>; idSet: Set<string> }>; workers: Map<string, string> }> {
  const items = new Map<string, { ids: string[]; byToken: Map<string, string>; idSet: Set<string> }>();
  const workers = new Map<string, string>(); // task + worker → assignment id
  for (const chunk of chunks(taskIds, 500)) {
    const marks = chunk.map(() => '?').join(', ');
    for (const row of await tx.all<{ task_id: string; image_id: string; token: string }>(
      `SELECT task_id, image_id, token FROM task_items WHERE task_id IN (${marks}) ORDER BY task_id, position`,
      chunk,
    )) {
      let t = items.get(row.task_id);
      if (!t) {
        t = { ids: [], byToken: new Map(), idSet: new Set() };
        items.set(row.task_id, t);
      }
      t.ids.push(row.image_id);
      t.byToken.set(row.token, row.image_id);
      t.idSet.add(row.image_id);
    }
    for (const row of await tx.all<{ id: string; task_id: string; worker_hash: string }>(
      `SELECT id, task_id, worker_hash FROM assignments WHERE task_id IN (${marks})`,
      chunk,
    )) {
      workers.set(`${row.task_id}\u0000${row.worker_hash}`, row.id);
    }
  }
  return { items, workers };
}

/**
 * The task a claim takes. SQLite: the first row (the write lock is held already). PostgreSQL: the
 * first row no other claimer holds (`SKIP LOCKED`); when every candidate is held, a claim must not
 * answer "no work" while a held task may still have a slot once its claimer commits, so it waits
 * for the first candidate's lock (plain `FOR UPDATE`, which re-reads the row's live count), and
 * tries again while an unlocked read still sees a candidate.
 */
/** A claim's TTL and N override must be positive; anything else is a usage error naming the field. */
function checkClaimOptions(options: ClaimOptions): void {
  if (!Number.isFinite(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw usageError('ttlSeconds must be a positive number', { field: 'ttlSeconds', received: String(options.ttlSeconds) });
  }
  if (options.assignmentsPerTask !== undefined && (!Number.isInteger(options.assignmentsPerTask) || options.assignmentsPerTask < 1)) {
    throw usageError('assignmentsPerTask must be a positive integer', { field: 'assignmentsPerTask', received: String(options.assignmentsPerTask) });
  }
}

/** The claim's optional task filters (kind, class, batch) as an `AND …` clause on `t` and its parameters. */
function claimFilter(options: ClaimOptions): { where: string; params: SqlValue[] } {
  const filters: string[] = [];
  const params: SqlValue[] = [];
  if (options.kind !== undefined) {
    filters.push('t.kind = ?');
    params.push(options.kind);
  }
  if (options.classIdx !== undefined) {
    filters.push('t.class_idx = ?');
    params.push(options.classIdx);
  }
  if (options.batch !== undefined) {
    filters.push('t.batch = ?');
    params.push(options.batch);
  }
  return { where: filters.length ? `AND ${filters.join(' AND ')}` : '', params };
}

/** The worker's own open claim that fits the filters (oldest first), resumed rather than a second one opened. */
async function openClaimOf(tx: SqlExecutor, workerHash: string, filter: { where: string; params: SqlValue[] }): Promise<ClaimedAssignment | null> {
  const own = await tx.get<{ id: string; task_id: string; claimed_at: string; expires_at: string; class_idx: number; kind: TaskKind }>(
    `SELECT a.id, a.task_id, a.claimed_at, a.expires_at, t.class_idx, t.kind FROM assignments a JOIN tasks t ON t.id = a.task_id
     WHERE a.worker_hash = ? AND a.status = 'open' ${filter.where} ORDER BY a.claimed_at, t.seq LIMIT 1`,
    [workerHash, ...filter.params],
  );
  if (!own) return null;
  return {
    assignmentId: own.id,
    taskId: own.task_id,
    classIdx: own.class_idx,
    kind: own.kind,
    claimedAt: own.claimed_at,
    expiresAt: own.expires_at,
    resumed: true,
    items: await itemsOf(tx, own.task_id),
  };
}

/** Opens the worker's assignment on `taskId`: a new row, or their lapsed one reopened (UNIQUE(task, worker)). */
async function openAssignment(tx: SqlExecutor, taskId: string, workerHash: string, at: { source: string; now: string; expiresAt: string }): Promise<string> {
  const lapsed = await tx.get<{ id: string }>("SELECT id FROM assignments WHERE task_id = ? AND worker_hash = ? AND status = 'expired'", [taskId, workerHash]);
  if (lapsed) {
    await tx.run("UPDATE assignments SET status = 'open', source = ?, claimed_at = ?, expires_at = ?, submitted_at = NULL WHERE id = ?", [
      at.source,
      at.now,
      at.expiresAt,
      lapsed.id,
    ]);
    return lapsed.id;
  }
  const assignmentId = randomToken();
  await tx.run("INSERT INTO assignments (id, task_id, worker_hash, status, source, claimed_at, expires_at) VALUES (?, ?, ?, 'open', ?, ?, ?)", [
    assignmentId,
    taskId,
    workerHash,
    at.source,
    at.now,
    at.expiresAt,
  ]);
  return assignmentId;
}

async function nextTask(tx: SqlExecutor, select: string, params: readonly SqlValue[]): Promise<TaskRow | undefined> {
  if (tx.dialect !== 'postgres') return tx.get<TaskRow>(select, params);
  for (;;) {
    const free = await tx.get<TaskRow>(`${select} FOR UPDATE OF t SKIP LOCKED`, params);
    if (free) return free;
    if (!(await tx.get<TaskRow>(select, params))) return undefined;
    const waited = await tx.get<TaskRow>(`${select} FOR UPDATE OF t`, params);
    if (waited) return waited;
  }
}

/** Control counts per answered assignment (as `controlAccuracy`), in portable SQL. */
async function readControls(ex: SqlExecutor): Promise<ControlAccuracyReport> {
  const rows = await ex.all<Omit<AssignmentControlAccuracy, 'accuracy'> & SqlRow>(
    `SELECT a.id AS "assignmentId", a.task_id AS "taskId", a.worker_hash AS "workerHash", a.status AS status,
            CAST(COALESCE(SUM(CASE WHEN ti.role = 'positive' THEN 1 ELSE 0 END), 0) AS BIGINT) AS positives,
            CAST(COALESCE(SUM(CASE WHEN ti.role = 'positive' AND an.selected = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS "positivesSelected",
            CAST(COALESCE(SUM(CASE WHEN ti.role = 'negative' THEN 1 ELSE 0 END), 0) AS BIGINT) AS negatives,
            CAST(COALESCE(SUM(CASE WHEN ti.role = 'negative' AND an.selected = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS "negativesSelected"
     FROM assignments a
     LEFT JOIN answers an ON an.assignment_id = a.id
     LEFT JOIN task_items ti ON ti.task_id = a.task_id AND ti.image_id = an.image_id
     WHERE a.status IN ('submitted', 'approved', 'rejected')
     GROUP BY a.id, a.task_id, a.worker_hash, a.status`,
  );
  const byCodePoint = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  rows.sort((x, y) => byCodePoint(x.workerHash, y.workerHash) || byCodePoint(x.assignmentId, y.assignmentId));
  const statuses = new Map(
    (await ex.all<{ worker_hash: string; status: 'approved' | 'rejected' }>('SELECT worker_hash, status FROM label_workers')).map((r) => [
      r.worker_hash,
      r.status,
    ]),
  );
  return summarizeControls(rows, statuses);
}

async function expire(ex: SqlExecutor, nowIso: string): Promise<number> {
  return (await ex.run("UPDATE assignments SET status = 'expired' WHERE status = 'open' AND expires_at IS NOT NULL AND expires_at <= ?", [nowIso])).changes;
}

async function itemsOf(ex: SqlExecutor, taskId: string): Promise<ClaimedItem[]> {
  return ex.all<ClaimedItem & SqlRow>('SELECT position, token FROM task_items WHERE task_id = ? ORDER BY position', [taskId]);
}

/** The selected image ids, checked against the task's items. */
function selection(taskId: string, items: readonly { image_id: string; token: string }[], options: SubmitOptions): Set<string> {
  const selected = new Set<string>();
  if (options.selectedTokens !== undefined) {
    const byToken = new Map(items.map((i) => [i.token, i.image_id]));
    for (const token of options.selectedTokens) {
      const id = byToken.get(token);
      if (id === undefined)
        throw new LabelError('bad-item', 'a selected token is not an item of this task', {
          record: taskId,
          field: 'selected',
          received: JSON.stringify(token),
        });
      selected.add(id);
    }
  } else {
    const ids = new Set(items.map((i) => i.image_id));
    for (const id of options.selectedImageIds ?? []) {
      if (!ids.has(id))
        throw new LabelError('bad-item', 'a selected image is not an item of this task', { record: taskId, field: 'selected', received: JSON.stringify(id) });
      selected.add(id);
    }
  }
  return selected;
}
