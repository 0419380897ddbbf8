/**
 * Reads and writes the results store (schema in `schema.ts`). Every write that belongs together
 * happens in one transaction, so a killed process leaves either all of a batch or none of it.
 */
import { hostname } from 'node:os';
import { dataError, ioError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { openDatabase, type Db } from './sqlite.ts';
import { resultsMigrations } from './schema.ts';

export interface DatasetRecord {
  id: number;
  name: string;
  size: number;
  numClasses: number;
  source: string;
  /** sha256 over the (image id, label) sequence. */
  fingerprint: string;
  /** Content hash of this version (ids, labels and every image's pixels or bytes); null when registered without its images (imports). */
  contentHash: string | null;
  /** Number of this version of the named set (1 for the first content seen under the name). */
  version: number;
}

/** `registerDataset`'s answer: the record, and the version that was current before when the content changed. */
export interface RegisteredDataset extends DatasetRecord {
  /** The version that was current before this registration when the content differs from it (a changed file); else null. */
  changedFrom: number | null;
}

/** Who works on a run: "host:pid". */
export interface RunOwner {
  /** This process's id, "host:pid". */
  id: string;
  /** Seconds a claim lasts without a write (renewed with every batch). */
  leaseSeconds: number;
}

export interface ImageLabel {
  /** Stable id of the image (file stem, or the record index as text for arrays). */
  imageId: string;
  /** Class index. */
  label: number;
}

export interface RunRecord {
  id: number;
  modelId: number;
  datasetId: number;
  status: 'running' | 'done';
  config: Record<string, unknown>;
}

export interface PredictionRow {
  /** Image position in the dataset. */
  idx: number;
  /** Class indices, best first; empty when the image failed. */
  topk: readonly number[];
  /** Scores of `topk`, or null when unknown (imported top-k). */
  scores: readonly number[] | null;
  /** Full logits, only with --save-logits. */
  logits?: Float32Array | null;
  /** Why the image failed; null when it did not. */
  error: string | null;
}

export interface RunScore {
  runId: number;
  model: string;
  dataset: string;
  /** Images in the dataset. */
  n: number;
  /** Images that failed (unreadable); they count as wrong. */
  failed: number;
  top1Correct: number;
  /** Null when fewer than 5 classes were stored per image. */
  top5Correct: number | null;
  imagesPerSecond: number | null;
  /** Version of the test set's content the run read (see `registerDataset`); null when that content is unknown (imports). */
  datasetVersion: number | null;
}

/** The owner id of this process. */
export function thisProcess(leaseSeconds = 60): RunOwner {
  return { id: `${hostname()}:${process.pid}`, leaseSeconds };
}

/** Whether the process behind an owner id is certainly gone (same host, no such pid). */
function ownerIsGone(owner: string): boolean {
  const at = owner.lastIndexOf(':');
  if (at < 0 || owner.slice(0, at) !== hostname()) return false;
  const pid = Number(owner.slice(at + 1));
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}

/** sha256 over the (image id, label) sequence: two sets with the same fingerprint are the same test set. */
export function datasetFingerprint(images: readonly ImageLabel[]): string {
  return sha256Hex(images.map((image) => `${image.imageId}\t${image.label}`).join('\n'));
}

/** Canonical JSON (sorted keys) so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const DATASET_COLUMNS = 'id, name, size, num_classes AS numClasses, source, fingerprint, content_hash AS contentHash, version';

/** The name a version keeps once another content became current. */
export function archivedName(name: string, version: number): string {
  return `${name}@v${version}`;
}

export class ResultsStore {
  readonly db: Db;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.db = openDatabase(path, resultsMigrations);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Registers a test set, or returns the one already registered under that name.
   *
   * Without `contentHash` (imports: labels only) the same name with other ids or labels is refused:
   * results would silently mix two test sets. With it (`retest eval`: ids, labels and every image's
   * pixels or bytes), other content under a known name is a new version of the set: the version
   * that was current is renamed `<name>@v<version>` with its runs, and the new content becomes
   * the current `<name>`, evaluated afresh. Content seen before becomes current again, with its runs.
   */
  registerDataset(input: { name: string; source: string; numClasses: number; images: readonly ImageLabel[]; contentHash?: string | null }): RegisteredDataset {
    const fingerprint = datasetFingerprint(input.images);
    const contentHash = input.contentHash ?? null;
    const now = new Date().toISOString();
    return this.db.transaction((): RegisteredDataset => {
      const existing = this.getDataset(input.name);
      if (existing) {
        const same = existing.fingerprint === fingerprint && existing.numClasses === input.numClasses;
        if (contentHash === null || existing.contentHash === null) {
          if (!same) {
            throw dataError(`test set "${input.name}" is already in the store with different images or labels`, {
              file: this.path,
              record: input.name,
              expected: `${existing.size} images from ${existing.source}`,
              received: `${input.images.length} images from ${input.source}`,
              hint: 'give this set another name (--name), or use another --db',
            });
          }
          // Imported predictions (no content) attach to the current version; a first evaluation
          // of a set known only from imports must match it and gives it its content.
          if (contentHash !== null) this.db.prepare('UPDATE datasets SET content_hash = ?, source = ? WHERE id = ?').run(contentHash, input.source, existing.id);
          return { ...existing, ...(contentHash !== null ? { contentHash, source: input.source } : {}), changedFrom: null };
        }
        if (existing.contentHash === contentHash) return { ...existing, changedFrom: null };
        // Other content under this name: retire the current version, then bring back the version
        // with this content or add a new one.
        this.db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(archivedName(input.name, existing.version), existing.id);
        const earlier = this.db.prepare(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE base_name = ? AND content_hash = ?`).get(input.name, contentHash) as DatasetRecord | undefined;
        if (earlier) {
          this.db.prepare('UPDATE datasets SET name = ?, source = ? WHERE id = ?').run(input.name, input.source, earlier.id);
          return { ...earlier, name: input.name, source: input.source, changedFrom: existing.version };
        }
        const last = this.db.prepare('SELECT MAX(version) AS v FROM datasets WHERE base_name = ?').get(input.name) as { v: number };
        return { ...this.insertDataset(input, fingerprint, contentHash, last.v + 1, now), changedFrom: existing.version };
      }
      return { ...this.insertDataset(input, fingerprint, contentHash, 1, now), changedFrom: null };
    }).immediate();
  }

  private insertDataset(input: { name: string; source: string; numClasses: number; images: readonly ImageLabel[] }, fingerprint: string, contentHash: string | null, version: number, now: string): DatasetRecord {
    const info = this.db
      .prepare('INSERT INTO datasets (name, base_name, size, num_classes, source, fingerprint, content_hash, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(input.name, input.name, input.images.length, input.numClasses, input.source, fingerprint, contentHash, version, now);
    const id = Number(info.lastInsertRowid);
    const insert = this.db.prepare('INSERT INTO images (dataset_id, idx, image_id, label) VALUES (?, ?, ?, ?)');
    input.images.forEach((image, idx) => insert.run(id, idx, image.imageId, image.label));
    return { id, name: input.name, size: input.images.length, numClasses: input.numClasses, source: input.source, fingerprint, contentHash, version };
  }

  /**
   * Refuses to leave behind, unnoticed, an interrupted run when a set's content changed: when the
   * current version of `name` has other content than `contentHash` and holds an unfinished run of
   * this model and config with predictions, resuming would need the old files back. `restart`
   * deletes that run instead. Call before `registerDataset` (nothing is changed when it throws).
   */
  checkInterruptedRun(input: { name: string; contentHash: string | null; modelId: number; config: Record<string, unknown>; restart?: boolean }): void {
    const current = this.getDataset(input.name);
    if (!current || input.contentHash === null || current.contentHash === null || current.contentHash === input.contentHash) return;
    const row = this.db
      .prepare("SELECT id, (SELECT COUNT(*) FROM predictions p WHERE p.run_id = runs.id) AS done FROM runs WHERE model_id = ? AND dataset_id = ? AND config_hash = ? AND status = 'running'")
      .get(input.modelId, current.id, sha256Hex(canonicalJson(input.config))) as { id: number; done: number } | undefined;
    if (!row || row.done === 0) return;
    if (input.restart) {
      this.deleteRun(row.id);
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

  getDataset(name: string): DatasetRecord | undefined {
    const row = this.db.prepare(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE name = ?`).get(name) as
      | DatasetRecord
      | undefined;
    return row;
  }

  listDatasets(): DatasetRecord[] {
    return this.db.prepare(`SELECT ${DATASET_COLUMNS} FROM datasets WHERE name = base_name ORDER BY name`).all() as DatasetRecord[];
  }

  /** Labels in dataset order. */
  labels(datasetId: number): Int32Array {
    const rows = this.db.prepare('SELECT label FROM images WHERE dataset_id = ? ORDER BY idx').raw().all(datasetId) as [number][];
    return Int32Array.from(rows, (r) => r[0]);
  }

  imageIds(datasetId: number): string[] {
    return (this.db.prepare('SELECT image_id FROM images WHERE dataset_id = ? ORDER BY idx').raw().all(datasetId) as [string][]).map((r) => r[0]);
  }

  /**
   * Registers a model by name. An ONNX model whose file changed (other sha256) under a known name
   * is refused rather than mixed with the old file's results.
   */
  registerModel(input: { name: string; kind: 'onnx' | 'imported'; path?: string; sha256?: string }): number {
    const existing = this.db.prepare('SELECT id, kind, sha256, path FROM models WHERE name = ?').get(input.name) as
      | { id: number; kind: string; sha256: string | null; path: string | null }
      | undefined;
    if (existing) {
      if (existing.kind !== input.kind || (input.sha256 !== undefined && existing.sha256 !== null && existing.sha256 !== input.sha256)) {
        throw dataError(`a different model named "${input.name}" is already in the store`, {
          file: this.path,
          record: input.name,
          expected: `${existing.kind} model ${existing.path ?? ''} (sha256 ${existing.sha256 ?? 'n/a'})`,
          received: `${input.kind} model ${input.path ?? ''} (sha256 ${input.sha256 ?? 'n/a'})`,
          hint: 'give it another name (--name)',
        });
      }
      return existing.id;
    }
    const info = this.db
      .prepare('INSERT INTO models (name, kind, path, sha256, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(input.name, input.kind, input.path ?? null, input.sha256 ?? null, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  /** The run for (model, dataset version, config), created if new. */
  openRun(modelId: number, datasetId: number, config: Record<string, unknown>): RunRecord {
    const json = canonicalJson(config);
    const configHash = sha256Hex(json);
    this.db
      .prepare(
        `INSERT INTO runs (model_id, dataset_id, config_hash, config, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)
         ON CONFLICT (model_id, dataset_id, config_hash) DO NOTHING`,
      )
      .run(modelId, datasetId, configHash, json, new Date().toISOString());
    const row = this.db
      .prepare('SELECT id, model_id AS modelId, dataset_id AS datasetId, status, config FROM runs WHERE model_id = ? AND dataset_id = ? AND config_hash = ?')
      .get(modelId, datasetId, configHash) as { id: number; modelId: number; datasetId: number; status: 'running' | 'done'; config: string };
    return { ...row, config: JSON.parse(row.config) as Record<string, unknown> };
  }

  /**
   * Claims a run for `owner` so that two processes never write it at once. Granted when nobody
   * holds it, when the holder's lease lapsed, or when the holder is a process of this machine that
   * is gone (killed). Otherwise the answer names the holder.
   */
  leaseRun(runId: number, owner: RunOwner, now: Date = new Date()): { acquired: true } | { acquired: false; owner: string; leaseUntil: string } {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT owner, lease_until AS leaseUntil FROM runs WHERE id = ?').get(runId) as { owner: string | null; leaseUntil: string | null } | undefined;
      if (!row) throw new RangeError(`no run ${runId} in ${this.path}`);
      if (row.owner !== null && row.owner !== owner.id && row.leaseUntil !== null && row.leaseUntil > now.toISOString() && !ownerIsGone(row.owner)) {
        return { acquired: false as const, owner: row.owner, leaseUntil: row.leaseUntil };
      }
      this.db.prepare('UPDATE runs SET owner = ?, lease_until = ? WHERE id = ?').run(owner.id, leaseEnd(now, owner), runId);
      return { acquired: true as const };
    }).immediate();
  }

  /** Gives a run up (after finishing, or on an error). */
  releaseRun(runId: number, owner: RunOwner): void {
    this.db.prepare('UPDATE runs SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?').run(runId, owner.id);
  }

  /** Positions already predicted in a run (to resume). */
  doneIndices(runId: number): Set<number> {
    const rows = this.db.prepare('SELECT idx FROM predictions WHERE run_id = ?').raw().all(runId) as [number][];
    return new Set(rows.map((r) => r[0]));
  }

  /**
   * Writes one batch of predictions in one transaction. With `owner`, the run's lease is renewed
   * in the same transaction, and the batch is refused when another process holds the run.
   */
  writePredictions(runId: number, rows: readonly PredictionRow[], owner?: RunOwner): void {
    const insert = this.db.prepare('INSERT INTO predictions (run_id, idx, top1, topk, scores, logits, error) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      if (owner) {
        const renewed = this.db.prepare('UPDATE runs SET lease_until = ? WHERE id = ? AND owner = ?').run(leaseEnd(new Date(), owner), runId, owner.id);
        if (renewed.changes === 0) {
          const holder = this.db.prepare('SELECT owner FROM runs WHERE id = ?').get(runId) as { owner: string | null } | undefined;
          throw ioError(`another process took over run ${runId}`, { file: this.path, record: `run ${runId}`, received: holder?.owner ?? 'nobody', hint: 'this process stalled longer than its lease; the run goes on in the other process' });
        }
      }
      for (const row of rows) {
        const logits = row.logits ? Buffer.from(row.logits.buffer, row.logits.byteOffset, row.logits.byteLength) : null;
        insert.run(
          runId,
          row.idx,
          row.topk.length > 0 ? row.topk[0] : null,
          row.topk.length > 0 ? JSON.stringify(row.topk) : null,
          row.scores ? JSON.stringify(row.scores.map((s) => Math.fround(s))) : null,
          logits,
          row.error,
        );
      }
    }).immediate();
  }

  finishRun(runId: number, imagesPerSecond: number | null): void {
    this.db.prepare("UPDATE runs SET status = 'done', finished_at = ?, images_per_second = ?, owner = NULL, lease_until = NULL WHERE id = ?").run(new Date().toISOString(), imagesPerSecond, runId);
  }

  /** Status of a run (another process may have finished it meanwhile). */
  runStatus(runId: number): 'running' | 'done' | undefined {
    return (this.db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: 'running' | 'done' } | undefined)?.status;
  }

  deleteRun(runId: number): void {
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
  }

  /** Predictions of a run in dataset order: top-k per image (empty when failed) and errors. */
  predictions(runId: number): { idx: number; topk: number[]; scores: number[] | null; error: string | null; logits: Float32Array | null }[] {
    const rows = this.db.prepare('SELECT idx, topk, scores, error, logits FROM predictions WHERE run_id = ? ORDER BY idx').all(runId) as {
      idx: number;
      topk: string | null;
      scores: string | null;
      error: string | null;
      logits: Buffer | null;
    }[];
    return rows.map((r) => ({
      idx: r.idx,
      topk: r.topk ? (JSON.parse(r.topk) as number[]) : [],
      scores: r.scores ? (JSON.parse(r.scores) as number[]) : null,
      error: r.error,
      logits: r.logits ? new Float32Array(r.logits.buffer.slice(r.logits.byteOffset, r.logits.byteOffset + r.logits.byteLength)) : null,
    }));
  }

  /** Per-image correctness of a finished run, in dataset order (1 = correct). */
  correctness(runId: number, k: 1 | 5 = 1): Uint8Array {
    const run = this.db.prepare('SELECT dataset_id AS datasetId FROM runs WHERE id = ?').get(runId) as { datasetId: number };
    const labels = this.labels(run.datasetId);
    const out = new Uint8Array(labels.length);
    for (const p of this.predictions(runId)) {
      const label = labels[p.idx];
      out[p.idx] = (k === 1 ? p.topk[0] === label : p.topk.slice(0, 5).includes(label as number)) ? 1 : 0;
    }
    return out;
  }

  /**
   * Correct counts of one run, aggregated in SQLite (a million prediction rows take well under a
   * second; parsing them in JavaScript took seconds). Failed images count as wrong; top-5 is null
   * when some image has fewer than 5 stored classes.
   */
  score(runId: number): RunScore {
    const row = this.db
      .prepare(
        `SELECT r.id AS runId, m.name AS model, d.base_name AS dataset, d.size AS n, r.images_per_second AS imagesPerSecond,
           CASE WHEN d.content_hash IS NULL THEN NULL ELSE d.version END AS datasetVersion,
           (SELECT COUNT(*) FROM predictions p WHERE p.run_id = r.id AND p.error IS NOT NULL) AS failed,
           (SELECT COUNT(*) FROM predictions p JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx
              WHERE p.run_id = r.id AND p.error IS NULL AND p.top1 = i.label) AS top1Correct,
           (SELECT COUNT(*) FROM predictions p JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx
              WHERE p.run_id = r.id AND p.error IS NULL
                AND EXISTS (SELECT 1 FROM json_each(p.topk) j WHERE j.key < 5 AND j.value = i.label)) AS top5Correct,
           (SELECT COUNT(*) FROM predictions p WHERE p.run_id = r.id AND p.error IS NULL AND json_array_length(p.topk) < 5) AS short
         FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?`,
      )
      .get(runId) as (Omit<RunScore, 'top5Correct'> & { top5Correct: number; short: number }) | undefined;
    if (!row) throw new RangeError(`no run ${runId} in ${this.path}`);
    const { short, ...score } = row;
    return { ...score, top5Correct: short > 0 ? null : row.top5Correct };
  }

  /** Every finished run on the current version of its test set, with its counts. */
  listScores(): RunScore[] {
    const ids = this.db.prepare(`SELECT r.id FROM runs r JOIN datasets d ON d.id = r.dataset_id WHERE r.status = 'done' AND ${CURRENT_VERSION_SQL} ORDER BY r.id`).raw().all() as [number][];
    return ids.map(([id]) => this.score(id));
  }
}

/**
 * SQL condition on a dataset row `d`: it is the current version of its named set. Analyses use
 * only runs on such rows, so a model evaluated on an old version of a file is never compared with
 * models evaluated on the new one.
 */
export const CURRENT_VERSION_SQL = 'd.name = d.base_name';

function leaseEnd(now: Date, owner: RunOwner): string {
  return new Date(now.getTime() + owner.leaseSeconds * 1000).toISOString();
}

export function openResultsStore(path: string): ResultsStore {
  return new ResultsStore(path);
}
