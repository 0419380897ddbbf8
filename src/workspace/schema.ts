import type { Migration } from '../store/index.ts';

/**
 * COLLECT's core workspace tables: classes, images (candidates and references), ingest failures.
 * Columns beyond the team plan are listed in src/workspace/types.ts.
 */
export const workspaceMigrations: Migration[] = [
  {
    name: 'workspace-001-core',
    sql: `
      CREATE TABLE classes (
        idx INTEGER PRIMARY KEY,            -- label index
        id TEXT NOT NULL UNIQUE,            -- wnid or name
        names TEXT NOT NULL,                -- JSON array of names (lemmas)
        definition TEXT NOT NULL,           -- gloss
        urls TEXT NOT NULL,                 -- JSON array of reference URLs
        similar TEXT NOT NULL,              -- JSON array of the most similar classes' ids
        hypernyms TEXT NOT NULL DEFAULT '[]', -- JSON array of hypernym ids
        hypernym_names TEXT NOT NULL DEFAULT '[]' -- JSON array of the hypernyms' lemmas
      );
      CREATE TABLE images (
        id TEXT PRIMARY KEY,                -- sha1(source photo id + source)
        role TEXT NOT NULL CHECK (role IN ('candidate', 'reference')),
        class_idx INTEGER NOT NULL REFERENCES classes(idx),
        source TEXT NOT NULL,
        source_id TEXT NOT NULL,
        url TEXT,
        keyword TEXT,
        sha256 TEXT NOT NULL,
        exact_duplicate_of TEXT,            -- id of the first image with the same content (no FK: rows may be removed)
        original_path TEXT NOT NULL,        -- relative to the workspace
        display_path TEXT NOT NULL,         -- longer side 500, JPEG q90
        square_path TEXT NOT NULL,          -- 256x256 squashed PNG
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        uploaded_at TEXT,
        taken_at TEXT,
        created_at TEXT NOT NULL,
        format TEXT,
        bytes INTEGER,
        UNIQUE (source, source_id, class_idx)
      );
      CREATE INDEX images_class_role ON images (class_idx, role);
      CREATE INDEX images_sha256 ON images (sha256);
      CREATE TABLE ingest_failures (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        source_id TEXT NOT NULL,
        class_idx INTEGER,
        url_or_path TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX ingest_failures_source ON ingest_failures (source, source_id);
    `,
  },
];
