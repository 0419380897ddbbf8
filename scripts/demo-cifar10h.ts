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
 * --limit-models N (first N models only; for quick checks), --pool-per-class N (a slice: N images per
 * class before the split), --workspace-db postgres://… (the workspace's tables in PostgreSQL).
 * The pipeline itself is `runDemoPipeline` (./demo-pipeline.ts).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, runDemoPipeline, STRATEGIES } from './demo-pipeline.ts';

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

async function main(): Promise<void> {
  for (const p of [
    join(dataDir, 'cifar10', 'test_batch_jpeg10000.bin'),
    join(dataDir, 'cifar10h', 'cifar10h-counts.npy'),
    join(dataDir, 'cifar10', 'test_labels_official.npy'),
    modelsDir,
  ]) {
    if (!existsSync(p)) throw new Error(`missing ${p} (set RETEST_SHARED or --data-dir)`);
  }
  if (existsSync(out) && readdirSync(out).length > 0 && args.out) throw new Error(`--out ${out} is not empty`);
  try {
    const r = await runDemoPipeline({
      dataDir,
      modelsDir,
      out,
      seed,
      perClass,
      log,
      onRow: (row) => process.stdout.write(`${JSON.stringify(row)}\n`),
      ...(args['limit-models'] !== undefined ? { limitModels: Number(args['limit-models']) } : {}),
      ...(args['pool-per-class'] !== undefined ? { poolPerClass: Number(args['pool-per-class']) } : {}),
      ...(args['workspace-db'] !== undefined ? { database: args['workspace-db'] } : {}),
    });
    const accuracyByBin = r.accuracyByBin ?? [];
    process.stdout.write(`${JSON.stringify({ accuracy_by_selection_frequency: accuracyByBin, models: r.models })}\n`);
    const mean: Record<string, number> = {};
    for (const s of STRATEGIES) {
      const rows = r.rows.filter((x) => x.strategy === s.key);
      mean[s.key] = round(rows.reduce((a, x) => a + x.accuracy, 0) / rows.length);
    }
    const original = r.original ?? {};
    const meanOriginal = round(Object.values(original).reduce((a, b) => a + b, 0) / Object.values(original).length);
    const checks = {
      top_images_above_matched_frequency: (mean['top-images'] ?? 0) > (mean['matched-frequency'] ?? 0),
      // Bins with fewer than 50 candidates are too noisy to order (their counts are printed above).
      accuracy_rises_with_selection_frequency: accuracyByBin
        .filter((b) => b.images >= 50 && b.mean_accuracy !== null)
        .every((b, i, a) => i === 0 || b.mean_accuracy! > a[i - 1]!.mean_accuracy!),
      accuracy_rises_with_mean_frequency_of_strategy: STRATEGIES.map((s) => ({ f: r.revisions[s.key]!.mean_selection_frequency, a: mean[s.key]! }))
        .sort((x, y) => x.f - y.f)
        .every((x, i, a) => i === 0 || x.a >= a[i - 1]!.a),
      frequencies_match_cifar10h: r.maxError < 1e-12,
    };
    const revisions = Object.fromEntries(Object.entries(r.revisions).map(([k, { imageIds: _ids, ...info }]) => [k, info]));
    process.stdout.write(
      `${JSON.stringify({
        demo: 'cifar10h',
        seed,
        per_class: perClass,
        pool: r.pool,
        tasks: { main: r.tasks.main, reference: r.tasks.reference },
        answers: r.imported.answers,
        revisions,
        original_accuracy_reference_half: { per_model: original, mean: meanOriginal },
        mean_accuracy: mean,
        checks,
        seconds: round((performance.now() - t0) / 1000, 1),
      })}\n`,
    );
  } finally {
    if (!keep && !args.out) rmSync(out, { recursive: true, force: true });
    else log(`kept ${out}`);
  }
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
