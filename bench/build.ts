/**
 * npm run bench:build — the dataset builder's heavy steps, each next to a baseline measured in the same run.
 *
 * 1. Sampling (pure strategies): a generated pool of 200,000 candidates × 1,000 classes, each with
 *    10 answers (frequency k/10, k ~ Binomial(10, p), p from a seeded mixture), reference histograms
 *    from 50 reference images per class; MatchedFrequency, Threshold 0.7 and TopImages at 10 per class.
 *    Baseline: sorting the pool by (class, id) once — the least work any per-class sampler does.
 * 2. Sampling through the workspace: the same pool as `images` rows, `createTasks` (42+3+3, 10
 *    assignments), 10 imported answers per task item (recordAssignments), `eligibility` +
 *    `createRevision` (SQL frequencies over all answers). Baseline: inserting the answer rows alone.
 * 3. Ingest (COLLECT's `ingest`, three stored sizes: original, longer-side-500 JPEG, 256×256 PNG) of
 *    1,000 generated 640×480 JPEGs from a folder, concurrency 4. Baseline: sharp's bare decode of the
 *    same files (decodeRgb, same concurrency).
 *
 * Options: --pool N (default 200000), --classes N (1000), --jpegs N (1000), --skip-db, --skip-ingest, --json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng, type Rng } from '../src/core/index.ts';
import { decodeRgb, encodeJpeg } from '../src/formats/index.ts';
import { sqliteConnection } from '../src/store/index.ts';
import { closeWorkspace, type Workspace } from '../src/workspace/index.ts';
import { folderSource, ingest } from '../src/collect/index.ts';
import { createTasks, recordAssignments, type ImportedAssignment } from '../src/label/index.ts';
import { createWorkspace, workspaceStores } from '../src/app/workspace-stores.ts';
import {
  createRevision,
  eligibility,
  readEligibilityInput,
  matchedFrequency,
  threshold,
  topImages,
  type SamplingCandidate,
  type SamplingInput,
} from '../src/sample/index.ts';

const { values } = parseArgs({
  options: {
    pool: { type: 'string', default: '200000' },
    classes: { type: 'string', default: '1000' },
    jpegs: { type: 'string', default: '1000' },
    'skip-db': { type: 'boolean', default: false },
    'skip-ingest': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const POOL = Number(values.pool);
const CLASSES = Number(values.classes);
const JPEGS = Number(values.jpegs);
const log = (text: string) => {
  if (!values.json) console.log(text);
};
const results: Record<string, unknown> = { machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version } };

function time<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}
async function timeAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

/** k successes of 10 with a seeded per-image p: 80 % of images easy (p≈0.9), 20 % anywhere. */
function answersFor(rng: Rng): number {
  const p = rng.next() < 0.8 ? 0.8 + 0.2 * rng.next() : rng.next();
  let k = 0;
  for (let j = 0; j < 10; j++) if (rng.next() < p) k++;
  return k;
}

function generatePool(): SamplingInput {
  const rng = createRng('bench-build-pool');
  const candidates: SamplingCandidate[] = [];
  for (let i = 0; i < POOL; i++) {
    candidates.push({ imageId: `c${String(i).padStart(7, '0')}`, classIdx: i % CLASSES, frequency: answersFor(rng) / 10, answers: 10 });
  }
  const histograms = new Map<number, number[]>();
  for (let c = 0; c < CLASSES; c++) {
    const h = [0, 0, 0, 0, 0];
    for (let r = 0; r < 50; r++) {
      const f = answersFor(rng) / 10;
      h[f < 0.2 ? 0 : f < 0.4 ? 1 : f < 0.6 ? 2 : f < 0.8 ? 3 : 4]! += 1;
    }
    histograms.set(c, h);
  }
  return { classes: Array.from({ length: CLASSES }, (_, c) => c), perClass: 10, candidates, referenceHistograms: histograms };
}

function samplingSection(): void {
  log(`\n## 1. Sampling strategies: ${POOL.toLocaleString()} candidates × ${CLASSES} classes × 10 answers, 10 per class`);
  const input = generatePool();
  const baseline = time(() => [...input.candidates].sort((a, b) => a.classIdx - b.classIdx || (a.imageId < b.imageId ? -1 : 1)));
  const mf = time(() => matchedFrequency(input, {}, createRng(1)));
  const th = time(() => threshold(input, { tau: 0.7 }, createRng(1)));
  const top = time(() => topImages(input, {}, createRng(1)));
  const again = matchedFrequency(input, {}, createRng(1));
  const deterministic = JSON.stringify(again.images) === JSON.stringify(mf.value.images);
  const row = (name: string, t: { ms: number; value: { images: unknown[]; valid: boolean } }) => ({
    name,
    ms: Math.round(t.ms),
    images: t.value.images.length,
    valid: t.value.valid,
    vsSort: +(t.ms / baseline.ms).toFixed(2),
  });
  const rows = [row('matched-frequency', mf), row('threshold-0.7', th), row('top-images', top)];
  log(`baseline: sort the pool by (class, id): ${baseline.ms.toFixed(0)} ms`);
  for (const r of rows) log(`${r.name.padEnd(18)} ${String(r.ms).padStart(6)} ms  ${r.images} images  valid=${r.valid}  ${r.vsSort}× the sort`);
  log(`same seed → identical output: ${deterministic}`);
  results.sampling = { pool: POOL, classes: CLASSES, baselineSortMs: Math.round(baseline.ms), strategies: rows, deterministic };
}

async function dbSection(): Promise<void> {
  log(`\n## 2. Through the workspace: tasks, ${POOL.toLocaleString()} × 10 answers, SQL frequencies, a revision`);
  const dir = mkdtempSync(join(tmpdir(), 'retest-bench-build-db-'));
  try {
    const names = Array.from({ length: CLASSES }, (_, c) => `class${c}`);
    const ws = await createWorkspace(join(dir, 'ws'), {
      classes: names.map((n, i) => ({ index: i, id: n, names: [n], definition: '', urls: [], hypernyms: [], similar: [names[(i + 1) % CLASSES]!] })),
    });
    const rng = createRng('bench-build-db');
    const insertImages = await timeAsync(() => insertBenchImages(ws));
    const stores = workspaceStores(ws);
    const tasks = await timeAsync(() => createTasks(stores.label, stores.labelSources, { seed: 1 }));
    // Answers: every item of every task gets 10 answers; image-level yes-probability from the pool model.
    const { items, byTask, records } = await syntheticAnswers(ws, rng);
    // Baseline: the same number of answer rows inserted into a bare table by the bare driver, one transaction.
    const answerRows = items.length * 10;
    await ws.sql.exec('CREATE TABLE bench_answers (a TEXT, i TEXT, s INTEGER, PRIMARY KEY (a, i)) WITHOUT ROWID');
    const bare = time(() => bareAnswerInsert(ws, byTask));
    const imported = await timeAsync(() => recordAssignments(stores.label, records));
    const elig = await timeAsync(async () => eligibility(await readEligibilityInput(stores.sampling, stores.sample), { requireDedup: false }));
    const revision = await timeAsync(() =>
      createRevision(
        { sample: stores.sample, sources: stores.sampling },
        { strategy: { function: 'matched-frequency' }, perClass: 10, seed: 1, requireDedup: false },
      ),
    );
    const rows = {
      insertImagesMs: Math.round(insertImages.ms),
      createTasksMs: Math.round(tasks.ms),
      tasks: tasks.value.mainTasks + tasks.value.referenceTasks,
      answerRows,
      bareInsertMs: Math.round(bare.ms),
      importAnswersMs: Math.round(imported.ms),
      importVsBare: +(imported.ms / bare.ms).toFixed(2),
      eligibilityMs: Math.round(elig.ms),
      eligible: elig.value.eligible.length,
      revisionMs: Math.round(revision.ms),
      revisionImages: revision.value.revision.images.length,
      revisionValid: revision.value.revision.valid,
    };
    log(`insert ${POOL + CLASSES * 20} image rows: ${rows.insertImagesMs} ms; createTasks: ${rows.createTasksMs} ms (${rows.tasks} tasks)`);
    log(
      `import ${answerRows.toLocaleString()} answers: ${rows.importAnswersMs} ms (bare insert of as many rows: ${rows.bareInsertMs} ms, ${rows.importVsBare}×)`,
    );
    log(
      `eligibility (SQL frequencies): ${rows.eligibilityMs} ms, ${rows.eligible} eligible; createRevision(matched-frequency): ${rows.revisionMs} ms, ${rows.revisionImages} images, valid=${rows.revisionValid}`,
    );
    results.workspace = rows;
    await closeWorkspace(ws);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pool's candidate rows and 20 reference images per class, in one transaction. */
async function insertBenchImages(ws: Workspace): Promise<void> {
  const row = (id: string, role: string, classIdx: number) => [id, role, classIdx, 'bench', id, id, 'o', 'd', 's', 500, 375, '2026-01-01T00:00:00Z'];
  const rows = [
    ...Array.from({ length: POOL }, (_, i) => row(`c${i}`, 'candidate', i % CLASSES)),
    ...Array.from({ length: CLASSES * 20 }, (_, i) => row(`r${i}`, 'reference', i % CLASSES)),
  ];
  await ws.sql.insertMany(
    'images',
    ['id', 'role', 'class_idx', 'source', 'source_id', 'sha256', 'original_path', 'display_path', 'square_path', 'width', 'height', 'created_at'],
    rows,
  );
}

/** 10 answers to every task (workers w0…w9); each image's yes-count drawn from the pool model. */
async function syntheticAnswers(
  ws: Workspace,
  rng: Rng,
): Promise<{ items: { task_id: string; image_id: string }[]; byTask: Map<string, string[]>; records: ImportedAssignment[] }> {
  const p = new Map<string, number>();
  const items = await ws.sql.all<{ task_id: string; image_id: string }>('SELECT task_id, image_id FROM task_items ORDER BY task_id');
  const byTask = new Map<string, string[]>();
  for (const it of items) {
    let l = byTask.get(it.task_id);
    if (!l) {
      l = [];
      byTask.set(it.task_id, l);
    }
    l.push(it.image_id);
    if (!p.has(it.image_id)) p.set(it.image_id, answersFor(rng));
  }
  const records: ImportedAssignment[] = [];
  for (const [taskId, ids] of byTask)
    for (let w = 0; w < 10; w++) {
      records.push({
        taskId,
        workerHash: `w${w}`.padEnd(64, '0'),
        source: 'import',
        externalId: `${taskId}:${w}`,
        status: 'submitted',
        selectedImageIds: ids.filter((id) => w < p.get(id)!),
      });
    }
  return { items, byTask, records };
}

/** The baseline: as many answer rows inserted into the bare table bench_answers by the bare driver (better-sqlite3 prepared inserts, one transaction). */
function bareAnswerInsert(ws: Workspace, byTask: Map<string, string[]>): void {
  const db = sqliteConnection(ws.sql);
  const ins = db.prepare('INSERT INTO bench_answers VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const [taskId, ids] of byTask) for (let w = 0; w < 10; w++) for (const id of ids) ins.run(`${taskId}:${w}`, id, 1);
  })();
}

async function ingestSection(): Promise<void> {
  log(`\n## 3. Ingest of ${JPEGS} generated 640×480 JPEGs (original + 500-px JPEG + 256×256 PNG)`);
  const dir = mkdtempSync(join(tmpdir(), 'retest-bench-build-ingest-'));
  try {
    const folder = join(dir, 'photos', 'class0');
    mkdirSync(folder, { recursive: true });
    const rng = createRng('bench-build-jpegs');
    const w = 640,
      h = 480;
    const files: string[] = [];
    for (let k = 0; k < JPEGS; k++) {
      const data = new Uint8Array(w * h * 3);
      const a = rng.int(256),
        b = rng.int(256),
        c = rng.int(256);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const o = (y * w + x) * 3;
          const n = rng.int(24);
          data[o] = (a + x / 3 + n) & 255;
          data[o + 1] = (b + y / 2 + n) & 255;
          data[o + 2] = (c + ((x ^ y) & 63) + n) & 255;
        }
      const file = join(folder, `img${String(k).padStart(5, '0')}.jpg`);
      writeFileSync(file, await encodeJpeg({ data, width: w, height: h }, 90));
      files.push(file);
    }
    const concurrency = 4;
    const bare = await timeAsync(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < files.length) await decodeRgb(files[next++]!);
        }),
      );
    });
    const ws = await createWorkspace(join(dir, 'ws'), { classes: 'cifar10', squareSize: 256 }); // ImageNet-size copies, not CIFAR's 32² default
    const run = await timeAsync(() => ingest(ws, folderSource({ root: join(dir, 'photos'), classes: ws.classes, classIdx: 0 }), { concurrency }));
    await closeWorkspace(ws);
    const rows = {
      files: JPEGS,
      concurrency,
      bareDecodeMs: Math.round(bare.ms),
      bareDecodePerSecond: +(JPEGS / (bare.ms / 1000)).toFixed(1),
      ingestMs: Math.round(run.ms),
      ingestPerSecond: +(JPEGS / (run.ms / 1000)).toFixed(1),
      ingested: run.value.ingested,
      failed: run.value.failed,
      ingestVsDecode: +(run.ms / bare.ms).toFixed(2),
    };
    log(
      `sharp bare decode: ${rows.bareDecodeMs} ms (${rows.bareDecodePerSecond} images/s); ingest: ${rows.ingestMs} ms (${rows.ingestPerSecond} images/s, ${rows.ingested} ingested, ${rows.failed} failed) = ${rows.ingestVsDecode}× the decode`,
    );
    results.ingest = rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

samplingSection();
if (!values['skip-db']) await dbSection();
if (!values['skip-ingest']) await ingestSection();
if (values.json) console.log(JSON.stringify(results));
