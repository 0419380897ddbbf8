/**
 * The labelling server's workspace tables (issue 5).
 *
 * - `server_labellers`: invited labellers. Only the sha256 of each invite token is stored; the token
 *   itself is printed once by `retest labellers invite`. `worker_hash` is the salted hash the label
 *   stage stores in `assignments.worker_hash` for this labeller (never the raw name).
 * - `server_secrets`: random keys created on first use — `image_key` (HMAC key of the per-assignment
 *   image tokens), `csrf_key` (HMAC key of CSRF tokens), `worker_salt` (salt of worker-id hashes
 *   when the label stage does not provide one) — and `admin_token_sha256` (the admin token's hash).
 * - `server_mturk`: MTurk ExternalQuestion assignments seen by the server, so that reloading the
 *   HIT page returns the same task; the MTurk worker id is stored only as its salted hash.
 * - `server_mturk_batches` / `server_mturk_hits` (server-002): MTurk mode's switch. `/mturk` serves
 *   only HITs the builder published (`retest mturk enable --batch B --hits FILE`) for a batch whose
 *   mode is on; with no batch on, MTurk mode is off and `/mturk` shows nothing.
 */
import type { Migration } from '../store/index.ts';

export const serverMigrations: Migration[] = [
  {
    name: 'server-001-initial',
    sql: `
      CREATE TABLE server_labellers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,            -- as given to \`retest labellers invite\`
        token_sha256 TEXT NOT NULL UNIQUE,    -- hex sha256 of the invite token
        worker_hash TEXT NOT NULL UNIQUE,     -- salted hash used in assignments.worker_hash
        created_at TEXT NOT NULL,
        revoked_at TEXT                       -- NULL while the link works
      );
      CREATE TABLE server_secrets (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE server_mturk (
        mturk_assignment_id TEXT PRIMARY KEY, -- MTurk's assignmentId
        assignment_id TEXT NOT NULL,          -- assignments.id claimed for it
        hit_id TEXT NOT NULL,
        worker_hash TEXT NOT NULL,            -- salted hash of MTurk's workerId
        turk_submit_to TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX server_mturk_assignment ON server_mturk (assignment_id);
    `,
  },
  {
    name: 'server-002-mturk-switch',
    sql: `
      CREATE TABLE server_mturk_batches (
        batch TEXT PRIMARY KEY,               -- tasks.batch served to MTurk
        enabled_at TEXT NOT NULL,
        disabled_at TEXT                      -- NULL while MTurk mode is on for the batch
      ) WITHOUT ROWID;
      CREATE TABLE server_mturk_hits (
        hit_id TEXT PRIMARY KEY,              -- a HITId the builder published (MTurk's id)
        batch TEXT NOT NULL REFERENCES server_mturk_batches(batch),
        published_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];
