/**
 * The near-duplicate stage's workspace tables (DESIGN §1.5).
 *
 * - `dedup_neighbours`: the top-k neighbours of every candidate per metric, as the last
 *   `retest dedup search` found them (re-running a metric replaces that metric's rows).
 * - `dedup_decisions`: every human judgement, append-only; the latest row per pair is in force.
 * - `dedup_status`: the outcome per image, read by SAMPLE's eligibility: 'pending' (something
 *   closer than a threshold is still unreviewed, or a metric has not searched it), 'clear', or
 *   'duplicate' (excluded).
 * - `dedup_searches`: (candidate, metric) pairs that have been searched.
 * - `dedup_keepers`: manual keepers of candidates-only duplicate components.
 *
 * A neighbour is named by (set, id): set 'workspace' means `images.id`; any other set is a
 * reference dataset outside the workspace (e.g. `cifar10-train`) and id is its 0-based record index.
 */
import type { Migration } from '../store/index.ts';

export const dedupMigrations: Migration[] = [
  {
    name: 'dedup-001-initial',
    sql: `
      CREATE TABLE dedup_neighbours (
        candidate_id TEXT NOT NULL,           -- images.id of the candidate whose neighbours these are
        metric TEXT NOT NULL,                 -- 'pixels', 'pixels-std', 'features:<model>#<tensor>', 'dssim'
        rank INTEGER NOT NULL,                -- 0-based, closest first
        neighbour_set TEXT NOT NULL,          -- 'workspace' or an external reference set's name
        neighbour_id TEXT NOT NULL,           -- images.id, or the record index in that set
        neighbour_role TEXT NOT NULL CHECK (neighbour_role IN ('candidate', 'reference')),
        neighbour_path TEXT,                  -- image shown to reviewers, relative to the workspace
        distance REAL NOT NULL,               -- in the metric's own units (squared L2 at the descriptor's scale)
        threshold REAL,                       -- the review threshold in force when searched (NULL: none)
        searched_at TEXT NOT NULL,
        PRIMARY KEY (candidate_id, metric, rank)
      ) WITHOUT ROWID;
      CREATE INDEX dedup_neighbours_by_neighbour ON dedup_neighbours (neighbour_set, neighbour_id);

      CREATE TABLE dedup_decisions (
        id INTEGER PRIMARY KEY,
        candidate_id TEXT NOT NULL,
        neighbour_set TEXT NOT NULL,
        neighbour_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('duplicate', 'not_duplicate')),
        reviewer TEXT NOT NULL,
        decided_at TEXT NOT NULL
      );
      CREATE INDEX dedup_decisions_by_pair ON dedup_decisions (candidate_id, neighbour_set, neighbour_id, id);

      CREATE TABLE dedup_status (
        image_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('pending', 'clear', 'duplicate')),
        reason TEXT,                          -- why, in words ("component touches reference …", "kept: lowest id of 3")
        component TEXT,                       -- the lowest image id of its duplicate component, if any
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    name: 'dedup-002-searches-keepers',
    sql: `
      -- Which candidates each metric has searched (a candidate lacking any metric searched in the
      -- workspace is never eligible: no results is not "no duplicates").
      CREATE TABLE dedup_searches (
        candidate_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        searched_at TEXT NOT NULL,
        PRIMARY KEY (candidate_id, metric)
      ) WITHOUT ROWID;
      INSERT OR IGNORE INTO dedup_searches (candidate_id, metric, searched_at)
        SELECT candidate_id, metric, MAX(searched_at) FROM dedup_neighbours GROUP BY candidate_id, metric;

      -- Manual keepers of candidates-only duplicate components (the authors' resolution override).
      CREATE TABLE dedup_keepers (
        image_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
