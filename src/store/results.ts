/**
 * Reads and writes the results store (schema in `schema.ts`). Every write that belongs together
 * happens in one transaction, so a killed process leaves either all of a batch or none of it.
 */
import { dataError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { openDatabase, type Db } from './sqlite.ts';
import { resultsMigrations } from './schema.ts';

export interface DatasetRecord {
  id: number;
  name: string;
  size: number;
  numClasses: number;
  source: string;
  fingerprint: string;
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
   * Registers a test set, or returns the one already registered under that name. The same name
   * with different images or labels is refused: results would silently mix two test sets.
   */
  registerDataset(input: { name: string; source: string; numClasses: number; images: readonly ImageLabel[] }): DatasetRecord {
    const fingerprint = datasetFingerprint(input.images);
    const existing = this.getDataset(input.name);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw dataError(`test set "${input.name}" is already in the store with different images or labels`, {
          file: this.path,
          record: input.name,
          expected: `${existing.size} images from ${existing.source}`,
          received: `${input.images.length} images from ${input.source}`,
          hint: 'give this set another name (--name), or use another --db',
        });
      }
      return existing;
    }
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO datasets (name, size, num_classes, source, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(input.name, input.images.length, input.numClasses, input.source, fingerprint, now);
      const id = Number(info.lastInsertRowid);
      const insert = this.db.prepare('INSERT INTO images (dataset_id, idx, image_id, label) VALUES (?, ?, ?, ?)');
      input.images.forEach((image, idx) => insert.run(id, idx, image.imageId, image.label));
      return { id, name: input.name, size: input.images.length, numClasses: input.numClasses, source: input.source, fingerprint };
    }).immediate();
  }

  getDataset(name: string): DatasetRecord | undefined {
    const row = this.db.prepare('SELECT id, name, size, num_classes AS numClasses, source, fingerprint FROM datasets WHERE name = ?').get(name) as
      | DatasetRecord
      | undefined;
    return row;
  }

  listDatasets(): DatasetRecord[] {
    return this.db.prepare('SELECT id, name, size, num_classes AS numClasses, source, fingerprint FROM datasets ORDER BY name').all() as DatasetRecord[];
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

  /** The run for (model, dataset, config), created if new. */
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

  /** Positions already predicted in a run (to resume). */
  doneIndices(runId: number): Set<number> {
    const rows = this.db.prepare('SELECT idx FROM predictions WHERE run_id = ?').raw().all(runId) as [number][];
    return new Set(rows.map((r) => r[0]));
  }

  /** Writes one batch of predictions in one transaction. */
  writePredictions(runId: number, rows: readonly PredictionRow[]): void {
    const insert = this.db.prepare('INSERT INTO predictions (run_id, idx, top1, topk, scores, logits, error) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
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
    this.db.prepare("UPDATE runs SET status = 'done', finished_at = ?, images_per_second = ? WHERE id = ?").run(new Date().toISOString(), imagesPerSecond, runId);
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
        `SELECT r.id AS runId, m.name AS model, d.name AS dataset, d.size AS n, r.images_per_second AS imagesPerSecond,
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

  /** Every finished run with its counts. */
  listScores(): RunScore[] {
    const ids = this.db.prepare("SELECT id FROM runs WHERE status = 'done' ORDER BY id").raw().all() as [number][];
    return ids.map(([id]) => this.score(id));
  }
}

export function openResultsStore(path: string): ResultsStore {
  return new ResultsStore(path);
}
