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
  /** The label stage (so far the admin's worker decisions go through it; claims and submits still use the workspace's `Db` for group commit). */
  label: LabelStore;
  /** The near-duplicate review (mounted under /admin/dedup). */
  dedup: DedupContext;
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
   * once (default 64), the others wait in arrival order; one that waited longer than its deadline
   * gets 503 + Retry-After — `pageDeadlineMs` for a new task (default 1000), `submitDeadlineMs` for a
   * submission (default 5000). `concurrency: Infinity` turns the queue off (every request at once).
   */
  queue?: { concurrency?: number; pageDeadlineMs?: number; submitDeadlineMs?: number };
  /** Side in pixels of the square thumbnails served to labellers (default 320). */
  thumbnailSize?: number;
  /** Compute the dashboard's tables in a worker thread (default true; false computes them inline). */
  dashboardWorker?: boolean;
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
