/**
 * Writes one import into the results store in ONE transaction: datasets, models, runs and every
 * prediction row, or nothing when any part fails. A test set already in the store under the same
 * name is matched by image id (so a set registered by `retest eval` in another order still lines
 * up); a set with other images or labels is refused. The store keeps each run's counts as its rows
 * are written, so nothing is recounted later.
 */
import { dataError } from '../core/index.ts';
import { datasetFingerprint, type PredictionRow, type ResultsStore } from '../results/index.ts';
import type { ImportBatch, ImportDataset, ImportSummary } from './types.ts';

export interface WriteOptions {
  /** Replace runs already imported for the same (model, test set); otherwise they are skipped. */
  replace?: boolean;
}

/** The store dataset id and, when its order differs, the store position of each imported row. */
async function resolveDataset(store: ResultsStore, dataset: ImportDataset): Promise<{ id: number; position: Int32Array | null }> {
  const images = dataset.imageIds.map((imageId, i) => ({ imageId, label: dataset.labels[i]! }));
  const existing = await store.getDataset(dataset.name);
  if (!existing || existing.fingerprint === datasetFingerprint(images)) {
    const record = await store.registerDataset({ name: dataset.name, source: dataset.source, numClasses: dataset.numClasses, images });
    return { id: record.id, position: null };
  }
  const ids = await store.imageIds(existing.id);
  const labels = await store.labels(existing.id);
  const where = new Map(ids.map((id, i) => [id, i]));
  const mismatch = (record: string | number, expected: string, received: string) =>
    dataError(`test set "${dataset.name}" is already in the store with other images or labels`, {
      file: dataset.source,
      record,
      expected,
      received,
      hint: 'import under another test-set name, or use another --db',
    });
  if (ids.length !== images.length) throw mismatch(dataset.name, `${ids.length} images (store)`, `${images.length} images`);
  const position = new Int32Array(images.length);
  images.forEach((image, i) => {
    const at = where.get(image.imageId);
    if (at === undefined) throw mismatch(i, 'an image id of the stored set', image.imageId);
    if (labels[at] !== image.label) throw mismatch(i, `label ${labels[at]} for ${image.imageId}`, String(image.label));
    position[i] = at;
  });
  return { id: existing.id, position };
}

export function writeImportBatch(store: ResultsStore, batch: ImportBatch, options: WriteOptions = {}): Promise<ImportSummary> {
  const byName = new Map(batch.datasets.map((d) => [d.name, d]));
  // The summary is built inside the transaction: PostgreSQL may run it again after a conflict.
  return store.transaction(async (tx) => {
    const summary: ImportSummary = { format: batch.format, runs: [] };
    const resolved = new Map<string, { id: number; position: Int32Array | null }>();
    for (const d of batch.datasets) resolved.set(d.name, await resolveDataset(tx, d));
    for (const p of batch.predictions) {
      const dataset = byName.get(p.dataset);
      const target = resolved.get(p.dataset);
      if (!dataset || !target) throw new Error(`bug: predictions for ${p.dataset} without its dataset`);
      const modelId = await tx.registerModel({ name: p.model, kind: 'imported', path: p.file });
      const config = { imported: batch.format, k: p.k };
      let run = await tx.openRun(modelId, target.id, config);
      const counts = countCorrect(p.topk, p.k, dataset.labels);
      if (run.status === 'done' && !options.replace) {
        summary.runs.push({
          model: p.model,
          dataset: p.dataset,
          runId: run.id,
          n: dataset.labels.length,
          ...counts,
          skipped: true,
          notes: [...p.notes, 'already imported (use --replace to overwrite)'],
        });
        continue;
      }
      // A run replaced, or left half-written by an older retest, starts again from nothing.
      if (run.status === 'done' || (await tx.doneIndices(run.id)).size > 0) {
        await tx.deleteRun(run.id);
        run = await tx.openRun(modelId, target.id, config);
      }
      const rows: PredictionRow[] = new Array(dataset.labels.length);
      for (let i = 0; i < dataset.labels.length; i++) {
        rows[i] = { idx: target.position ? target.position[i]! : i, topk: Array.from(p.topk.subarray(i * p.k, (i + 1) * p.k)), scores: null, error: null };
      }
      await tx.writePredictions(run.id, rows);
      await tx.finishRun(run.id, null);
      summary.runs.push({ model: p.model, dataset: p.dataset, runId: run.id, n: dataset.labels.length, ...counts, skipped: false, notes: p.notes });
    }
    return summary;
  });
}

/** Top-1 and top-5 correct counts of row-major top-k predictions (top-5 null when k < 5). */
export function countCorrect(topk: Int32Array, k: number, labels: Int32Array): { top1Correct: number; top5Correct: number | null } {
  let top1 = 0,
    top5 = 0;
  const kk = Math.min(k, 5);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (topk[i * k] === label) top1++;
    for (let j = 0; j < kk; j++)
      if (topk[i * k + j] === label) {
        top5++;
        break;
      }
  }
  return { top1Correct: top1, top5Correct: k >= 5 ? top5 : null };
}
