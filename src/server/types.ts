/**
 * Contracts of the labelling server (issue 5): options of `buildApp` / `startServer` and the
 * shapes the dashboard shows. Routes are listed in docs/labelling-app.md.
 */
import type { ImageCatalog } from '../catalog/index.ts';
import type { DedupContext } from '../dedup/index.ts';
import type { LabelStore } from '../label/index.ts';
import type { SampleStore } from '../sample/index.ts';
import type { Workspace } from '../workspace/index.ts';

/** The stage stores the server reads and writes through (built by the composition root, src/app/workspace-stores.ts). */
export interface ServerStores {
  /** The workspace's images and classes. */
  catalog: ImageCatalog;
  /** Blacklist and sample revisions. */
  sample: SampleStore;
  /** The label stage: claims, submissions, reviews, dashboard counts. */
  label: LabelStore;
  /** The server's own tables (labellers, secrets, MTurk mode). */
  server: ServerStore;
  /** The near-duplicate review (mounted under /admin/dedup). */
  dedup: DedupContext;
}

/** Named secrets in `server_secrets` (src/server/schema.ts). */
export type SecretName = 'image_key' | 'csrf_key' | 'worker_salt' | 'admin_token_sha256';

/** An MTurk ExternalQuestion assignment the server has seen (`server_mturk`). */
export interface MturkLink {
  /** MTurk's assignmentId. */
  mturkAssignmentId: string;
  /** Our `assignments.id` claimed for it. */
  assignmentId: string;
  /** MTurk's HITId. */
  hitId: string;
  /** Salted hash of MTurk's workerId (the raw id is never stored). */
  workerHash: string;
  /** The origin MTurk named in `turkSubmitTo` (an allowed one). */
  turkSubmitTo: string;
  /** ISO time first seen. */
  createdAt: string;
}

/** MTurk mode of one batch (`server_mturk_batches`, with its HIT count). */
export interface MturkBatchRow {
  /** `tasks.batch`. */
  batch: string;
  /** ISO time it was (last) turned on. */
  enabledAt: string;
  /** ISO time it was turned off, or null while it is on. */
  disabledAt: string | null;
  /** HITs recorded for it. */
  hits: number;
}

/**
 * The labelling server's own tables (`server_*`, src/server/schema.ts) on the database port: the
 * same calls on SQLite and PostgreSQL (src/server/sql-server-store.ts; conformance suite
 * test/server/store.conformance.test.ts). No database handle in a signature. Checks of what a
 * person typed (names, HIT ids) are the callers' (labellers.ts, mturk-mode.ts); this store only
 * keeps rows.
 */
export interface ServerStore {
  /** 'sqlite' or 'postgres'. */
  readonly backend: 'sqlite' | 'postgres';
  /** Where the database is (password removed), for messages. */
  readonly location: string;
  /** True when the database answers a trivial query (`/health`). */
  ping(): Promise<boolean>;
  /** A secret, created at random (32 bytes, hex) on first use; concurrent first uses (two processes) agree on one value. */
  secret(name: SecretName): Promise<string>;
  /** Overwrites a secret (the admin token's hash at each `retest serve`). */
  setSecret(name: SecretName, value: string, now?: Date): Promise<void>;
  /**
   * Stores invitations, all or none: a new name gets a row; a name already invited gets the new
   * token hash and time and is no longer revoked (its id and worker hash stay, so its answers stay
   * one worker's).
   */
  putLabellers(rows: readonly { name: string; tokenSha256: string; workerHash: string }[], now: Date): Promise<void>;
  /** The labeller whose token has this sha256 (hex), unless revoked; null when none. */
  labellerByTokenSha(tokenSha256: string): Promise<Labeller | null>;
  /** True when an invited labeller with this worker hash has a revoked link. */
  isRevoked(workerHash: string): Promise<boolean>;
  /** Every invited labeller, ordered by name (code point order). */
  listLabellers(): Promise<Labeller[]>;
  /** Revokes the named labellers' links (names not invited, or already revoked, are left alone); returns the worker hashes revoked now. */
  revokeLabellers(names: readonly string[], now: Date): Promise<string[]>;
  /** The MTurk assignment seen under this MTurk assignmentId, or undefined. */
  mturkLink(mturkAssignmentId: string): Promise<MturkLink | undefined>;
  /** Records an MTurk assignment (a second record of the same MTurk assignmentId is ignored: the first stays). */
  linkMturk(link: MturkLink): Promise<void>;
  /**
   * Turns MTurk mode on for `batch` (again, when it was off) and records HIT ids for it, all or
   * none. A HIT id already recorded for another batch is a usage error naming it. Returns how many
   * ids were new and the batch's HIT count after.
   */
  enableMturk(batch: string, hitIds: readonly string[], now: Date): Promise<{ added: number; hits: number }>;
  /** Turns MTurk mode off for `batch`, or for every batch when undefined; returns the batches turned off (that were on). */
  disableMturk(batch: string | undefined, now: Date): Promise<string[]>;
  /** Every batch MTurk mode was ever turned on for, by batch name. */
  mturkBatches(): Promise<MturkBatchRow[]>;
  /** The batch a HIT was recorded for, when MTurk mode is on for it; else null. */
  servedBatch(hitId: string): Promise<string | null>;
  /** Whether MTurk mode is on for this batch. */
  mturkOn(batch: string): Promise<boolean>;
  /** Whether MTurk mode is on for any batch. */
  mturkModeOn(): Promise<boolean>;
}

/** Options of `buildApp`. */
export interface ServerOptions {
  /** The open workspace the server reads and writes (its database is shared with the CLI). */
  workspace: Workspace;
  /** The workspace's stage stores (on the workspace's database). */
  stores: ServerStores;
  /** Name recorded with near-duplicate decisions made on /admin/dedup (default 'admin (dashboard)'). */
  dedupReviewer?: string;
  /** The admin token. When omitted a random one is generated; read it back from `app.retest.adminToken`. Its sha256 is stored in `server_secrets`. */
  adminToken?: string;
  /** Seconds an open assignment lasts before it goes back to the pool (default 600, as on MTurk). */
  assignmentTtlSeconds?: number;
  /** Answers wanted per task; default: each task's own `assignments_wanted` (N, 10 by default). */
  assignmentsPerTask?: number;
  /** Minimum valid answers before an image enters the dashboard histograms (default 10, DESIGN §1.4). */
  minAnswers?: number;
  /** Requests per minute allowed per token (labeller, admin, or assignment for images); default 1200. */
  rateLimitPerMinute?: number;
  /** Origins (scheme://host[:port]) that `turkSubmitTo` may name (default: MTurk production and sandbox). */
  mturkSubmitOrigins?: string[];
  /**
   * Fair queueing of labeller requests (src/server/fair-queue.ts): at most `concurrency` worked on at
   * once (default 64), the others wait, submissions before pages. One that waited longer than its
   * deadline gets 503 + Retry-After: `fairness` × the median service time (admission to response)
   * of the recent requests of its kind (default 8; never under 50 ms), and at most `pageDeadlineMs` for a new task (default
   * 1000) or `submitDeadlineMs` for a submission (default 5000). `concurrency: Infinity` turns the
   * queue off (every request at once).
   */
  queue?: {
    /** Requests worked on at once (default 64; Infinity: no queue). */
    concurrency?: number;
    /** Longest wait for a new task page before 503 (ms, default 1000). */
    pageDeadlineMs?: number;
    /** Longest wait for a submission before 503 (ms, default 5000). */
    submitDeadlineMs?: number;
    /** A request waits at most this many times its kind's recent median service time (default 8; Infinity: fixed deadlines only). */
    fairness?: number;
    /** Recent requests per kind whose service times make the median (default 8192). */
    medianWindow?: number;
  };
  /** Side in pixels of the square thumbnails served to labellers (default 320). */
  thumbnailSize?: number;
  /** Compute the dashboard's tables in a worker thread (default true; false computes them on the main thread). */
  dashboardWorker?: boolean;
  /**
   * Where the dashboard worker opens its own stores: the workspace database's location with what
   * the worker needs to connect (a PostgreSQL URL with its password, which `SqlDatabase.location`
   * leaves out). Default: the workspace's SQLite file; on PostgreSQL without it, the dashboard is
   * computed on the main thread.
   */
  database?: {
    /** The SQLite path or the PostgreSQL URL (with its password, if any). */
    location: string;
    /** The PostgreSQL schema when the URL names none. */
    defaultSchema: string;
  };
  /** Trust X-Forwarded-* from a reverse proxy (client address, https for Secure cookies); default false. */
  trustProxy?: boolean;
  /** Fastify logger: false (default, quiet for tests) or pino options such as `{ level: 'info' }`. */
  logger?: boolean | Record<string, unknown>;
  /** The clock (tests move it forward to expire assignments). */
  now?: () => Date;
}

/** MTurk's production and sandbox submit origins. */
export const MTURK_ORIGINS = ['https://www.mturk.com', 'https://workersandbox.mturk.com'] as const;

/** An invited labeller, as listed by `retest labellers list`. */
export interface Labeller {
  /** Row id. */
  id: number;
  /** Name given at invitation (shown only on the admin dashboard). */
  name: string;
  /** Salted hash stored in `assignments.worker_hash`. */
  workerHash: string;
  /** ISO time of the (latest) invitation. */
  createdAt: string;
  /** ISO time the link was revoked, or null while it works. */
  revokedAt: string | null;
}

/** A freshly issued invitation: the token is shown once and only its hash is stored. */
export interface Invitation {
  /** The labeller's name. */
  name: string;
  /** The secret token (goes into the link `/l/<token>`). */
  token: string;
  /** Salted worker hash of this labeller. */
  workerHash: string;
}

/** Per-class progress row of the dashboard. */
export interface ClassProgress {
  /** Class index. */
  classIdx: number;
  /** Class id (wnid or name). */
  id: string;
  /** Lemmas. */
  names: string[];
  /** Tasks of the class (main + reference). */
  tasks: number;
  /** Answers wanted: Σ over the tasks of N. */
  needed: number;
  /** Valid answers received (assignments submitted or approved, workers not rejected), at most N per task. */
  done: number;
  /** Assignments currently open (claimed, not yet submitted, not expired). */
  open: number;
  /** Candidate frequencies per bin (images with ≥ minAnswers valid answers). */
  candidateHistogram: number[];
  /** Reference (positive control) frequencies per bin. */
  referenceHistogram: number[];
}

/** Worker row of the dashboard. */
export interface WorkerRow {
  /** Salted worker hash. */
  workerHash: string;
  /** Invited labeller's name, or null (MTurk or imported worker). */
  name: string | null;
  /** Review status. */
  status: 'active' | 'approved' | 'rejected';
  /** Answered assignments (submitted, approved or rejected). */
  tasks: number;
  /** Pooled control accuracy, null without controls. */
  controlAccuracy: number | null;
  /** Median seconds from claim to submission, null without submissions. */
  medianSeconds: number | null;
}
