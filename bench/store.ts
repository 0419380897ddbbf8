/**
 * npm run bench:store — the results store on SQLite and on PostgreSQL, next to the bare drivers,
 * measured in the same run:
 *
 * 1. Prediction writes: ROWS rows (default 1,000,000: 20 runs × a 50,000-image set, top-5 classes
 *    and scores per image, as `retest eval` stores them) through `ResultsStore.writePredictions`,
 *    (a) as `retest eval` writes them: batches of 128, each its own transaction renewing the run's
 *    lease; (b) as `retest import` does: whole runs inside one transaction. Baseline: the bare
 *    driver into the same table — better-sqlite3 prepared inserts in one transaction; pg multi-row
 *    inserts (1,000 rows per statement) in one transaction.
 * 2. Counts over those rows: `ResultsStore.counts()` (the counts each run keeps as its rows are
 *    written) next to the bare driver counting the rows (one aggregate over all predictions).
 * 3. The recount of the authors' 52 imported ImageNet runs (13 models × 4 sets, 1.04 M rows, from
 *    ../shared/data/imagenetv2-predictions): before issue 12 the first analyze counted every run
 *    from its rows (the SQL of the old `ResultsStore.score`, run here on the same store); now it
 *    reads the kept counts. Goal: ≥ 5× faster.
 *
 * PostgreSQL: RETEST_BENCH_POSTGRES_URL (a database of yours; the bench works in a schema of its
 * own, dropped at the end), else a throwaway server started like the test suite's
 * (test/helpers/services.ts: fsync off). Options: --rows N, --no-postgres, --json, --no-write.
 * Writes docs/benchmarks/store.md unless --no-write.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openResultsStore } from '../src/app/results.ts';
import { readImagenetV2Predictions, writeImportBatch } from '../src/import/index.ts';
import type { PredictionRow, ResultsStore } from '../src/results/index.ts';
import { startPostgres, stopStartedServers } from '../test/helpers/services.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'no-postgres': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const log = (text: string) => {
  if (!values.json) console.log(text);
};
const IMAGES = 50_000;
const ROWS = Number(values.rows);
const RUNS = Math.max(1, Math.round(ROWS / IMAGES));
const PER_RUN = Math.min(IMAGES, ROWS);
const TOTAL = RUNS * PER_RUN;
const EVAL_BATCH = 128;
const PG_ROWS_PER_STATEMENT = 1000;
const CLASSES = 1000;

/** The prediction of image `idx` in run `run`: top-5 classes and their scores, right for about 3 in 4. */
function prediction(run: number, idx: number): PredictionRow {
  const label = idx % CLASSES;
  const first = (idx * 7 + run) % 4 === 0 ? (label + 1) % CLASSES : label;
  return {
    idx,
    topk: [first, (label + 2) % CLASSES, (label + 3) % CLASSES, (label + 1) % CLASSES, (label + 4) % CLASSES],
    scores: [0.61, 0.17, 0.09, 0.08, 0.05],
    error: null,
  };
}

function rowValues(runId: number, p: PredictionRow): (number | string | null)[] {
  return [runId, p.idx, p.topk[0] ?? null, JSON.stringify(p.topk), JSON.stringify(p.scores!.map((s) => Math.fround(s))), null, null];
}

/** The expected counts of one run, from the generator. */
function expectedTop1(run: number): number {
  let n = 0;
  for (let idx = 0; idx < PER_RUN; idx++) if ((idx * 7 + run) % 4 !== 0) n++;
  return n;
}

/** A fresh store with the 50,000-image set and RUNS runs, nothing predicted yet. */
async function prepare(db: string): Promise<{ store: ResultsStore; runs: number[] }> {
  const store = await openResultsStore(db);
  const dataset = await store.registerDataset({
    name: 'bench-val',
    source: 'bench',
    numClasses: CLASSES,
    images: Array.from({ length: IMAGES }, (_, i) => ({ imageId: `img${i}`, label: i % CLASSES })),
  });
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++)
    runs.push((await store.openRun(await store.registerModel({ name: `model-${r}`, kind: 'onnx', sha256: String(r) }), dataset.id, { r })).id);
  return { store, runs };
}

interface Writes {
  evalRowsPerSecond: number;
  importRowsPerSecond: number;
  bareRowsPerSecond: number;
  countsMs: number;
  bareCountMs: number;
  countsOk: boolean;
}

/** Eval-style and import-style writes through the store, then the counts; every run's top-1 checked against the generator. */
async function storeWrites(makeDb: (name: string) => string, bare: (db: string, runs: number[]) => Promise<{ ms: number; countMs: number }>): Promise<Writes> {
  const owner = { id: 'bench:1', leaseSeconds: 60 };
  // (a) eval: 128-row batches, each one transaction with the lease renewed
  const a = await prepare(makeDb('eval'));
  let t = performance.now();
  for (const [r, runId] of a.runs.entries()) {
    await a.store.leaseRun(runId, owner);
    for (let start = 0; start < PER_RUN; start += EVAL_BATCH) {
      const rows: PredictionRow[] = [];
      for (let idx = start; idx < Math.min(PER_RUN, start + EVAL_BATCH); idx++) rows.push(prediction(r, idx));
      await a.store.writePredictions(runId, rows, owner);
    }
    await a.store.finishRun(runId, null);
  }
  const evalMs = performance.now() - t;
  t = performance.now();
  const counts = await a.store.counts();
  const countsMs = performance.now() - t;
  const countsOk = counts.length === RUNS && counts.every((c) => c.top1Correct === expectedTop1(Number(c.model.slice('model-'.length))));
  await a.store.close();
  // (b) import: whole runs in one transaction
  const b = await prepare(makeDb('import'));
  t = performance.now();
  await b.store.transaction(async (tx) => {
    for (const [r, runId] of b.runs.entries()) {
      const rows: PredictionRow[] = [];
      for (let idx = 0; idx < PER_RUN; idx++) rows.push(prediction(r, idx));
      await tx.writePredictions(runId, rows);
      await tx.finishRun(runId, null);
    }
  });
  const importMs = performance.now() - t;
  await b.store.close();
  // baseline: the bare driver, same rows, same table
  const c = await prepare(makeDb('bare'));
  const bareDb = makeDb('bare');
  await c.store.close();
  const baseline = await bare(bareDb, c.runs);
  return {
    evalRowsPerSecond: TOTAL / (evalMs / 1000),
    importRowsPerSecond: TOTAL / (importMs / 1000),
    bareRowsPerSecond: TOTAL / (baseline.ms / 1000),
    countsMs,
    bareCountMs: baseline.countMs,
    countsOk,
  };
}

/** The rows counted by the driver, one aggregate over every prediction (what a store without kept counts must do). */
const BARE_COUNT_SQL = `SELECT p.run_id, COUNT(*) AS n, SUM(CASE WHEN p.error IS NULL AND p.top1 = i.label THEN 1 ELSE 0 END) AS top1
  FROM predictions p JOIN runs r ON r.id = p.run_id JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx GROUP BY p.run_id`;

async function bareSqlite(path: string, runs: number[]): Promise<{ ms: number; countMs: number }> {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare('INSERT INTO predictions (run_id, idx, top1, topk, scores, logits, error) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const t = performance.now();
  db.transaction(() => {
    for (const [r, runId] of runs.entries()) for (let idx = 0; idx < PER_RUN; idx++) insert.run(...rowValues(runId, prediction(r, idx)));
  })();
  const ms = performance.now() - t;
  const t2 = performance.now();
  db.prepare(BARE_COUNT_SQL).all();
  const countMs = performance.now() - t2;
  db.close();
  return { ms, countMs };
}

async function barePostgres(url: string, runs: number[]): Promise<{ ms: number; countMs: number }> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema')!;
  parsed.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: parsed.toString(), options: `-c search_path=${schema}` });
  await client.connect();
  const tuple = (k: number) => `(${Array.from({ length: 7 }, (_, j) => `$${k * 7 + j + 1}`).join(', ')})`;
  const t = performance.now();
  await client.query('BEGIN');
  for (const [r, runId] of runs.entries()) {
    for (let start = 0; start < PER_RUN; start += PG_ROWS_PER_STATEMENT) {
      const n = Math.min(PG_ROWS_PER_STATEMENT, PER_RUN - start);
      const params: unknown[] = [];
      for (let idx = start; idx < start + n; idx++) params.push(...rowValues(runId, prediction(r, idx)));
      await client.query(
        `INSERT INTO predictions (run_id, idx, top1, topk, scores, logits, error) VALUES ${Array.from({ length: n }, (_, k) => tuple(k)).join(', ')}`,
        params,
      );
    }
  }
  await client.query('COMMIT');
  const ms = performance.now() - t;
  const t2 = performance.now();
  await client.query(BARE_COUNT_SQL);
  const countMs = performance.now() - t2;
  await client.end();
  return { ms, countMs };
}

/** The SQL of `ResultsStore.score` before issue 12: each run counted from its rows on every first read. */
const OLD_SCORE_SQL = `SELECT r.id,
  (SELECT COUNT(*) FROM predictions p WHERE p.run_id = r.id AND p.error IS NOT NULL) AS failed,
  (SELECT COUNT(*) FROM predictions p JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx WHERE p.run_id = r.id AND p.error IS NULL AND p.top1 = i.label) AS top1Correct,
  (SELECT COUNT(*) FROM predictions p JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx WHERE p.run_id = r.id AND p.error IS NULL
     AND EXISTS (SELECT 1 FROM json_each(p.topk) j WHERE j.key < 5 AND j.value = i.label)) AS top5Correct,
  (SELECT COUNT(*) FROM predictions p WHERE p.run_id = r.id AND p.error IS NULL AND json_array_length(p.topk) < 5) AS short
  FROM runs r WHERE r.id = ?`;

interface Recount {
  importS: number;
  beforeMs: number[];
  afterMs: number[];
  same: boolean;
  runs: number;
}

/** The 52 imported runs: the old per-run recount (SQLite only) vs the kept counts. */
async function recount52(db: string, sqlitePath: string | null): Promise<Recount | null> {
  const shared = join(process.env.RETEST_SHARED ?? join(import.meta.dirname, '..', '..', 'shared'), 'data');
  if (!existsSync(join(shared, 'imagenetv2-predictions'))) return null;
  const store = await openResultsStore(db);
  const t0 = performance.now();
  await writeImportBatch(store, readImagenetV2Predictions(join(shared, 'imagenetv2-predictions'), { metadata: join(shared, 'imagenet') }));
  const importS = (performance.now() - t0) / 1000;
  const afterMs: number[] = [];
  let kept = await store.counts();
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    kept = await store.counts();
    afterMs.push(performance.now() - t);
  }
  await store.close();
  const beforeMs: number[] = [];
  let same = true;
  if (sqlitePath !== null) {
    const raw = new Database(sqlitePath);
    const score = raw.prepare(OLD_SCORE_SQL);
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      const old = kept.map((c) => score.get(c.runId) as { top1Correct: number; top5Correct: number; short: number });
      beforeMs.push(performance.now() - t);
      same &&= old.every((o, i) => o.top1Correct === kept[i]!.top1Correct && (o.short > 0 ? null : o.top5Correct) === kept[i]!.top5Correct);
    }
    raw.close();
  }
  return { importS, beforeMs, afterMs, same, runs: kept.length };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const rate = (x: number) => Math.round(x).toLocaleString('en-US');

// ---- run
const dir = mkdtempSync(join(tmpdir(), 'retest-bench-store-'));
log(`${TOTAL.toLocaleString('en-US')} prediction rows (${RUNS} runs × ${PER_RUN.toLocaleString('en-US')} images), load ${loadavg()[0]!.toFixed(1)}`);
const sqlite = await storeWrites((name) => join(dir, `${name}.db`), bareSqlite);
log(
  `SQLite      eval-style ${rate(sqlite.evalRowsPerSecond)} rows/s, import-style ${rate(sqlite.importRowsPerSecond)} rows/s, bare better-sqlite3 ${rate(sqlite.bareRowsPerSecond)} rows/s; counts ${sqlite.countsMs.toFixed(1)} ms (kept) vs ${sqlite.bareCountMs.toFixed(0)} ms counting the rows${sqlite.countsOk ? '' : ' — COUNTS WRONG'}`,
);
const sqliteRecount = await recount52(join(dir, 'imported.db'), join(dir, 'imported.db'));
if (sqliteRecount)
  log(
    `SQLite      52 imported runs: import ${sqliteRecount.importS.toFixed(1)} s; recount before ${median(sqliteRecount.beforeMs).toFixed(0)} ms, counts now ${median(sqliteRecount.afterMs).toFixed(2)} ms (${(median(sqliteRecount.beforeMs) / median(sqliteRecount.afterMs)).toFixed(0)}× faster)${sqliteRecount.same ? '' : ' — COUNTS DIFFER'}`,
  );
else log('52-run recount skipped: ../shared/data/imagenetv2-predictions not found');

let postgres: Writes | null = null;
let postgresRecount: Recount | null = null;
let postgresWhere = 'not run (--no-postgres)';
if (!values['no-postgres']) {
  const server = process.env.RETEST_BENCH_POSTGRES_URL
    ? { url: process.env.RETEST_BENCH_POSTGRES_URL, why: '' }
    : await startPostgres().catch((error: Error) => ({ url: '', why: error.message }));
  postgresWhere = server.url
    ? process.env.RETEST_BENCH_POSTGRES_URL
      ? 'RETEST_BENCH_POSTGRES_URL'
      : 'throwaway local server, fsync off as in the tests'
    : `unavailable: ${server.why}`;
  if (server.url) {
    const schemas: string[] = [];
    const url = (name: string) => {
      const schema = `bench_store_${process.pid}_${name}`;
      if (!schemas.includes(schema)) schemas.push(schema);
      return `${server.url}${server.url.includes('?') ? '&' : '?'}schema=${schema}`;
    };
    try {
      postgres = await storeWrites(url, barePostgres);
      log(
        `PostgreSQL  eval-style ${rate(postgres.evalRowsPerSecond)} rows/s, import-style ${rate(postgres.importRowsPerSecond)} rows/s, bare pg ${rate(postgres.bareRowsPerSecond)} rows/s; counts ${postgres.countsMs.toFixed(1)} ms (kept) vs ${postgres.bareCountMs.toFixed(0)} ms counting the rows${postgres.countsOk ? '' : ' — COUNTS WRONG'}`,
      );
      postgresRecount = await recount52(url('imported'), null);
      if (postgresRecount)
        log(`PostgreSQL  52 imported runs: import ${postgresRecount.importS.toFixed(1)} s; counts ${median(postgresRecount.afterMs).toFixed(2)} ms`);
    } finally {
      const client = new pg.Client({ connectionString: server.url.replace(/\?.*$/, '') });
      await client.connect();
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      await stopStartedServers();
    }
  } else log(`PostgreSQL  ${postgresWhere}`);
}
rmSync(dir, { recursive: true, force: true });

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical cores), Node ${process.version}`;
const speedup = sqliteRecount ? median(sqliteRecount.beforeMs) / median(sqliteRecount.afterMs) : null;
const result = {
  rows: TOTAL,
  sqlite,
  postgres,
  recount: sqliteRecount && {
    before_ms: median(sqliteRecount.beforeMs),
    after_ms: median(sqliteRecount.afterMs),
    speedup,
    same: sqliteRecount.same,
    import_s: sqliteRecount.importS,
  },
  postgres_recount: postgresRecount && { after_ms: median(postgresRecount.afterMs), import_s: postgresRecount.importS },
  postgres_server: postgresWhere,
  machine,
  load: loadavg()[0],
};
if (values.json) console.log(JSON.stringify(result));
if (!(sqlite.countsOk && (postgres?.countsOk ?? true) && (sqliteRecount?.same ?? true))) process.exitCode = 1;

if (!values['no-write']) {
  const row = (backend: string, w: Writes | null, bare: string) =>
    w === null
      ? `| ${backend} | — | — | — | — | — |`
      : `| ${backend} | ${rate(w.evalRowsPerSecond)} (${(w.evalRowsPerSecond / w.bareRowsPerSecond).toFixed(2)}×) | ${rate(w.importRowsPerSecond)} (${(w.importRowsPerSecond / w.bareRowsPerSecond).toFixed(2)}×) | ${rate(w.bareRowsPerSecond)} (${bare}) | ${w.countsMs.toFixed(1)} ms | ${w.bareCountMs.toFixed(0)} ms |`;
  const file = join(import.meta.dirname, '..', 'docs', 'benchmarks', 'store.md');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `# Benchmark: the results store on SQLite and PostgreSQL (\`npm run bench:store\`)

What: ${TOTAL.toLocaleString('en-US')} prediction rows (${RUNS} runs × a ${PER_RUN.toLocaleString('en-US')}-image set; top-5 classes and
their scores per image, as \`retest eval\` stores them) written through \`ResultsStore.writePredictions\`
(src/results/sql-store.ts), once as \`retest eval\` writes (batches of ${EVAL_BATCH}, each its own transaction that also
renews the run's lease and adds the batch to the run's counts) and once as \`retest import\` writes (whole
runs in one transaction). Baseline, in the same run into the same table: the bare driver —
better-sqlite3 prepared inserts in one transaction; pg multi-row inserts (${PG_ROWS_PER_STATEMENT.toLocaleString('en-US')} rows per statement) in
one transaction. Then the counts: \`ResultsStore.counts()\` reads the counts each run keeps, next to
the driver counting the rows (one aggregate over every prediction, what a store without kept counts
has to do).

| backend | store, eval-style (rows/s, × bare) | store, import-style | bare driver | counts (kept) | driver counting ${TOTAL.toLocaleString('en-US')} rows |
|---|---:|---:|---:|---:|---:|
${row('SQLite (WAL, synchronous=NORMAL)', sqlite, 'better-sqlite3, prepared')}
${row(`PostgreSQL (${postgresWhere})`, postgres, 'pg, multi-row')}

Every run's top-1 count read back equals the count computed from the generator: ${sqlite.countsOk && (postgres?.countsOk ?? true) ? 'yes' : '**NO**'}.
${
  sqliteRecount === null
    ? '\nThe 52-run recount needs ../shared/data/imagenetv2-predictions (not found in this run).\n'
    : `
## The recount of 52 imported runs

The authors' 13 ImageNet models × 4 sets (1,040,000 prediction rows) imported into a fresh store
(\`retest import imagenetv2\`, one transaction): ${sqliteRecount.importS.toFixed(1)} s on SQLite${postgresRecount ? `, ${postgresRecount.importS.toFixed(1)} s on PostgreSQL` : ''}.
Before issue 12 the first \`analyze\`/\`report\` counted every run from its rows (the SQL of the old
\`ResultsStore.score\`, four aggregates per run with \`json_each\` for top-5), run here on the same
store; now the store keeps each run's counts as its rows are written, and \`counts()\` reads 52 rows.

| SQLite | time (median) |
|---|---:|
| before: recount of the 52 runs from their rows | ${median(sqliteRecount.beforeMs).toFixed(0)} ms |
| now: \`ResultsStore.counts()\` | ${median(sqliteRecount.afterMs).toFixed(2)} ms |

**${speedup!.toFixed(0)}× faster** (goal ≥ 5×); the counts are the same: ${sqliteRecount.same ? 'yes' : '**NO**'}.${postgresRecount ? ` On PostgreSQL \`counts()\` takes ${median(postgresRecount.afterMs).toFixed(2)} ms.` : ''}
The issue quoted 8 s for this recount on an earlier machine; on the machine of the figures above, the
code before issue 12 itself (\`storeCounts\` after dropping its cache, three rounds) took 1.7–2.1 s.
A store written by an earlier retest is counted once, when it is first opened (migration
\`results-003-run-counts\`, one aggregate over its rows).
`
}
Machine: ${machine}, load average ${loadavg()[0]!.toFixed(1)} at the end; a shared machine, so absolute
figures vary between runs — compare the ratios measured in the same run. The throwaway PostgreSQL
server runs with fsync off (as in the tests); a durable server adds a flush per commit, which the
eval-style writes (one commit per batch) feel most.

Command:

\`\`\`
npm run bench:store                        # writes this file
npm run bench:store -- --rows 200000 --json
RETEST_BENCH_POSTGRES_URL=postgres://me@db.example/retest npm run bench:store
\`\`\`
`,
  );
  log(`wrote ${file}`);
}
