import type { Migration } from './sqlite.ts';

/**
 * The results store: what `retest eval` writes and `retest import` / `analyze` / `report` read.
 * One row per (run, image) in `predictions`, so every metric can be recomputed later.
 */
export const resultsMigrations: Migration[] = [
  {
    name: 'results-001-initial',
    sql: `
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
    `,
  },
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
];
