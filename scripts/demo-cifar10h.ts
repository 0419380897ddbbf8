/**
 * `npm run demo:cifar10h` — a real end-to-end run of the dataset builder's pipeline (issue 4):
 *
 * 1. The CIFAR-10 test images (`cifar10/test_batch_jpeg10000.bin`) are split by a seeded draw, per
 *    class, into a reference half (the "original test set") and a candidate half (the pool). The
 *    four records whose label disagrees with the official order (5690, 5873, 9375, 9380: not the
 *    official image at that index, so CIFAR-10H's counts do not belong to them) are left out.
 * 2. Both halves are ingested into a fresh workspace with COLLECT's ingest (three stored copies each).
 * 3. Tasks are created as for a crowd (42 candidates + 3 positive + 3 negative controls, reference
 *    tasks until 100 reference images per class have ≥ 10 answers).
 * 4. CIFAR-10H's real human votes (`cifar10h/cifar10h-counts.npy`, ≈51 annotators per image, each
 *    choosing one of the 10 classes) are imported as answers: an annotator who chose class c says
 *    "yes" to the image in a task asking about c and "no" in a task asking about any other class.
 *    Each image's annotators are split (seeded) over the image's appearances in tasks for a class,
 *    so that the selection frequency of image i for class c is exactly counts[i][c] / Σ counts[i].
 *    One imported assignment = the k-th annotator slot of a task (synthetic worker ids; CIFAR-10H
 *    publishes no annotator ids per image).
 * 5. Three revisions with 100 images per class: MatchedFrequency, Threshold 0.7, TopImages.
 * 6. Each is exported as CIFAR-10.1-style NPY and evaluated with the six CIFAR-10 ONNX models via
 *    `retest eval`'s library function (datasets resolved from the exported files with resolveDataset).
 * 7. Prints one JSON line per (model, strategy), then accuracy by selection-frequency bin, then
 *    (last line) one JSON object with `mean_accuracy` per strategy.
 *
 * Flags: --data-dir DIR (default $RETEST_SHARED/data or ../shared/data), --models-dir DIR,
 * --out DIR (default a temp folder, removed unless --keep), --seed N (default 1), --per-class N (100),
 * --limit-models N (first N models only; for quick checks).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, FREQUENCY_BIN_COUNT, frequencyBin, shuffled, sha256Hex } from '../src/core/index.ts';
import { npyToNumbers, readCifarBin, readNpy } from '../src/formats/index.ts';
import { closeWorkspace } from '../src/workspace/index.ts';
import { initWorkspace } from '../src/app/workspace-stores.ts';
import { ingest, type Candidate, type CandidateSource } from '../src/collect/index.ts';
import { createTasks, importVoteCounts, selectionFrequencies } from '../src/label/index.ts';
import { createRevision } from '../src/sample/index.ts';
import { exportNpy } from '../src/export/index.ts';
import { workspaceStores } from '../src/app/workspace-stores.ts';
import { resolveDataset } from '../src/datasets/index.ts';
import { evaluate, type EvalSummary } from '../src/evaluate/index.ts';
import { openResultsStore } from '../src/app/results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const shared = resolve(process.env.RETEST_SHARED ?? join(here, '..', '..', 'shared'));
const dataDir = resolve(args['data-dir'] ?? join(shared, 'data'));
const modelsDir = resolve(args['models-dir'] ?? join(dataDir, '..', 'models', 'cifar10'));
const seed = Number(args.seed ?? 1);
const perClass = Number(args['per-class'] ?? 100);
const keep = 'keep' in args;
const out = resolve(args.out ?? mkdtempSync(join(tmpdir(), 'retest-demo-cifar10h-')));
const log = (msg: string) => process.stderr.write(`[demo ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const t0 = performance.now();

const STRATEGIES = [
  { key: 'matched-frequency', strategy: { function: 'matched-frequency' as const } },
  { key: 'threshold-0.7', strategy: { function: 'threshold' as const, params: { tau: 0.7 } } },
  { key: 'top-images', strategy: { function: 'top-images' as const } },
];

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the demo's main: the pipeline's steps in order, as the README describes them
async function main(): Promise<void> {
  const binPath = join(dataDir, 'cifar10', 'test_batch_jpeg10000.bin');
  const countsPath = join(dataDir, 'cifar10h', 'cifar10h-counts.npy');
  const officialPath = join(dataDir, 'cifar10', 'test_labels_official.npy');
  for (const p of [binPath, countsPath, officialPath, modelsDir]) {
    if (!existsSync(p)) throw new Error(`missing ${p} (set RETEST_SHARED or --data-dir)`);
  }
  if (existsSync(out) && readdirSync(out).length > 0 && args.out) throw new Error(`--out ${out} is not empty`);

  // 1. Data and the seeded split.
  const cifar = readCifarBin(binPath);
  const countsNpy = readNpy(countsPath);
  const counts = npyToNumbers(countsNpy, countsPath);
  const official = npyToNumbers(readNpy(officialPath), officialPath);
  if (countsNpy.shape[0] !== cifar.count || countsNpy.shape[1] !== 10) throw new Error(`cifar10h counts shape ${countsNpy.shape} ≠ (${cifar.count}, 10)`);
  const mismatched: number[] = [];
  for (let i = 0; i < cifar.count; i++) if (cifar.labels[i] !== official[i]) mismatched.push(i);
  log(`read ${cifar.count} images; ${mismatched.length} records disagree with the official labels (${mismatched.join(', ')}): left out`);
  const rng = createRng(seed);
  const reference: number[] = [];
  const candidates: number[] = [];
  const skip = new Set(mismatched);
  for (let c = 0; c < 10; c++) {
    const ofClass: number[] = [];
    for (let i = 0; i < cifar.count; i++) if (cifar.labels[i] === c && !skip.has(i)) ofClass.push(i);
    const order = shuffled(ofClass, rng);
    const half = Math.floor(order.length / 2);
    reference.push(...order.slice(0, half));
    candidates.push(...order.slice(half));
  }
  reference.sort((a, b) => a - b);
  candidates.sort((a, b) => a - b);
  log(`split: ${reference.length} reference, ${candidates.length} candidates`);

  // 2. Workspace + ingest.
  const ws = initWorkspace(join(out, 'workspace'), { classes: 'cifar10' });
  try {
    const sourceName = basename(binPath);
    const source = (indices: number[]): CandidateSource => ({
      name: 'arrays',
      expected: indices.length,
      async *candidates(): AsyncIterable<Candidate> {
        for (const i of indices) {
          yield { source: 'cifar10-test', sourceId: `${sourceName}#${i}`, classIdx: cifar.labels[i]!, pixels: { data: cifar.pixels.subarray(i * 3072, (i + 1) * 3072), width: 32, height: 32 } };
        }
      },
    });
    const refSummary = await ingest(ws, source(reference), { role: 'reference', concurrency: 4 });
    const candSummary = await ingest(ws, source(candidates), { role: 'candidate', concurrency: 4 });
    log(`ingested references ${refSummary.ingested} (exact duplicates ${refSummary.exactDuplicates}), candidates ${candSummary.ingested} (exact duplicates ${candSummary.exactDuplicates}); failures ${refSummary.failed + candSummary.failed}`);
    const indexOf = new Map<string, number>((ws.db.prepare('SELECT id, source_id FROM images').all() as { id: string; source_id: string }[]).map((r) => [r.id, Number(r.source_id.slice(r.source_id.indexOf('#') + 1))]));

    // 3. Tasks.
    const tasks = createTasks(ws.db, { seed, shape: { referenceImages: 100 } });
    log(`tasks: ${tasks.mainTasks} main + ${tasks.referenceTasks} reference, ${tasks.items} items`);

    // 4. CIFAR-10H votes as answers.
    const votes = importVoteCounts(ws.db, { votes: (id) => { const i = indexOf.get(id)!; return counts.subarray(i * 10, i * 10 + 10); }, seed, prefix: 'cifar10h' });
    const imported = { assignments: votes.inserted, answers: votes.answers };
    log(`imported ${imported.assignments} assignments, ${imported.answers} answers from CIFAR-10H`);

    // Check: frequencies equal counts[i][label] / Σ counts[i].
    const freqs = selectionFrequencies(ws.db, { minAnswers: 10 });
    let maxError = 0;
    for (const f of freqs) {
      const i = indexOf.get(f.imageId)!;
      const row = counts.subarray(i * 10, i * 10 + 10);
      const expected = row[f.classIdx]! / row.reduce((a, b) => a + b, 0);
      maxError = Math.max(maxError, Math.abs(expected - f.frequency));
    }
    const candFreqs = freqs.filter((f) => f.role === 'candidate');
    const refFreqs = freqs.filter((f) => f.role === 'reference');
    log(`frequencies: ${candFreqs.length} candidates, ${refFreqs.length} reference images with ≥ 10 answers; max |freq − CIFAR-10H| = ${maxError}`);

    // 5. Revisions, 6. export, evaluation.
    const storePath = join(out, 'results.db');
    const store = await openResultsStore(storePath);
    const models = readdirSync(modelsDir).filter((n) => n.endsWith('.onnx')).sort().slice(0, Number(args['limit-models'] ?? 99));
    const rows: { model: string; strategy: string; n: number; correct: number; accuracy: number; ci95: [number, number] }[] = [];
    const revisionInfo: Record<string, unknown> = {};
    const cacheDir = join(out, 'cache');
    const stores = workspaceStores(ws);
    try {
      for (const s of STRATEGIES) {
        const { revision, outcome } = await createRevision({ sample: stores.sample, sources: stores.sampling }, { strategy: s.strategy, perClass, seed, requireDedup: false });
        const prefix = join(out, 'export', s.key, `cifar10h-demo-${s.key}`);
        const manifest = await exportNpy(stores, prefix, { workspaceDir: ws.dir, revision: revision.id, allowInvalid: true });
        const meanFreq = revision.images.reduce((a, im) => a + im.frequency, 0) / revision.images.length;
        revisionInfo[s.key] = { revision: revision.id, valid: revision.valid, size: revision.images.length, short_classes: outcome.shortClasses, mean_selection_frequency: round(meanFreq), upward_sampled: outcome.classes.reduce((a, c) => a + (c.upward?.length ?? 0), 0), data_sha256: manifest.files[0]!.sha256 };
        log(`${s.key}: revision ${revision.id}, ${revision.images.length} images, valid ${revision.valid}, mean frequency ${meanFreq.toFixed(3)}`);
        const dataset = await resolveDataset(`${prefix}_data.npy`, { cacheDir });
        for (const model of models) {
          const summary: EvalSummary = await evaluate({ store, dataset, modelPath: join(modelsDir, model), options: { threads: 2 } });
          rows.push({ model: summary.model, strategy: s.key, n: summary.n, correct: summary.top1.correct, accuracy: round(summary.top1.accuracy ?? Number.NaN), ci95: [round(summary.top1.ci95[0]), round(summary.top1.ci95[1])] });
          process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
        }
      }

      // Accuracy by selection-frequency bin over the whole candidate pool (and the reference half as "original").
      const freqOf = new Map(candFreqs.map((f) => [f.imageId, f.frequency]));
      const poolIds = candFreqs.map((f) => f.imageId).sort();
      const poolDataset = inMemoryDataset('cifar10h-demo-candidate-pool', poolIds.map((id) => indexOf.get(id)!), cifar);
      const refDataset = inMemoryDataset('cifar10h-demo-reference-half', reference, cifar);
      const byBin = Array.from({ length: FREQUENCY_BIN_COUNT }, () => ({ images: 0, correct: 0, total: 0 }));
      for (const id of poolIds) byBin[frequencyBin(freqOf.get(id)!)]!.images += 1;
      const original: Record<string, number> = {};
      for (const model of models) {
        const ref = await evaluate({ store, dataset: refDataset, modelPath: join(modelsDir, model), options: { threads: 2 } });
        original[ref.model] = round(ref.top1.accuracy ?? Number.NaN);
        const pool = await evaluate({ store, dataset: poolDataset, modelPath: join(modelsDir, model), options: { threads: 2 } });
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
      process.stdout.write(`${JSON.stringify({ accuracy_by_selection_frequency: accuracyByBin, models: models.length })}\n`);

      const mean: Record<string, number> = {};
      for (const s of STRATEGIES) {
        const r = rows.filter((x) => x.strategy === s.key);
        mean[s.key] = round(r.reduce((a, x) => a + x.accuracy, 0) / r.length);
      }
      const meanOriginal = round(Object.values(original).reduce((a, b) => a + b, 0) / Object.values(original).length);
      const checks = {
        top_images_above_matched_frequency: (mean['top-images'] ?? 0) > (mean['matched-frequency'] ?? 0),
        // Bins with fewer than 50 candidates are too noisy to order (their counts are printed above).
        accuracy_rises_with_selection_frequency: accuracyByBin.filter((b) => b.images >= 50 && b.mean_accuracy !== null).every((b, i, a) => i === 0 || b.mean_accuracy! > a[i - 1]!.mean_accuracy!),
        accuracy_rises_with_mean_frequency_of_strategy: STRATEGIES.map((s) => ({ f: (revisionInfo[s.key] as { mean_selection_frequency: number }).mean_selection_frequency, a: mean[s.key]! }))
          .sort((x, y) => x.f - y.f).every((x, i, a) => i === 0 || x.a >= a[i - 1]!.a),
        frequencies_match_cifar10h: maxError < 1e-12,
      };
      process.stdout.write(`${JSON.stringify({
        demo: 'cifar10h',
        seed,
        per_class: perClass,
        pool: { reference: reference.length, candidates: candidates.length, left_out: mismatched },
        tasks: { main: tasks.mainTasks, reference: tasks.referenceTasks },
        answers: imported.answers,
        revisions: revisionInfo,
        original_accuracy_reference_half: { per_model: original, mean: meanOriginal },
        mean_accuracy: mean,
        checks,
        seconds: round((performance.now() - t0) / 1000, 1),
      })}\n`);
    } finally {
      await store.close();
    }
  } finally {
    closeWorkspace(ws);
    if (!keep && !args.out) rmSync(out, { recursive: true, force: true });
    else log(`kept ${out}`);
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

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (v !== undefined) out[k] = v;
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out[k] = argv[++i]!;
    else out[k] = '';
  }
  return out;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
