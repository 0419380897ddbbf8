/**
 * The sampling stage's workspace tables (DESIGN §1.6).
 *
 * - `blacklist`: candidates a person excluded, with the reason (visual review, wrong class, …).
 * - `sample_revisions`: one row per sampling run: the function, its parameters (JSON), seed, parent
 *   revision, validity (every class full), short classes and the time. Never updated after insert.
 * - `sample_images`: the images of a revision in release order, with the frequency and answer count
 *   they were sampled with, and whether they were carried over from the parent.
 */
import type { Migration } from '../store/index.ts';

export const sampleMigrations: Migration[] = [
  {
    name: 'sample-001-initial',
    sql: `
      CREATE TABLE blacklist (
        image_id TEXT PRIMARY KEY,            -- images.id
        reason TEXT NOT NULL,
        by TEXT NOT NULL,                     -- who (free text: a name, 'visual-review', …)
        at TEXT NOT NULL                      -- ISO time
      ) WITHOUT ROWID;

      CREATE TABLE sample_revisions (
        id INTEGER PRIMARY KEY,               -- revision number, increasing
        function TEXT NOT NULL,               -- 'matched-frequency' | 'threshold' | 'top-images'
        parameters TEXT NOT NULL,             -- JSON: perClass, bins, tau, overrides, minAnswers, …
        seed INTEGER NOT NULL,
        parent_id INTEGER REFERENCES sample_revisions(id),
        valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
        short_classes TEXT NOT NULL,          -- JSON array of class indices
        size INTEGER NOT NULL,                -- images in the revision
        report TEXT NOT NULL,                 -- JSON: per-class outcome (targets, upward samples, notes), exclusions
        created_at TEXT NOT NULL
      );

      CREATE TABLE sample_images (
        revision_id INTEGER NOT NULL REFERENCES sample_revisions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,            -- release order (shuffled with the seed)
        image_id TEXT NOT NULL,
        class_idx INTEGER NOT NULL,
        frequency REAL NOT NULL,
        answers INTEGER NOT NULL,
        carried_over INTEGER NOT NULL CHECK (carried_over IN (0, 1)),
        PRIMARY KEY (revision_id, position),
        UNIQUE (revision_id, image_id)
      ) WITHOUT ROWID;
    `,
  },
];
