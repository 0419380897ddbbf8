/**
 * The results store's tables, as named migrations (applied once each, in this order, by
 * `migrate` in src/store). Every name that shipped stays, so a store written by an earlier retest
 * opens with its data: `analysis-001-run-counts` (the analysis stage's cache) and
 * `import-accuracies-001` (published accuracy tables) were applied lazily by those stages before
 * issue 12 and now belong here. The SQLite text of a shipped migration is kept as it shipped; the
 * PostgreSQL text is derived from it (`postgresDdl`) or written out where the dialects differ.
 *
 * One row per (run, image) in `predictions`, so every metric can be recomputed later; each run
 * keeps its counts beside it (results-003), so reading them never rescans the predictions.
 */
import { translateDdl, type SqlMigration } from '../store/index.ts';

/**
 * PostgreSQL text of SQLite DDL whose ids are `INTEGER PRIMARY KEY` (SQLite's rowid alias, assigned
 * on insert): an identity column there, then the usual storage-class translation.
 */
function postgresDdl(sqlite: string): string {
  return translateDdl(sqlite.replace(/\bid INTEGER PRIMARY KEY\b(?!\s+AUTOINCREMENT)/g, 'id INTEGER PRIMARY KEY AUTOINCREMENT'));
}

const INITIAL = `
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,          -- canonical test-set name (cifar10-test, imagenetv2-matched-frequency, ...)
        size INTEGER NOT NULL,              -- number of images
        num_classes INTEGER NOT NULL,
        source TEXT NOT NULL,               -- path or URL the images/labels were read from
        fingerprint TEXT NOT NULL,          -- sha256 over (image_id, label) in order: a changed set under the same name is refused
        created_at TEXT NOT NULL
      );
      CREATE TABLE images (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,               -- 0-based position in dataset order
        image_id TEXT NOT NULL,             -- stable id: file stem for image folders, the index for arrays
        label INTEGER NOT NULL,             -- class index
        PRIMARY KEY (dataset_id, idx)
      ) WITHOUT ROWID;
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('onnx', 'imported')),
        path TEXT,                          -- the ONNX file, or the predictions file(s) imported
        sha256 TEXT,                        -- of the ONNX file
        created_at TEXT NOT NULL
      );
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        config_hash TEXT NOT NULL,          -- sha256 of the canonical JSON config (preprocessing, top-k, ...)
        config TEXT NOT NULL,               -- that JSON
        status TEXT NOT NULL CHECK (status IN ('running', 'done')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        images_per_second REAL,             -- of the last process that worked on the run
        UNIQUE (model_id, dataset_id, config_hash)
      );
      CREATE TABLE predictions (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,               -- image position in the dataset
        top1 INTEGER,                       -- NULL when the image failed
        topk TEXT,                          -- JSON array of class indices, best first
        scores TEXT,                        -- JSON array of the scores of topk; NULL when imported without scores
        logits BLOB,                        -- float32 little-endian, only with --save-logits
        error TEXT,                         -- why the image failed (unreadable file, ...)
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;
    `;

const PUBLISHED_ACCURACIES = `
      CREATE TABLE published_accuracies (
        id INTEGER PRIMARY KEY,
        model TEXT NOT NULL,                -- the key cells joined by '@'
        test_set TEXT NOT NULL,             -- canonical test-set name
        n INTEGER NOT NULL,                 -- images in the test set
        top1_correct INTEGER NOT NULL,      -- round(top1_accuracy × n)
        top5_correct INTEGER,               -- round(top5_accuracy × n); NULL when not published
        top1_accuracy REAL NOT NULL,        -- as published, as a fraction
        top5_accuracy REAL,
        collection TEXT NOT NULL,           -- name of the table (--collection), shown in reports
        source_file TEXT NOT NULL,
        source_line INTEGER NOT NULL,       -- 1 = header
        source_column TEXT NOT NULL,
        units TEXT NOT NULL CHECK (units IN ('percent', 'fraction')),
        kind TEXT NOT NULL DEFAULT 'published accuracy' CHECK (kind = 'published accuracy'),
        imported_at TEXT NOT NULL,
        UNIQUE (model, test_set)
      );
    `;

/** The count columns every run keeps (results-003), added the same way on both dialects. */
const RUN_COUNT_COLUMNS = `
      ALTER TABLE runs ADD COLUMN predicted INTEGER NOT NULL DEFAULT 0;     -- prediction rows written
      ALTER TABLE runs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;        -- of them, images that failed (counted wrong)
      ALTER TABLE runs ADD COLUMN top1_correct INTEGER NOT NULL DEFAULT 0;  -- first class = label (failed images excluded)
      ALTER TABLE runs ADD COLUMN top5_correct INTEGER NOT NULL DEFAULT 0;  -- label among the first 5 classes
      ALTER TABLE runs ADD COLUMN short_topk INTEGER NOT NULL DEFAULT 0;    -- images with fewer than 5 stored classes: top-5 unknown when > 0
    `;

/**
 * The counts of the runs a store already holds, computed once from their rows (the same rules as
 * `writePredictions`: a failed image is wrong; top-5 looks at the first 5 stored classes).
 */
const BACKFILL_SQLITE = `
      CREATE TEMP TABLE run_count_backfill AS
        SELECT p.run_id AS run_id,
          COUNT(*) AS predicted,
          SUM(CASE WHEN p.error IS NOT NULL THEN 1 ELSE 0 END) AS failed,
          SUM(CASE WHEN p.error IS NULL AND p.top1 = i.label THEN 1 ELSE 0 END) AS top1_correct,
          SUM(CASE WHEN p.error IS NULL AND EXISTS (SELECT 1 FROM json_each(p.topk) j WHERE j.key < 5 AND j.value = i.label) THEN 1 ELSE 0 END) AS top5_correct,
          SUM(CASE WHEN p.error IS NULL AND json_array_length(p.topk) < 5 THEN 1 ELSE 0 END) AS short_topk
        FROM predictions p JOIN runs r ON r.id = p.run_id LEFT JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx
        GROUP BY p.run_id;
      UPDATE runs SET predicted = c.predicted, failed = c.failed, top1_correct = c.top1_correct, top5_correct = c.top5_correct, short_topk = c.short_topk
        FROM run_count_backfill c WHERE c.run_id = runs.id;
      DROP TABLE run_count_backfill;
    `;

const BACKFILL_POSTGRES = `
      UPDATE runs SET predicted = c.predicted, failed = c.failed, top1_correct = c.top1_correct, top5_correct = c.top5_correct, short_topk = c.short_topk
        FROM (
          SELECT p.run_id AS run_id,
            COUNT(*) AS predicted,
            SUM(CASE WHEN p.error IS NOT NULL THEN 1 ELSE 0 END) AS failed,
            SUM(CASE WHEN p.error IS NULL AND p.top1 = i.label THEN 1 ELSE 0 END) AS top1_correct,
            SUM(CASE WHEN p.error IS NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.topk::jsonb) WITH ORDINALITY AS j(elem, ord)
              WHERE j.ord <= 5 AND j.elem = to_jsonb(i.label)) THEN 1 ELSE 0 END) AS top5_correct,
            SUM(CASE WHEN p.error IS NULL AND jsonb_array_length(p.topk::jsonb) < 5 THEN 1 ELSE 0 END) AS short_topk
          FROM predictions p JOIN runs r ON r.id = p.run_id LEFT JOIN images i ON i.dataset_id = r.dataset_id AND i.idx = p.idx
          GROUP BY p.run_id
        ) c WHERE c.run_id = runs.id;
    `;

/** Every migration of the results store, in order. */
export const RESULTS_MIGRATIONS: readonly SqlMigration[] = [
  { name: 'results-001-initial', sql: { sqlite: INITIAL, postgres: postgresDdl(INITIAL) } },
  {
    // Dataset identity covers content (issue 11): ids, labels and every image's pixels or file
    // bytes. Each content of a named set is its own `datasets` row (a version); the current one has
    // `name` = `base_name`, older ones are renamed `<base_name>@v<version>`, so every query by name
    // sees only the current version and a changed file's runs never mix with the old file's.
    // `owner`/`lease_until` keep two processes from working on one run at once.
    name: 'results-002-content-identity',
    sql: `
      ALTER TABLE datasets ADD COLUMN base_name TEXT;       -- the set's name; \`name\` equals it for the current version
      UPDATE datasets SET base_name = name;
      ALTER TABLE datasets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;  -- 1, 2, … in the order contents were first seen
      ALTER TABLE datasets ADD COLUMN content_hash TEXT;    -- sha256 over ids, labels and pixels/bytes; NULL: registered without images (imports)
      CREATE UNIQUE INDEX datasets_base_version ON datasets (base_name, version);
      ALTER TABLE runs ADD COLUMN owner TEXT;               -- "host:pid" of the process working on the run, NULL when none
      ALTER TABLE runs ADD COLUMN lease_until TEXT;         -- ISO time the owner's claim lapses unless renewed
    `,
  },
  {
    // Shipped with the analysis stage: a cache of each finished run's counts, filled on first read.
    // Superseded by the counts every run keeps (results-003, which drops it); kept by name so that
    // stores which applied it open.
    name: 'analysis-001-run-counts',
    sql: `
      CREATE TABLE analysis_run_counts (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,                 -- images in the dataset
        top1_correct INTEGER NOT NULL,
        top5_correct INTEGER,               -- NULL when fewer than 5 classes were stored for some image
        computed_at TEXT NOT NULL
      );
    `,
  },
  {
    // Published accuracies (`retest import accuracies`), apart from `runs`: a run has per-image
    // predictions, these only an accuracy, so nothing that reads per-image results can claim a
    // metric for them. Each row is marked kind = 'published accuracy'.
    name: 'import-accuracies-001',
    sql: { sqlite: PUBLISHED_ACCURACIES, postgres: postgresDdl(PUBLISHED_ACCURACIES) },
  },
  {
    // Each run keeps its counts, added batch by batch in the transaction that writes the batch, so
    // analyze/report/plan read 52 rows instead of rescanning a million predictions. Runs already
    // in the store are counted once here; the old cache goes.
    name: 'results-003-run-counts',
    sql: {
      sqlite: `${RUN_COUNT_COLUMNS}${BACKFILL_SQLITE}      DROP TABLE analysis_run_counts;\n`,
      postgres: `${translateDdl(RUN_COUNT_COLUMNS)}${BACKFILL_POSTGRES}      DROP TABLE analysis_run_counts;\n`,
    },
  },
  {
    // Provenance (issue 15): which execution providers and which retest versions wrote a run's
    // predictions (a resumed run may have several). The model file's hash (models.sha256), the
    // preprocessing (runs.config) and the test set's content (datasets.content_hash) were kept
    // already. Runs written before this migration have NULL: unknown.
    name: 'results-004-run-provenance',
    sql: `
      ALTER TABLE runs ADD COLUMN providers TEXT;           -- JSON array of execution providers ("cpu", "cuda:0"), in the order they first wrote
      ALTER TABLE runs ADD COLUMN retest_versions TEXT;     -- JSON array of the retest versions that wrote predictions
    `,
  },
];
