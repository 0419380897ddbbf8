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
 * - `tasks.live_count` (label-002): the task's live assignments — open, submitted or approved, of a
 *   worker who is not rejected. Triggers on `assignments` and `label_workers` keep it exact inside
 *   the writing statement, whoever writes (claims, submits, expiry, reviews, imports), so a claim
 *   reads the first entries of `tasks_needing_answers` instead of counting assignments per task.
 *
 * Image ids are `images.id` (COLLECT's table); there is no foreign key so the label stage can be
 * used (and tested) on its own.
 */
import type { SqlMigration } from '../store/index.ts';

export const labelMigrations: SqlMigration[] = [
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
  {
    // Claims whose cost does not grow with the number of full tasks: a live count per task, kept by
    // triggers in the same statement (and so the same transaction) as every write that changes it;
    // indexes that let a claim skip full tasks and find open claims without scanning; and
    // answers_image dropped (no query reads it; it doubled the cost of answer imports). SQLite has
    // triggers; PostgreSQL the same counts as PL/pgSQL row-trigger functions (same statement too).
    name: 'label-002-live-count',
    sql: {
      sqlite: `
      ALTER TABLE tasks ADD COLUMN live_count INTEGER NOT NULL DEFAULT 0 CHECK (live_count >= 0);
      UPDATE tasks SET live_count = (
        SELECT COUNT(*) FROM assignments a
        WHERE a.task_id = tasks.id AND a.status IN ('open', 'submitted', 'approved')
          AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = a.worker_hash AND w.status = 'rejected'));

      -- Tasks that still need answers, in claim order (the default claim reads its first entries).
      CREATE INDEX tasks_needing_answers ON tasks (seq) WHERE live_count < assignments_wanted;
      -- For claims with an N that overrides the tasks' own (retest serve --assignments N).
      CREATE INDEX tasks_live_count ON tasks (live_count, seq);
      -- Open claims by expiry: expiring lapsed claims reads only those.
      CREATE INDEX assignments_open_expiry ON assignments (expires_at) WHERE status = 'open';
      -- A worker's open claim (resumed by the next claim) without reading their whole history.
      CREATE INDEX assignments_open_worker ON assignments (worker_hash) WHERE status = 'open';
      DROP INDEX answers_image;

      CREATE TRIGGER assignments_live_insert AFTER INSERT ON assignments
      WHEN new.status IN ('open', 'submitted', 'approved')
        AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = new.worker_hash AND w.status = 'rejected')
      BEGIN
        UPDATE tasks SET live_count = live_count + 1 WHERE id = new.task_id;
      END;

      CREATE TRIGGER assignments_live_delete AFTER DELETE ON assignments
      WHEN old.status IN ('open', 'submitted', 'approved')
        AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = old.worker_hash AND w.status = 'rejected')
      BEGIN
        UPDATE tasks SET live_count = live_count - 1 WHERE id = old.task_id;
      END;

      CREATE TRIGGER assignments_live_update AFTER UPDATE OF status, task_id, worker_hash ON assignments
      WHEN old.task_id IS NOT new.task_id OR old.worker_hash IS NOT new.worker_hash
        OR (old.status IN ('open', 'submitted', 'approved')) <> (new.status IN ('open', 'submitted', 'approved'))
      BEGIN
        UPDATE tasks SET live_count = live_count - 1 WHERE id = old.task_id
          AND old.status IN ('open', 'submitted', 'approved')
          AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = old.worker_hash AND w.status = 'rejected');
        UPDATE tasks SET live_count = live_count + 1 WHERE id = new.task_id
          AND new.status IN ('open', 'submitted', 'approved')
          AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = new.worker_hash AND w.status = 'rejected');
      END;

      -- A worker's rejection frees the slots of all their live assignments; approval (or removal) restores them.
      CREATE TRIGGER label_workers_live_insert AFTER INSERT ON label_workers
      WHEN new.status = 'rejected'
      BEGIN
        UPDATE tasks SET live_count = live_count - 1 WHERE id IN (
          SELECT task_id FROM assignments WHERE worker_hash = new.worker_hash AND status IN ('open', 'submitted', 'approved'));
      END;

      CREATE TRIGGER label_workers_live_delete AFTER DELETE ON label_workers
      WHEN old.status = 'rejected'
      BEGIN
        UPDATE tasks SET live_count = live_count + 1 WHERE id IN (
          SELECT task_id FROM assignments WHERE worker_hash = old.worker_hash AND status IN ('open', 'submitted', 'approved'));
      END;

      CREATE TRIGGER label_workers_live_update AFTER UPDATE OF status, worker_hash ON label_workers
      WHEN old.worker_hash IS NOT new.worker_hash OR (old.status = 'rejected') <> (new.status = 'rejected')
      BEGIN
        UPDATE tasks SET live_count = live_count + 1 WHERE old.status = 'rejected' AND id IN (
          SELECT task_id FROM assignments WHERE worker_hash = old.worker_hash AND status IN ('open', 'submitted', 'approved'));
        UPDATE tasks SET live_count = live_count - 1 WHERE new.status = 'rejected' AND id IN (
          SELECT task_id FROM assignments WHERE worker_hash = new.worker_hash AND status IN ('open', 'submitted', 'approved'));
      END;
    `,
      postgres: `
      ALTER TABLE tasks ADD COLUMN live_count BIGINT NOT NULL DEFAULT 0 CHECK (live_count >= 0);
      UPDATE tasks SET live_count = (
        SELECT COUNT(*) FROM assignments a
        WHERE a.task_id = tasks.id AND a.status IN ('open', 'submitted', 'approved')
          AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = a.worker_hash AND w.status = 'rejected'));
      CREATE INDEX tasks_needing_answers ON tasks (seq) WHERE live_count < assignments_wanted;
      CREATE INDEX tasks_live_count ON tasks (live_count, seq);
      CREATE INDEX assignments_open_expiry ON assignments (expires_at) WHERE status = 'open';
      CREATE INDEX assignments_open_worker ON assignments (worker_hash) WHERE status = 'open';
      DROP INDEX answers_image;

      -- The same counts as SQLite's triggers, as PL/pgSQL trigger functions (row-level, in the writing statement).
      CREATE FUNCTION label_slot_live(st TEXT, worker TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $f$
        SELECT st IN ('open', 'submitted', 'approved')
          AND NOT EXISTS (SELECT 1 FROM label_workers w WHERE w.worker_hash = worker AND w.status = 'rejected')
      $f$;

      CREATE FUNCTION label_assignments_live() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND label_slot_live(OLD.status, OLD.worker_hash) THEN
          UPDATE tasks SET live_count = live_count - 1 WHERE id = OLD.task_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND label_slot_live(NEW.status, NEW.worker_hash) THEN
          UPDATE tasks SET live_count = live_count + 1 WHERE id = NEW.task_id;
        END IF;
        RETURN NULL;
      END
      $f$;
      CREATE TRIGGER assignments_live AFTER INSERT OR DELETE OR UPDATE OF status, task_id, worker_hash ON assignments
        FOR EACH ROW EXECUTE FUNCTION label_assignments_live();

      CREATE FUNCTION label_workers_live() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'rejected' THEN
          UPDATE tasks SET live_count = live_count + 1 WHERE id IN (
            SELECT task_id FROM assignments WHERE worker_hash = OLD.worker_hash AND status IN ('open', 'submitted', 'approved'));
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'rejected' THEN
          UPDATE tasks SET live_count = live_count - 1 WHERE id IN (
            SELECT task_id FROM assignments WHERE worker_hash = NEW.worker_hash AND status IN ('open', 'submitted', 'approved'));
        END IF;
        RETURN NULL;
      END
      $f$;
      CREATE TRIGGER label_workers_live AFTER INSERT OR DELETE OR UPDATE OF status, worker_hash ON label_workers
        FOR EACH ROW EXECUTE FUNCTION label_workers_live();
    `,
    },
  },
];

/** The adaptive rounds' tables (`retest tasks create --adaptive`); applied with the other label migrations, and again (a no-op) before a round. */
export const adaptiveMigrations: SqlMigration[] = [
  {
    name: 'label-adaptive-001',
    sql: `
      CREATE TABLE label_adaptive_rounds (
        round INTEGER PRIMARY KEY,          -- 1, 2, … in creation order
        created_at TEXT NOT NULL,
        budget INTEGER NOT NULL,            -- the total budget given to this round (--budget)
        scheduled INTEGER NOT NULL,         -- candidate answers this round asked for (Σ images × assignments)
        params TEXT NOT NULL                -- JSON: edges, minAnswers, maxAnswers, step, epsilon, seed
      );
      CREATE TABLE label_adaptive_tasks (
        task_id TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        round INTEGER NOT NULL REFERENCES label_adaptive_rounds(round)
      ) WITHOUT ROWID;
    `,
  },
];
