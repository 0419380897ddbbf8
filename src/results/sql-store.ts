/**
 * The results store (`ResultsStore`, ./types.ts) in portable SQL over the database port: the one
 * implementation, on SQLite and on PostgreSQL alike, and the only file with the results tables'
 * SQL (schema in ./schema.ts).
 *
 * Counts are kept, not recounted: each batch of predictions adds its correct counts to its run's
 * row in the transaction that writes the batch, so a run's counts always equal its rows, and
 * analyze/report read one row per run instead of a million predictions. Leases use the database's
 * clock and compare-and-set updates, so processes on several machines agree on who holds a run.
 */
import { dataError, ioError } from '../core/index.ts';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from '../store/index.ts';
import { archivedName, canonicalJson, configHash, datasetFingerprint } from './identity.ts';
import { ownerIsGone } from './owner.ts';
import type {
  DatasetInput,
  DatasetRecord,
  LeaseAnswer,
  PredictionRow,
  PublishedAccuracy,
  PublishedCounts,
  PublishedWriteSummary,
  RegisteredDataset,
  ResultsStore,
  RunCounts,
  RunInfo,
  RunOwner,
  RunProvenanceInput,
  RunRecord,
  RunScore,
  StoredPrediction,
} from './types.ts';

/**
 * Condition on a dataset row `d`: it is the current version of its named set. Analyses use only
 * runs on such rows, so a model evaluated on an old version of a file is never compared with
 * models evaluated on the new one.
 */
const CURRENT_VERSION = 'd.name = d.base_name';

const DATASET_COLUMNS = 'id, name, size, num_classes AS "numClasses", source, fingerprint, content_hash AS "contentHash", version';

const SCORE_SELECT = `SELECT r.id AS "runId", m.name AS model, d.base_name AS dataset, d.size AS n, r.images_per_second AS "imagesPerSecond",
    CASE WHEN d.content_hash IS NULL THEN NULL ELSE d.version END AS "datasetVersion",
    r.failed AS failed, r.top1_correct AS "top1Correct", r.top5_correct AS "top5Correct", r.short_topk AS "shortTopk"
  FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id`;

const PREDICTION_COLUMNS = ['run_id', 'idx', 'top1', 'topk', 'scores', 'logits', 'error'] as const;

const PUBLISHED_COLUMNS = [
  'model',
  'test_set',
  'n',
  'top1_correct',
  'top5_correct',
  'top1_accuracy',
  'top5_accuracy',
  'collection',
  'source_file',
  'source_line',
  'source_column',
  'units',
  'imported_at',
] as const;
const PUBLISHED_UPSERT = `ON CONFLICT (model, test_set) DO UPDATE SET n = excluded.n, top1_correct = excluded.top1_correct,
  top5_correct = excluded.top5_correct, top1_accuracy = excluded.top1_accuracy, top5_accuracy = excluded.top5_accuracy,
  collection = excluded.collection, source_file = excluded.source_file, source_line = excluded.source_line,
  source_column = excluded.source_column, units = excluded.units, imported_at = excluded.imported_at`;

/** The database's clock as an ISO time: one clock for every machine writing a PostgreSQL store. */
const NOW_SQL = {
  sqlite: "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS now",
  postgres: `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now`,
} as const;

/** Label arrays kept per dataset version, so a batch's counts need no query over its images. */
const LABEL_CACHE_SIZE = 8;

/** A dataset row as read (an interface needs the index signature of a row). */
type DatasetRow = DatasetRecord & SqlRow;

type ScoreRow = Omit<RunScore, 'top5Correct'> & { top5Correct: number; shortTopk: number };

/** The results store on an open database; closing the store closes the database. */
export function createResultsStore(db: SqlDatabase): ResultsStore {
  return new SqlResultsStore(db, db, new Map(), false);
}

class SqlResultsStore implements ResultsStore {
  constructor(
    private readonly db: SqlDatabase,
    /** Where statements go: the database, or the open transaction of `transaction`. */
    private readonly sql: SqlExecutor,
    /**
     * Labels by `${datasetId}:${fingerprint}`: a version's images never change, and an id reused
     * after a rolled-back insert comes with another fingerprint.
     */
    private readonly labelCache: Map<string, Int32Array>,
    private readonly inTransaction: boolean,
  ) {}

  get location(): string {
    return this.db.location;
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  async transaction<T>(fn: (store: ResultsStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction((tx) => fn(new SqlResultsStore(this.db, tx, this.labelCache, true)));
  }

  /** `fn` in the open transaction, or in a new one. */
  private atomically<T>(fn: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    return this.inTransaction ? fn(this.sql) : this.db.transaction(fn);
  }

  // ---- test sets

  async registerDataset(input: DatasetInput): Promise<RegisteredDataset> {
    const fingerprint = datasetFingerprint(input.images);
    const contentHash = input.contentHash ?? null;
    const now = new Date().toISOString();
    return this.atomically(async (sql): Promise<RegisteredDataset> => {
      // PostgreSQL: two processes registering one name wait for each other (SQLite's write lock does that already).
      await lockKey(sql, `dataset:${input.name}`);
      const existing = await datasetNamed(sql, input.name);
      if (!existing) return { ...(await this.insertDataset(sql, input, fingerprint, contentHash, 1, now)), changedFrom: null };
      const same = existing.fingerprint === fingerprint && existing.numClasses === input.numClasses;
      if (contentHash === null || existing.contentHash === null) {
        if (!same) {
          throw dataError(`test set "${input.name}" is already in the store with different images or labels`, {
            file: this.location,
            record: input.name,
            expected: `${existing.size} images from ${existing.source}`,
            received: `${input.images.length} images from ${input.source}`,
            hint: 'give this set another name (--name), or use another --db',
          });
        }
        // Imported predictions (no content) attach to the current version; a first evaluation
        // of a set known only from imports must match it and gives it its content.
        if (contentHash === null) return { ...existing, changedFrom: null };
        await sql.run('UPDATE datasets SET content_hash = ?, source = ? WHERE id = ?', [contentHash, input.source, existing.id]);
        return { ...existing, contentHash, source: input.source, changedFrom: null };
      }
      if (existing.contentHash === contentHash) return { ...existing, changedFrom: null };
      // Other content under this name: retire the current version, then bring back the version
      // with this content or add a new one.
      await sql.run('UPDATE datasets SET name = ? WHERE id = ?', [archivedName(input.name, existing.version), existing.id]);
      const earlier = await sql.get<DatasetRow>(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE base_name = ? AND content_hash = ?`, [input.name, contentHash]);
      if (earlier) {
        await sql.run('UPDATE datasets SET name = ?, source = ? WHERE id = ?', [input.name, input.source, earlier.id]);
        return { ...earlier, name: input.name, source: input.source, changedFrom: existing.version };
      }
      const last = await sql.get<{ v: number }>('SELECT MAX(version) AS v FROM datasets WHERE base_name = ?', [input.name]);
      return { ...(await this.insertDataset(sql, input, fingerprint, contentHash, (last?.v ?? existing.version) + 1, now)), changedFrom: existing.version };
    });
  }

  private async insertDataset(
    sql: SqlExecutor,
    input: DatasetInput,
    fingerprint: string,
    contentHash: string | null,
    version: number,
    now: string,
  ): Promise<DatasetRecord> {
    const row = await sql.get<{ id: number }>(
      'INSERT INTO datasets (name, base_name, size, num_classes, source, fingerprint, content_hash, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
      [input.name, input.name, input.images.length, input.numClasses, input.source, fingerprint, contentHash, version, now],
    );
    const id = row!.id;
    await sql.insertMany(
      'images',
      ['dataset_id', 'idx', 'image_id', 'label'],
      input.images.map((image, idx) => [id, idx, image.imageId, image.label]),
    );
    return { id, name: input.name, size: input.images.length, numClasses: input.numClasses, source: input.source, fingerprint, contentHash, version };
  }

  async checkInterruptedRun(input: {
    name: string;
    contentHash: string | null;
    modelId: number;
    config: Record<string, unknown>;
    restart?: boolean;
  }): Promise<void> {
    const current = await this.getDataset(input.name);
    if (!current || input.contentHash === null || current.contentHash === null || current.contentHash === input.contentHash) return;
    const row = await this.sql.get<{ id: number; done: number }>(
      "SELECT id, predicted AS done FROM runs WHERE model_id = ? AND dataset_id = ? AND config_hash = ? AND status = 'running'",
      [input.modelId, current.id, configHash(input.config)],
    );
    if (!row || row.done === 0) return;
    if (input.restart) {
      await this.deleteRun(row.id);
      return;
    }
    throw dataError(`the test set "${input.name}" changed since this model's run on it was interrupted`, {
      file: current.source,
      record: `run ${row.id}`,
      expected: `the content the run started on (version ${current.version}, sha256 ${current.contentHash.slice(0, 12)}…; ${row.done} of ${current.size} images already predicted)`,
      received: `other content (sha256 ${input.contentHash.slice(0, 12)}…)`,
      hint: 'put the files the run started on back to resume it, or pass --restart to discard its predictions and evaluate the new content',
    });
  }

  getDataset(name: string): Promise<DatasetRecord | undefined> {
    return datasetNamed(this.sql, name);
  }

  async listDatasets(): Promise<DatasetRecord[]> {
    const rows = await this.sql.all<DatasetRow>(`SELECT ${DATASET_COLUMNS} FROM datasets d WHERE ${CURRENT_VERSION}`);
    return rows.sort((a, b) => byText(a.name, b.name));
  }

  async labels(datasetId: number): Promise<Int32Array> {
    const rows = await this.sql.all<{ label: number }>('SELECT label FROM images WHERE dataset_id = ? ORDER BY idx', [datasetId]);
    return Int32Array.from(rows, (r) => r.label);
  }

  async imageIds(datasetId: number): Promise<string[]> {
    const rows = await this.sql.all<{ imageId: string }>('SELECT image_id AS "imageId" FROM images WHERE dataset_id = ? ORDER BY idx', [datasetId]);
    return rows.map((r) => r.imageId);
  }

  // ---- models and runs

  async registerModel(input: { name: string; kind: 'onnx' | 'imported'; path?: string; sha256?: string }): Promise<number> {
    // Twice at most: a name registered by another process between the look-up and the insert is found the second time.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const existing = await this.sql.get<{ id: number; kind: string; sha256: string | null; path: string | null }>(
        'SELECT id, kind, sha256, path FROM models WHERE name = ?',
        [input.name],
      );
      if (existing) {
        if (existing.kind !== input.kind || (input.sha256 !== undefined && existing.sha256 !== null && existing.sha256 !== input.sha256)) {
          throw dataError(`a different model named "${input.name}" is already in the store`, {
            file: this.location,
            record: input.name,
            expected: `${existing.kind} model ${existing.path ?? ''} (sha256 ${existing.sha256 ?? 'n/a'})`,
            received: `${input.kind} model ${input.path ?? ''} (sha256 ${input.sha256 ?? 'n/a'})`,
            hint: 'give it another name (--name)',
          });
        }
        return existing.id;
      }
      const inserted = await this.sql.get<{ id: number }>(
        'INSERT INTO models (name, kind, path, sha256, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id',
        [input.name, input.kind, input.path ?? null, input.sha256 ?? null, new Date().toISOString()],
      );
      if (inserted) return inserted.id;
    }
    throw new Error(`bug: model "${input.name}" neither found nor inserted in ${this.location}`);
  }

  async openRun(modelId: number, datasetId: number, config: Record<string, unknown>): Promise<RunRecord> {
    const json = canonicalJson(config);
    const hash = configHash(config);
    const find = () =>
      this.sql.get<{ id: number; modelId: number; datasetId: number; status: 'running' | 'done'; config: string }>(
        'SELECT id, model_id AS "modelId", dataset_id AS "datasetId", status, config FROM runs WHERE model_id = ? AND dataset_id = ? AND config_hash = ?',
        [modelId, datasetId, hash],
      );
    let row = await find();
    if (!row) {
      // Looked up first: on PostgreSQL an INSERT that meets a conflict still uses up an id.
      await this.sql.run(
        `INSERT INTO runs (model_id, dataset_id, config_hash, config, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)
         ON CONFLICT (model_id, dataset_id, config_hash) DO NOTHING`,
        [modelId, datasetId, hash, json, new Date().toISOString()],
      );
      row = await find();
    }
    if (!row) throw new Error(`bug: run of model ${modelId} on dataset ${datasetId} vanished from ${this.location}`);
    return { ...row, config: JSON.parse(row.config) as Record<string, unknown> };
  }

  async leaseRun(runId: number, owner: RunOwner): Promise<LeaseAnswer> {
    return this.atomically(async (sql): Promise<LeaseAnswer> => {
      const now = await databaseNow(sql);
      const row = await holderOf(sql, runId);
      if (!row) throw new RangeError(`no run ${runId} in ${this.location}`);
      if (row.owner !== null && row.owner !== owner.id && row.leaseUntil !== null && Date.parse(row.leaseUntil) > now && !ownerIsGone(row.owner)) {
        return { acquired: false, owner: row.owner, leaseUntil: row.leaseUntil };
      }
      // Compare-and-set on the holder and lease just read: a process that claimed or renewed the
      // run in between (another machine, on PostgreSQL) makes this change nothing.
      const until = leaseEnd(now, owner);
      const changed =
        row.owner === null
          ? await sql.run('UPDATE runs SET owner = ?, lease_until = ? WHERE id = ? AND owner IS NULL', [owner.id, until, runId])
          : row.leaseUntil === null
            ? await sql.run('UPDATE runs SET owner = ?, lease_until = ? WHERE id = ? AND owner = ? AND lease_until IS NULL', [
                owner.id,
                until,
                runId,
                row.owner,
              ])
            : await sql.run('UPDATE runs SET owner = ?, lease_until = ? WHERE id = ? AND owner = ? AND lease_until = ?', [
                owner.id,
                until,
                runId,
                row.owner,
                row.leaseUntil,
              ]);
      if (changed.changes === 1) return { acquired: true };
      const holder = await holderOf(sql, runId);
      return { acquired: false, owner: holder?.owner ?? 'another process', leaseUntil: holder?.leaseUntil ?? until };
    });
  }

  async releaseRun(runId: number, owner: RunOwner): Promise<void> {
    await this.sql.run('UPDATE runs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?', [runId, owner.id]);
  }

  async doneIndices(runId: number): Promise<Set<number>> {
    const rows = await this.sql.all<{ idx: number }>('SELECT idx FROM predictions WHERE run_id = ?', [runId]);
    return new Set(rows.map((r) => r.idx));
  }

  async writePredictions(runId: number, rows: readonly PredictionRow[], owner?: RunOwner): Promise<void> {
    await this.atomically(async (sql) => {
      if (owner) {
        const until = leaseEnd(await databaseNow(sql), owner);
        const renewed = await sql.run('UPDATE runs SET lease_until = ? WHERE id = ? AND owner = ?', [until, runId, owner.id]);
        if (renewed.changes === 0) {
          const holder = await holderOf(sql, runId);
          throw ioError(`another process took over run ${runId}`, {
            file: this.location,
            record: `run ${runId}`,
            received: holder?.owner ?? 'nobody',
            hint: 'this process stalled longer than its lease; the run goes on in the other process',
          });
        }
      }
      const counts = countBatch(rows, await this.labelsOfRun(sql, runId));
      // The rows first: a position written before fails the batch before its counts are added.
      await sql.insertMany(
        'predictions',
        PREDICTION_COLUMNS,
        rows.map((row) => predictionValues(runId, row)),
      );
      await sql.run(
        'UPDATE runs SET predicted = predicted + ?, failed = failed + ?, top1_correct = top1_correct + ?, top5_correct = top5_correct + ?, short_topk = short_topk + ? WHERE id = ?',
        [rows.length, counts.failed, counts.top1, counts.top5, counts.short, runId],
      );
    });
  }

  /** The labels of a run's dataset version, from the cache or read once. */
  private async labelsOfRun(sql: SqlExecutor, runId: number): Promise<Int32Array> {
    const run = await sql.get<{ datasetId: number; fingerprint: string }>(
      'SELECT r.dataset_id AS "datasetId", d.fingerprint FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?',
      [runId],
    );
    if (!run) throw new RangeError(`no run ${runId} in ${this.location}`);
    const key = `${run.datasetId}:${run.fingerprint}`;
    let labels = this.labelCache.get(key);
    if (labels === undefined) {
      const rows = await sql.all<{ label: number }>('SELECT label FROM images WHERE dataset_id = ? ORDER BY idx', [run.datasetId]);
      labels = Int32Array.from(rows, (r) => r.label);
      if (this.labelCache.size >= LABEL_CACHE_SIZE) this.labelCache.delete(this.labelCache.keys().next().value as string);
    } else {
      this.labelCache.delete(key); // most recently used last
    }
    this.labelCache.set(key, labels);
    return labels;
  }

  async finishRun(runId: number, imagesPerSecond: number | null): Promise<void> {
    await this.sql.run("UPDATE runs SET status = 'done', finished_at = ?, images_per_second = ?, owner = NULL, lease_until = NULL WHERE id = ?", [
      new Date().toISOString(),
      imagesPerSecond,
      runId,
    ]);
  }

  async runStatus(runId: number): Promise<'running' | 'done' | undefined> {
    return (await this.sql.get<{ status: 'running' | 'done' }>('SELECT status FROM runs WHERE id = ?', [runId]))?.status;
  }

  async deleteRun(runId: number): Promise<void> {
    await this.sql.run('DELETE FROM runs WHERE id = ?', [runId]);
  }

  async recordProvenance(runId: number, input: RunProvenanceInput): Promise<void> {
    await this.atomically(async (sql) => {
      const row = await sql.get<{ providers: string | null; versions: string | null }>('SELECT providers, retest_versions AS versions FROM runs WHERE id = ?', [
        runId,
      ]);
      if (!row) throw new RangeError(`no run ${runId} in ${this.location}`);
      const add = (json: string | null, value: string) => {
        const list = json ? (JSON.parse(json) as string[]) : [];
        return list.includes(value) ? null : JSON.stringify([...list, value]);
      };
      const providers = add(row.providers, input.provider);
      const versions = add(row.versions, input.retestVersion);
      if (providers === null && versions === null) return;
      await sql.run('UPDATE runs SET providers = ?, retest_versions = ? WHERE id = ?', [providers ?? row.providers, versions ?? row.versions, runId]);
    });
  }

  async listRuns(filter: { model?: string; dataset?: string } = {}): Promise<RunInfo[]> {
    const rows = await this.sql.all<{
      runId: number;
      status: 'running' | 'done';
      model: string;
      modelPath: string | null;
      modelSha256: string | null;
      dataset: string;
      baseName: string;
      datasetVersion: number;
      datasetContentHash: string | null;
      n: number;
      predicted: number;
      top1Correct: number;
      config: string;
      providers: string | null;
      retestVersions: string | null;
      startedAt: string;
      finishedAt: string | null;
      imagesPerSecond: number | null;
    }>(
      `SELECT r.id AS "runId", r.status, m.name AS model, m.path AS "modelPath", m.sha256 AS "modelSha256", d.name AS dataset, d.base_name AS "baseName",
         d.version AS "datasetVersion", d.content_hash AS "datasetContentHash", d.size AS n, r.predicted, r.top1_correct AS "top1Correct", r.config,
         r.providers, r.retest_versions AS "retestVersions", r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.images_per_second AS "imagesPerSecond"
       FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id ORDER BY r.id`,
    );
    return rows
      .filter(
        (r) =>
          (filter.model === undefined || r.model === filter.model) &&
          (filter.dataset === undefined || r.baseName === filter.dataset || r.dataset === filter.dataset),
      )
      .map(({ baseName: _base, config, providers, retestVersions, ...r }) => {
        const parsed = JSON.parse(config) as Record<string, unknown>;
        const preprocessing = parsed.preprocessing && typeof parsed.preprocessing === 'object' ? (parsed.preprocessing as Record<string, unknown>) : null;
        return {
          ...r,
          config: parsed,
          preprocessing,
          providers: providers ? (JSON.parse(providers) as string[]) : [],
          retestVersions: retestVersions ? (JSON.parse(retestVersions) as string[]) : [],
        };
      });
  }

  // ---- reading results

  async predictions(runId: number): Promise<StoredPrediction[]> {
    const rows = await this.sql.all<{ idx: number; topk: string | null; scores: string | null; error: string | null; logits: Buffer | null }>(
      'SELECT idx, topk, scores, error, logits FROM predictions WHERE run_id = ? ORDER BY idx',
      [runId],
    );
    return rows.map((r) => ({
      idx: r.idx,
      topk: r.topk ? (JSON.parse(r.topk) as number[]) : [],
      scores: r.scores ? (JSON.parse(r.scores) as number[]) : null,
      error: r.error,
      // A copy: the driver's buffer need not be aligned for a Float32Array view.
      logits: r.logits ? new Float32Array(r.logits.buffer.slice(r.logits.byteOffset, r.logits.byteOffset + r.logits.byteLength)) : null,
    }));
  }

  async correctness(runId: number, k: 1 | 5 = 1): Promise<Uint8Array> {
    const labels = await this.labelsOfRun(this.sql, runId);
    const out = new Uint8Array(labels.length);
    if (k === 1) {
      // `top1` is the first stored class (NULL for a failed image): no JSON to parse.
      for (const p of await this.sql.all<{ idx: number; top1: number | null }>('SELECT idx, top1 FROM predictions WHERE run_id = ?', [runId])) {
        if (p.idx >= 0 && p.idx < out.length && p.top1 === labels[p.idx]) out[p.idx] = 1;
      }
      return out;
    }
    for (const p of await this.sql.all<{ idx: number; topk: string | null }>('SELECT idx, topk FROM predictions WHERE run_id = ?', [runId])) {
      const label = labels[p.idx];
      if (label !== undefined && p.topk && (JSON.parse(p.topk) as number[]).slice(0, 5).includes(label)) out[p.idx] = 1;
    }
    return out;
  }

  async score(runId: number): Promise<RunScore> {
    const row = await this.sql.get<ScoreRow>(`${SCORE_SELECT} WHERE r.id = ?`, [runId]);
    if (!row) throw new RangeError(`no run ${runId} in ${this.location}`);
    return scoreOf(row);
  }

  async listScores(): Promise<RunScore[]> {
    const rows = await this.sql.all<ScoreRow>(`${SCORE_SELECT} WHERE r.status = 'done' AND ${CURRENT_VERSION} ORDER BY r.id`);
    return rows.map(scoreOf);
  }

  async counts(testSets?: readonly string[]): Promise<RunCounts[]> {
    const rows = await this.sql.all<{ runId: number; model: string; testSet: string; n: number; top1Correct: number; top5Correct: number; shortTopk: number }>(
      `SELECT r.id AS "runId", m.name AS model, d.name AS "testSet", d.size AS n, r.top1_correct AS "top1Correct", r.top5_correct AS "top5Correct", r.short_topk AS "shortTopk"
       FROM (SELECT MAX(r.id) AS id FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.status = 'done' AND ${CURRENT_VERSION} GROUP BY r.model_id, r.dataset_id) latest
       JOIN runs r ON r.id = latest.id JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id`,
    );
    return rows
      .filter((r) => !testSets || testSets.includes(r.testSet))
      .sort((a, b) => byText(a.testSet, b.testSet) || byText(a.model, b.model))
      .map((r) => ({
        model: r.model,
        testSet: r.testSet,
        n: r.n,
        top1Correct: r.top1Correct,
        top5Correct: r.shortTopk > 0 ? null : r.top5Correct,
        source: 'store' as const,
        runId: r.runId,
      }));
  }

  async latestRun(model: string, testSet: string): Promise<number | undefined> {
    const row = await this.sql.get<{ id: number | null }>(
      `SELECT MAX(r.id) AS id FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id
       WHERE r.status = 'done' AND m.name = ? AND d.name = ?`,
      [model, testSet],
    );
    return row?.id ?? undefined;
  }

  // ---- published accuracy tables

  async writePublishedAccuracies(rows: readonly PublishedAccuracy[], options: { replace?: boolean; now?: string } = {}): Promise<PublishedWriteSummary> {
    const now = options.now ?? new Date().toISOString();
    return this.atomically(async (sql) => {
      const stored = new Set(
        (await sql.all<{ model: string; testSet: string }>('SELECT model, test_set AS "testSet" FROM published_accuracies')).map((r) => keyOf(r)),
      );
      // One row per (model, test set): the first of the call without `replace`, the last with it.
      const write = new Map<string, PublishedAccuracy>();
      const skipped: PublishedAccuracy[] = [];
      for (const row of rows) {
        const key = keyOf(row);
        if (!options.replace && (stored.has(key) || write.has(key))) skipped.push(row);
        else write.set(key, row);
      }
      const values = [...write.values()].map((r): SqlValue[] => [
        r.model,
        r.testSet,
        r.n,
        r.top1Correct,
        r.top5Correct,
        r.top1Accuracy,
        r.top5Accuracy,
        r.collection,
        r.sourceFile,
        r.sourceLine,
        r.sourceColumn,
        r.units,
        now,
      ]);
      await sql.insertMany('published_accuracies', PUBLISHED_COLUMNS, values, PUBLISHED_UPSERT);
      const perImage = new Set(
        (await sql.all<{ name: string }>("SELECT DISTINCT m.name AS name FROM runs r JOIN models m ON m.id = r.model_id WHERE r.status = 'done'")).map(
          (r) => r.name,
        ),
      );
      const shadowed = [...new Set(rows.map((r) => r.model))].filter((m) => perImage.has(m)).sort(byText);
      return { imported: values.length, skipped, shadowed };
    });
  }

  async publishedCounts(testSets?: readonly string[]): Promise<PublishedCounts[]> {
    const rows = await this.sql.all<{ model: string; testSet: string; n: number; top1Correct: number; top5Correct: number | null; collection: string }>(
      'SELECT model, test_set AS "testSet", n, top1_correct AS "top1Correct", top5_correct AS "top5Correct", collection FROM published_accuracies',
    );
    return rows
      .filter((r) => !testSets || testSets.includes(r.testSet))
      .sort((a, b) => byText(a.testSet, b.testSet) || byText(a.model, b.model))
      .map((r) => ({ ...r, source: 'table' as const }));
  }

  async close(): Promise<void> {
    if (this.inTransaction) throw new Error('bug: close() called on the store of an open transaction');
    await this.db.close();
  }
}

function datasetNamed(sql: SqlExecutor, name: string): Promise<DatasetRecord | undefined> {
  return sql.get<DatasetRow>(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE name = ?`, [name]);
}

function holderOf(sql: SqlExecutor, runId: number): Promise<{ owner: string | null; leaseUntil: string | null } | undefined> {
  return sql.get<{ owner: string | null; leaseUntil: string | null }>('SELECT owner, lease_until AS "leaseUntil" FROM runs WHERE id = ?', [runId]);
}

/** PostgreSQL: a lock on `key` held until the transaction ends. SQLite: the write lock is held already. */
async function lockKey(sql: SqlExecutor, key: string): Promise<void> {
  if (sql.dialect === 'postgres') await sql.get('SELECT pg_advisory_xact_lock(7262710, hashtext(?)) AS locked', [key]);
}

async function databaseNow(sql: SqlExecutor): Promise<number> {
  const row = await sql.get<{ now: string }>(NOW_SQL[sql.dialect]);
  const ms = Date.parse(row?.now ?? '');
  if (!Number.isFinite(ms)) throw new Error(`bug: the database clock answered ${JSON.stringify(row?.now)}`);
  return ms;
}

function leaseEnd(nowMs: number, owner: RunOwner): string {
  return new Date(nowMs + owner.leaseSeconds * 1000).toISOString();
}

/**
 * What one batch adds to its run's counts. The rules the counts have always had: a failed image is
 * wrong; top-1 is the first stored class; top-5 looks at the first 5; an image with fewer than 5
 * stored classes leaves top-5 unknown for the run.
 */
export function countBatch(rows: readonly PredictionRow[], labels: Int32Array): { failed: number; top1: number; top5: number; short: number } {
  let failed = 0,
    top1 = 0,
    top5 = 0,
    short = 0;
  for (const row of rows) {
    if (row.error !== null) {
      failed++;
      continue;
    }
    if (row.topk.length === 0) continue;
    const label = labels[row.idx];
    if (row.topk[0] === label) top1++;
    const k = Math.min(5, row.topk.length);
    for (let j = 0; j < k; j++) {
      if (row.topk[j] === label) {
        top5++;
        break;
      }
    }
    if (row.topk.length < 5) short++;
  }
  return { failed, top1, top5, short };
}

function predictionValues(runId: number, row: PredictionRow): SqlValue[] {
  const logits = row.logits ? Buffer.from(row.logits.buffer, row.logits.byteOffset, row.logits.byteLength) : null;
  return [
    runId,
    row.idx,
    row.topk.length > 0 ? row.topk[0]! : null,
    row.topk.length > 0 ? JSON.stringify(row.topk) : null,
    row.scores ? JSON.stringify(row.scores.map((s) => Math.fround(s))) : null,
    logits,
    row.error,
  ];
}

function scoreOf(row: ScoreRow): RunScore {
  const { shortTopk, ...score } = row;
  return { ...score, top5Correct: shortTopk > 0 ? null : row.top5Correct };
}

function keyOf(row: { model: string; testSet: string }): string {
  return `${row.model}\u0000${row.testSet}`;
}

/** Code-unit order, the same on both backends (a PostgreSQL collation may order text otherwise). */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
