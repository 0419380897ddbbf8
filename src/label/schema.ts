/**
 * The labelling stage's workspace tables (DESIGN §1.3–1.4). Designed for both live web claims
 * (src/server claims one assignment at a time, with an expiry) and MTurk / JSONL imports.
 *
 * - `tasks`: one crowd task (HIT): a target class and its shuffled items. `kind` 'main' = 42
 *   candidates + 3 positive + 3 negative controls; 'reference' = 16/16/16 (brings every class to
 *   ≥ 20 reference images with ≥ 10 answers). `seq` orders claims (oldest first).
 * - `task_items`: the images a task shows, in display order. `token` is an opaque random string used
 *   in image URLs so that a labeller cannot tell candidates from controls.
 * - `assignments`: one worker's attempt at one task. A web claim creates an 'open' row with
 *   `expires_at`; submitting makes it 'submitted'; review makes it 'approved' or 'rejected'; an open
 *   row past `expires_at` becomes 'expired' (the slot returns to the pool). At most one row per
 *   (task, worker): a worker never answers the same task twice.
 * - `answers`: one row per (assignment, image shown): selected 1/0. Raw answers are never deleted;
 *   rejection only changes statuses.
 * - `label_workers`: review status per worker hash ('rejected' removes every answer of the worker
 *   from the frequencies at once, without touching the assignment rows).
 * - `label_settings`: key/value settings of the stage (the worker-id salt, created on first use).
 *
 * Image ids are `images.id` (COLLECT's table); there is no foreign key so the label stage can be
 * used (and tested) on its own.
 */
import type { Migration } from '../store/index.ts';

export const labelMigrations: Migration[] = [
  {
    name: 'label-001-initial',
    sql: `
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,                  -- opaque random id (hex), shown in URLs and MTurk CSVs
        seq INTEGER NOT NULL UNIQUE,          -- creation order; claims take the lowest seq first
        class_idx INTEGER NOT NULL,           -- the target class asked about
        kind TEXT NOT NULL CHECK (kind IN ('main', 'reference')),
        assignments_wanted INTEGER NOT NULL CHECK (assignments_wanted >= 1), -- N distinct workers
        batch TEXT NOT NULL,                  -- the 'retest tasks create' run that made it (seed + time)
        external_id TEXT UNIQUE,              -- MTurk HITId once known (NULL otherwise)
        created_at TEXT NOT NULL
      );
      CREATE INDEX tasks_class ON tasks (class_idx, kind);

      CREATE TABLE task_items (
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,            -- 0-based display position
        image_id TEXT NOT NULL,               -- images.id
        role TEXT NOT NULL CHECK (role IN ('candidate', 'positive', 'negative')),
        token TEXT NOT NULL UNIQUE,           -- opaque random (base64url, 128 bits)
        PRIMARY KEY (task_id, position),
        UNIQUE (task_id, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX task_items_image ON task_items (image_id);

      CREATE TABLE assignments (
        id TEXT PRIMARY KEY,                  -- opaque random id, or 'mturk:<AssignmentId>' for imports
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        worker_hash TEXT NOT NULL,            -- hashWorkerId(salt, raw id); never the raw id
        status TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'approved', 'rejected', 'expired')),
        source TEXT NOT NULL CHECK (source IN ('web', 'mturk', 'import')),
        claimed_at TEXT NOT NULL,             -- ISO time (MTurk: AcceptTime)
        expires_at TEXT,                      -- ISO time an open claim lapses; NULL: never
        submitted_at TEXT,                    -- ISO time (MTurk: SubmitTime)
        external_id TEXT UNIQUE,              -- MTurk AssignmentId / import id
        UNIQUE (task_id, worker_hash)
      );
      CREATE INDEX assignments_task_status ON assignments (task_id, status);
      CREATE INDEX assignments_worker ON assignments (worker_hash);

      CREATE TABLE answers (
        assignment_id TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
        image_id TEXT NOT NULL,
        selected INTEGER NOT NULL CHECK (selected IN (0, 1)),
        PRIMARY KEY (assignment_id, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX answers_image ON answers (image_id);

      CREATE TABLE label_workers (
        worker_hash TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('approved', 'rejected')),
        reason TEXT,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE label_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
