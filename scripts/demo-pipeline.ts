/**
 * The CIFAR-10H demo pipeline as a function (`npm run demo:cifar10h` prints its result; the test
 * test/e2e/demo-backends.test.ts runs a slice of it on a SQLite and on a PostgreSQL workspace and
 * compares them). Steps and their reasons: see scripts/demo-cifar10h.ts.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRng, FREQUENCY_BIN_COUNT, frequencyBin, sha256Hex, shuffled } from '../src/core/index.ts';
import { npyToNumbers, readCifarBin, readNpy } from '../src/formats/index.ts';
import { closeWorkspace } from '../src/workspace/index.ts';
import { createWorkspace, workspaceStores } from '../src/app/workspace-stores.ts';
import { ingest, type Candidate, type CandidateSource } from '../src/collect/index.ts';
import { createTasks, importVoteCounts, type SelectionFrequency } from '../src/label/index.ts';
import { createRevision } from '../src/sample/index.ts';
import { exportNpy } from '../src/export/index.ts';
import { resolveDataset } from '../src/datasets/index.ts';
import { evaluate, type EvalSummary } from '../src/evaluate/index.ts';
import { openResultsStore } from '../src/app/results.ts';

export const STRATEGIES = [
  { key: 'matched-frequency', strategy: { function: 'matched-frequency' as const } },
  { key: 'threshold-0.7', strategy: { function: 'threshold' as const, params: { tau: 0.7 } } },
  { key: 'top-images', strategy: { function: 'top-images' as const } },
];

export interface DemoOptions {
  /** The shared data folder (cifar10/, cifar10h/). */
  dataDir: string;
  /** The folder of CIFAR-10 ONNX models. */
  modelsDir: string;
  /** An empty or new folder: the workspace, exports, results store and cache go here. */
  out: string;
  /** Seed of the split, the tasks, the vote order and the revisions. */
  seed: number;
  /** Images per class in each revision. */
  perClass: number;
  /** The first N models only (default: all). */
  limitModels?: number;
  /** Images per class taken (after the seeded shuffle) before the split into halves (default: all ≈ 1,000). */
  poolPerClass?: number;
  /** Reference images per class that reference tasks give ≥ 10 planned answers (default 100). */
  referenceImages?: number;
  /** A PostgreSQL URL for the workspace's tables (default: workspace.db in the folder). */
  database?: string;
  /** Also evaluate the candidate pool and the reference half, for accuracy by frequency bin (default true). */
  byBin?: boolean;
  /** Progress messages. */
  log?: (message: string) => void;
  /** Called with each (model, strategy) row as it is evaluated. */
  onRow?: (row: DemoRow) => void;
}

export interface DemoRow {
  model: string;
  strategy: string;
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
}

export interface DemoResult {
  pool: { reference: number; candidates: number; left_out: number[] };
  tasks: { main: number; reference: number; items: number };
  imported: { assignments: number; answers: number };
  /** Every selection frequency with ≥ 10 answers (ordered by class, then image id). */
  frequencies: SelectionFrequency[];
  /** Largest |frequency − CIFAR-10H's share| (0 up to rounding). */
  maxError: number;
  /** Per strategy: the revision and its image ids in revision order. */
  revisions: Record<
    string,
    {
      revision: number;
      valid: boolean;
      size: number;
      imageIds: string[];
      short_classes: unknown;
      mean_selection_frequency: number;
      upward_sampled: number;
      data_sha256: string;
    }
  >;
  rows: DemoRow[];
  accuracyByBin: { bin: string | undefined; images: number; mean_accuracy: number | null }[] | null;
  original: Record<string, number> | null;
  models: number;
  /** The workspace's backend. */
  backend: 'sqlite' | 'postgres';
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the demo's pipeline: its steps in order, as the README describes them
export async function runDemoPipeline(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? (() => {});
  const binPath = join(o.dataDir, 'cifar10', 'test_batch_jpeg10000.bin');
  const countsPath = join(o.dataDir, 'cifar10h', 'cifar10h-counts.npy');
  const officialPath = join(o.dataDir, 'cifar10', 'test_labels_official.npy');

  // 1. Data and the seeded split.
  const cifar = readCifarBin(binPath);
  const countsNpy = readNpy(countsPath);
  const counts = npyToNumbers(countsNpy, countsPath);
  const official = npyToNumbers(readNpy(officialPath), officialPath);
  if (countsNpy.shape[0] !== cifar.count || countsNpy.shape[1] !== 10) throw new Error(`cifar10h counts shape ${countsNpy.shape} ≠ (${cifar.count}, 10)`);
  const mismatched: number[] = [];
  for (let i = 0; i < cifar.count; i++) if (cifar.labels[i] !== official[i]) mismatched.push(i);
  log(`read ${cifar.count} images; ${mismatched.length} records disagree with the official labels (${mismatched.join(', ')}): left out`);
  const rng = createRng(o.seed);
  const reference: number[] = [];
  const candidates: number[] = [];
  const skip = new Set(mismatched);
  for (let c = 0; c < 10; c++) {
    const ofClass: number[] = [];
    for (let i = 0; i < cifar.count; i++) if (cifar.labels[i] === c && !skip.has(i)) ofClass.push(i);
    const order = shuffled(ofClass, rng).slice(0, o.poolPerClass ?? ofClass.length);
    const half = Math.floor(order.length / 2);
    reference.push(...order.slice(0, half));
    candidates.push(...order.slice(half));
  }
  reference.sort((a, b) => a - b);
  candidates.sort((a, b) => a - b);
  log(`split: ${reference.length} reference, ${candidates.length} candidates`);

  // 2. Workspace + ingest.
  const ws = await createWorkspace(join(o.out, 'workspace'), { classes: 'cifar10', ...(o.database === undefined ? {} : { database: o.database }) });
  try {
    const sourceName = basename(binPath);
    const source = (indices: number[]): CandidateSource => ({
      name: 'arrays',
      expected: indices.length,
      async *candidates(): AsyncIterable<Candidate> {
        for (const i of indices) {
          yield {
            source: 'cifar10-test',
            sourceId: `${sourceName}#${i}`,
            classIdx: cifar.labels[i]!,
            pixels: { data: cifar.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 },
          };
        }
      },
    });
    const refSummary = await ingest(ws, source(reference), { role: 'reference', concurrency: 4 });
    const candSummary = await ingest(ws, source(candidates), { role: 'candidate', concurrency: 4 });
    log(
      `ingested references ${refSummary.ingested} (exact duplicates ${refSummary.exactDuplicates}), candidates ${candSummary.ingested} (exact duplicates ${candSummary.exactDuplicates}); failures ${refSummary.failed + candSummary.failed}`,
    );
    const stores = workspaceStores(ws);
    const indexOf = new Map<string, number>((await stores.catalog.list()).map((r) => [r.id, Number(r.sourceId.slice(r.sourceId.indexOf('#') + 1))]));

    // 3. Tasks.
    const tasks = await createTasks(stores.label, stores.labelSources, { seed: o.seed, shape: { referenceImages: o.referenceImages ?? 100 } });
    log(`tasks: ${tasks.mainTasks} main + ${tasks.referenceTasks} reference, ${tasks.items} items`);

    // 4. CIFAR-10H votes as answers.
    const votes = await importVoteCounts(stores.label, {
      votes: (id) => {
        const i = indexOf.get(id)!;
        return counts.subarray(i * 10, i * 10 + 10);
      },
      seed: o.seed,
      prefix: 'cifar10h',
    });
    const imported = { assignments: votes.inserted, answers: votes.answers };
    log(`imported ${imported.assignments} assignments, ${imported.answers} answers from CIFAR-10H`);

    // Check: frequencies equal counts[i][label] / Σ counts[i].
    const freqs = await stores.label.frequencies({ minAnswers: 10 });
    let maxError = 0;
    for (const f of freqs) {
      const i = indexOf.get(f.imageId)!;
      const row = counts.subarray(i * 10, i * 10 + 10);
      const expected = row[f.classIdx]! / row.reduce((a, b) => a + b, 0);
      maxError = Math.max(maxError, Math.abs(expected - f.frequency));
    }
    const candFreqs = freqs.filter((f) => f.role === 'candidate');
    log(
      `frequencies: ${candFreqs.length} candidates, ${freqs.length - candFreqs.length} reference images with ≥ 10 answers; max |freq − CIFAR-10H| = ${maxError}`,
    );

    // 5. Revisions, 6. export, evaluation.
    const store = await openResultsStore(join(o.out, 'results.db'));
    const models = readdirSync(o.modelsDir)
      .filter((n) => n.endsWith('.onnx'))
      .sort()
      .slice(0, o.limitModels ?? 99);
    const rows: DemoRow[] = [];
    const revisions: DemoResult['revisions'] = {};
    const cacheDir = join(o.out, 'cache');
    try {
      for (const s of STRATEGIES) {
        const { revision, outcome } = await createRevision(
          { sample: stores.sample, sources: stores.sampling },
          { strategy: s.strategy, perClass: o.perClass, seed: o.seed, requireDedup: false },
        );
        const prefix = join(o.out, 'export', s.key, `cifar10h-demo-${s.key}`);
        const manifest = await exportNpy(stores, prefix, { workspaceDir: ws.dir, revision: revision.id, allowInvalid: true });
        const meanFreq = revision.images.reduce((a, im) => a + im.frequency, 0) / revision.images.length;
        revisions[s.key] = {
          revision: revision.id,
          valid: revision.valid,
          size: revision.images.length,
          imageIds: revision.images.map((im) => im.imageId),
          short_classes: outcome.shortClasses,
          mean_selection_frequency: round(meanFreq),
          upward_sampled: outcome.classes.reduce((a, c) => a + (c.upward?.length ?? 0), 0),
          data_sha256: manifest.files[0]!.sha256,
        };
        log(`${s.key}: revision ${revision.id}, ${revision.images.length} images, valid ${revision.valid}, mean frequency ${meanFreq.toFixed(3)}`);
        const dataset = await resolveDataset(`${prefix}_data.npy`, { cacheDir });
        for (const model of models) {
          const summary: EvalSummary = await evaluate({ store, dataset, modelPath: join(o.modelsDir, model), options: { threads: 2 } });
          const row: DemoRow = {
            model: summary.model,
            strategy: s.key,
            n: summary.n,
            correct: summary.top1.correct,
            accuracy: round(summary.top1.accuracy ?? Number.NaN),
            ci95: [round(summary.top1.ci95[0]), round(summary.top1.ci95[1])],
          };
          rows.push(row);
          o.onRow?.(row);
        }
      }
      if (o.byBin === false)
        return {
          pool: { reference: reference.length, candidates: candidates.length, left_out: mismatched },
          tasks: { main: tasks.mainTasks, reference: tasks.referenceTasks, items: tasks.items },
          imported,
          frequencies: freqs,
          maxError,
          revisions,
          rows,
          accuracyByBin: null,
          original: null,
          models: models.length,
          backend: ws.backend,
        };

      // Accuracy by selection-frequency bin over the whole candidate pool (and the reference half as "original").
      const freqOf = new Map(candFreqs.map((f) => [f.imageId, f.frequency]));
      const poolIds = candFreqs.map((f) => f.imageId).sort();
      const poolDataset = inMemoryDataset(
        'cifar10h-demo-candidate-pool',
        poolIds.map((id) => indexOf.get(id)!),
        cifar,
      );
      const refDataset = inMemoryDataset('cifar10h-demo-reference-half', reference, cifar);
      const byBin = Array.from({ length: FREQUENCY_BIN_COUNT }, () => ({ images: 0, correct: 0, total: 0 }));
      for (const id of poolIds) byBin[frequencyBin(freqOf.get(id)!)]!.images += 1;
      const original: Record<string, number> = {};
      for (const model of models) {
        const ref = await evaluate({ store, dataset: refDataset, modelPath: join(o.modelsDir, model), options: { threads: 2 } });
        original[ref.model] = round(ref.top1.accuracy ?? Number.NaN);
        const pool = await evaluate({ store, dataset: poolDataset, modelPath: join(o.modelsDir, model), options: { threads: 2 } });
        const run = (await store.listScores()).find((r) => r.model === pool.model && r.dataset === poolDataset.name)!;
        const correct = await store.correctness(run.runId, 1);
        poolIds.forEach((id, k) => {
          const bin = byBin[frequencyBin(freqOf.get(id)!)]!;
          bin.total += 1;
          bin.correct += correct[k]!;
        });
      }
      const binLabels = ['[0,0.2)', '[0.2,0.4)', '[0.4,0.6)', '[0.6,0.8)', '[0.8,1]'];
      const accuracyByBin = byBin.map((b, i) => ({ bin: binLabels[i], images: b.images, mean_accuracy: b.total > 0 ? round(b.correct / b.total) : null }));
      return {
        pool: { reference: reference.length, candidates: candidates.length, left_out: mismatched },
        tasks: { main: tasks.mainTasks, reference: tasks.referenceTasks, items: tasks.items },
        imported,
        frequencies: freqs,
        maxError,
        revisions,
        rows,
        accuracyByBin,
        original,
        models: models.length,
        backend: ws.backend,
      };
    } finally {
      await store.close();
    }
  } finally {
    await closeWorkspace(ws);
  }
}

function inMemoryDataset(name: string, indices: number[], cifar: { labels: Uint8Array; pixels: Uint8Array }) {
  const data = new Uint8Array(indices.length * 3072);
  indices.forEach((i, k) => data.set(cifar.pixels.subarray(i * 3072, (i + 1) * 3072), k * 3072));
  return {
    name,
    source: `demo:${name}:${sha256Hex(indices.join(','))}`,
    numClasses: 10,
    images: indices.map((i) => ({ imageId: String(i), label: cifar.labels[i]! })),
    pixels: { height: 32, width: 32, data },
    files: null,
  };
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
