/**
 * Contracts of the labelling stage (DESIGN §1.3–1.4): tasks, assignments, answers, selection
 * frequencies and control accuracy. Tables: src/label/schema.ts.
 *
 * Times are ISO-8601 strings (UTC) in the database; functions take `now` as a Date or ISO string so
 * tests and servers control the clock.
 */

/** What a task asks: 'main' = 42 candidates + 3/3 controls; 'reference' = 16/16/16. */
export type TaskKind = 'main' | 'reference';

/** Why an image is in a task. */
export type ItemRole = 'candidate' | 'positive' | 'negative';

/** Lifecycle of an assignment. */
export type AssignmentStatus = 'open' | 'submitted' | 'approved' | 'rejected' | 'expired';

/** Where an assignment came from. */
export type AssignmentSource = 'web' | 'mturk' | 'import';

/** A time given to the library: a Date or an ISO-8601 string. */
export type Instant = Date | string;

/** Options of `LabelStore.claim`. */
export interface ClaimOptions {
  /** The claiming worker's salted hash (`hashWorkerId`). */
  workerHash: string;
  /** The current time (the claim starts now and lapses `ttlSeconds` later). */
  now: Instant;
  /** Seconds an open claim lasts before it goes back to the pool (MTurk used 600). */
  ttlSeconds: number;
  /** Maximum live assignments per task; default: each task's own `assignments_wanted` (N). */
  assignmentsPerTask?: number;
  /** Only tasks of this kind (default: any, main and reference alike, in creation order). */
  kind?: TaskKind;
  /** Only tasks of this class. */
  classIdx?: number;
  /** Only tasks of this batch (`tasks.batch`; MTurk mode serves the batch its HITs were published for). */
  batch?: string;
  /** 'web' (default) or 'mturk' (ExternalQuestion served by our server). */
  source?: AssignmentSource;
}

/** One image slot of a claimed task, as shown to a labeller (no image id, no role). */
export interface ClaimedItem {
  /** 0-based display position. */
  position: number;
  /** Opaque token naming the image in URLs and in the submission. */
  token: string;
}

/** What `LabelStore.claim` returns: the assignment and what to show. */
export interface ClaimedAssignment {
  /** The assignment id to submit to. */
  assignmentId: string;
  /** The task's id. */
  taskId: string;
  /** The target class index (look up its names/definition in the workspace `classes`). */
  classIdx: number;
  /** Task kind. */
  kind: TaskKind;
  /** ISO time the claim started. */
  claimedAt: string;
  /** ISO time the claim lapses; a submission after it is refused. */
  expiresAt: string;
  /** True when the worker already held this open claim (a page reload), false for a new claim. */
  resumed: boolean;
  /** The items in display order. */
  items: ClaimedItem[];
}

/** Options of `LabelStore.submit`. Give exactly one of `selectedTokens` / `selectedImageIds`. */
export interface SubmitOptions {
  /** The claimed assignment. */
  assignmentId: string;
  /** Must equal the claiming worker's hash. */
  workerHash: string;
  /** Tokens of the selected items (web form). Every token must belong to the task. */
  selectedTokens?: readonly string[];
  /** Image ids of the selected items (imports). Every id must be in the task. */
  selectedImageIds?: readonly string[];
  /** Submission time; must be before the claim's `expires_at`. */
  now: Instant;
}

/** What `LabelStore.submit` returns. */
export interface SubmitResult {
  /** The assignment id. */
  assignmentId: string;
  /** Status after the call ('submitted', or the reviewed status of an earlier submission). */
  status: AssignmentStatus;
  /** Number of answer rows stored (one per item of the task). */
  answers: number;
  /** Number of items selected. */
  selected: number;
  /** True when this assignment had already been submitted: nothing was changed (idempotent retry). */
  repeated: boolean;
}

/** Why a submission (or claim) was refused; `LabelError.reason`. */
export type LabelRefusal =
  | 'not-found' // no such assignment
  | 'not-owner' // claimed by another worker
  | 'expired' // the claim lapsed before submission
  | 'rejected' // the assignment or the worker was rejected
  | 'bad-item' // a token / image id that is not in the task
  | 'worker-rejected'; // a rejected worker asked for work

/** One (image, class) selection frequency (DESIGN §1.4). */
export interface SelectionFrequency {
  /** `images.id`. */
  imageId: string;
  /** The class asked about (the task's class). */
  classIdx: number;
  /** 'candidate' when shown as a candidate, 'reference' when shown as a positive control, 'negative' when only as a negative control. */
  role: 'candidate' | 'reference' | 'negative';
  /** Valid answers (assignments 'submitted' or 'approved' by non-rejected workers) that showed the image for this class. */
  answers: number;
  /** Of those, how many selected it. */
  selected: number;
  /** selected / answers (0 when answers = 0). */
  frequency: number;
}

/** Options of `LabelStore.frequencies`. */
export interface FrequencyOptions {
  /** Keep only rows with at least this many valid answers (default 10; 0 keeps everything). */
  minAnswers?: number;
  /** Only this class. */
  classIdx?: number;
  /** Include negative-control rows (image shown for a class other than its own); default false. */
  includeNegatives?: boolean;
}

/** Control accuracy of one assignment: (positives selected + negatives not selected) / controls. */
export interface AssignmentControlAccuracy {
  /** Assignment id. */
  assignmentId: string;
  /** Task id. */
  taskId: string;
  /** Worker hash. */
  workerHash: string;
  /** Assignment status. */
  status: AssignmentStatus;
  /** Positive controls answered. */
  positives: number;
  /** Positive controls selected (correct). */
  positivesSelected: number;
  /** Negative controls answered. */
  negatives: number;
  /** Negative controls selected (wrong). */
  negativesSelected: number;
  /** Correct control answers / control answers; null when the assignment answered no control. */
  accuracy: number | null;
}

/** Control accuracy pooled over a worker's submitted/approved/rejected assignments. */
export interface WorkerControlAccuracy {
  /** Worker hash. */
  workerHash: string;
  /** The worker's review status ('active' when never reviewed). */
  status: 'active' | 'approved' | 'rejected';
  /** Assignments counted (all answered ones, any review status). */
  assignments: number;
  /** Control answers over those assignments. */
  controls: number;
  /** Correct control answers. */
  correct: number;
  /** correct / controls; null when controls = 0. */
  accuracy: number | null;
}

/** What `controlAccuracy` returns. */
export interface ControlAccuracyReport {
  /** Per answered assignment, ordered by worker then assignment id. */
  assignments: AssignmentControlAccuracy[];
  /** Per worker, ordered by worker hash. */
  workers: WorkerControlAccuracy[];
}

/** Per-class reference histogram (DESIGN §1.4): counts of reference images per frequency bin. */
export interface ReferenceHistogram {
  /** Class index. */
  classIdx: number;
  /** Counts per bin, 5 entries. */
  counts: number[];
  /** Reference images counted (those with ≥ minAnswers answers). */
  images: number;
}

/** A task to store (`LabelStore.addTasks`), with its items in display order. */
export interface NewTask {
  /** Opaque random id (hex), shown in URLs and MTurk CSVs. */
  id: string;
  /** Creation order; claims take the lowest seq first. Unique. */
  seq: number;
  /** The target class asked about. */
  classIdx: number;
  /** 'main' or 'reference'. */
  kind: TaskKind;
  /** N: distinct workers wanted (≥ 1). */
  assignmentsWanted: number;
  /** The `retest tasks create` run that made it. */
  batch: string;
  /** ISO creation time. */
  createdAt: string;
  /** The images shown, in display order (position = index). */
  items: readonly {
    /** images.id of the item. */
    imageId: string;
    /** Candidate, or a positive/negative control. */
    role: ItemRole;
    /** Opaque token naming the item in URLs and submissions. */
    token: string;
  }[];
}

/** Counts of the label tables (`LabelStore.progress`). */
export interface LabelProgress {
  /** Tasks stored. */
  tasks: number;
  /** Tasks whose live assignments reach their own N (`live_count >= assignments_wanted`). */
  fullTasks: number;
  /** Assignments per status (every status present, 0 when none). */
  assignments: Record<AssignmentStatus, number>;
  /** Answer rows (one per item of a submitted assignment). */
  answers: number;
  /** Workers with a review status, per status. */
  workers: {
    /** Workers marked approved. */
    approved: number;
    /** Workers marked rejected. */
    rejected: number;
  };
}

// ---- What the labelling server reads and writes besides claims and submissions (issue 12, branch
// issue-12s: the server on the stores). Kept together so that other additions to LabelStore merge
// beside it. ----

/** One item of a task as the server handles it (never shown to a labeller as such). */
export interface TaskItemView {
  /** 0-based display position. */
  position: number;
  /** `images.id`. */
  imageId: string;
  /** The item's opaque token (what `submit` takes in `selectedTokens`). */
  token: string;
}

/** A task with its items (`LabelStore.task`, `LabelStore.previewTask`). */
export interface TaskView {
  /** Task id. */
  id: string;
  /** The class asked about. */
  classIdx: number;
  /** 'main' or 'reference'. */
  kind: TaskKind;
  /** The `retest tasks create` run that made it (`tasks.batch`). */
  batch: string;
  /** The items in display order. */
  items: TaskItemView[];
}

/** An assignment with its task (`LabelStore.assignment`), whatever its status. */
export interface AssignmentView {
  /** Assignment id. */
  id: string;
  /** The claiming worker's salted hash. */
  workerHash: string;
  /** Current status. */
  status: AssignmentStatus;
  /** Where it came from ('web', 'mturk', 'import'). */
  source: AssignmentSource;
  /** ISO time it was claimed (null for some imports). */
  claimedAt: string | null;
  /** ISO time an open claim lapses, or null. */
  expiresAt: string | null;
  /** Its task (class, batch, items). */
  task: TaskView;
}

/** One batch of tasks (`LabelStore.batches`). */
export interface BatchSummary {
  /** `tasks.batch`. */
  batch: string;
  /** Tasks in it. */
  tasks: number;
  /** ISO creation time of its newest task. */
  createdAt: string;
}

/** Per-class task counts of the dashboard (`LabelStore.classCounts`); classes without tasks are absent. */
export interface ClassTaskCounts {
  /** Class index. */
  classIdx: number;
  /** Tasks of the class (main and reference). */
  tasks: number;
  /** Answers wanted: Σ over its tasks of N (`assignments_wanted`). */
  needed: number;
  /** Valid answers (submitted or approved, worker not rejected), at most N per task. */
  done: number;
  /** Assignments open at `now` (claimed, not submitted, not lapsed). */
  open: number;
}

/** The part of `LabelStore` the labelling server uses besides claims, submissions and reviews. */
export interface LabelServerReads {
  /** The workspace's worker-id salt (`label_settings.worker_salt`), created (256 random bits) on first use; safe under concurrent first use. */
  workerSalt(): Promise<string>;
  /** An assignment with its task and items, or undefined when there is none with this id. */
  assignment(id: string): Promise<AssignmentView | undefined>;
  /** A task with its items, or undefined. */
  task(id: string): Promise<TaskView | undefined>;
  /**
   * The task an MTurk preview of a HIT of `batch` shows: the task whose `external_id` is the HIT id
   * when there is one in the batch, else the batch's first task (by seq) that still needs answers,
   * else its first task; undefined for an empty batch.
   */
  previewTask(batch: string, hitId: string): Promise<TaskView | undefined>;
  /** A worker's review status, or null when never reviewed. */
  workerStatus(workerHash: string): Promise<'approved' | 'rejected' | null>;
  /** The workers' open claims become 'expired' (their slots return to the pool; e.g. a revoked invitation). Returns how many. */
  releaseOpenClaims(workerHashes: readonly string[]): Promise<number>;
  /** Every batch with its task count, newest first (by its newest task; ties: the later-created task first). */
  batches(): Promise<BatchSummary[]>;
  /** Per class that has tasks (by class index): tasks, answers wanted and done, claims open at `now`; one class with `classIdx`. */
  classCounts(options: { now: Instant; classIdx?: number }): Promise<ClassTaskCounts[]>;
  /** Seconds from claim to submission of every answered assignment (submitted, approved or rejected), per worker hash. */
  answerSeconds(): Promise<Map<string, number[]>>;
}

/**
 * The labelling stage's store (DESIGN §1.3–1.4) on the database port: the same calls on SQLite and
 * PostgreSQL (src/label/sql-label-store.ts, the only file with SQL on the label tables that runs on
 * both). No database handle in its signatures: the composition root gives it its database.
 * Claims are safe under concurrency on both backends: SQLite serialises writers (BEGIN IMMEDIATE);
 * on PostgreSQL a claim locks the task row it takes with `FOR UPDATE SKIP LOCKED` (waiting on a held
 * row only when every candidate is held, so it never answers "no work" while a slot is left), so concurrent
 * claimers (processes behind a load balancer) never put more than N live assignments on a task.
 */
export interface LabelStore extends LabelServerReads {
  /** 'sqlite' or 'postgres'. */
  readonly backend: 'sqlite' | 'postgres';
  /** Where the database is (password removed), for messages. */
  readonly location: string;
  /** Stores tasks and their items, all or none (one transaction). Returns the number of tasks stored. */
  addTasks(tasks: readonly NewTask[]): Promise<number>;
  /** The next task this worker may do (or their open claim back), null when none. */
  claim(options: ClaimOptions): Promise<ClaimedAssignment | null>;
  /** The worker's answers to their claim (idempotent; refusals are LabelErrors). */
  submit(options: SubmitOptions): Promise<SubmitResult>;
  /** Open claims lapsed at `now` become 'expired' (their slots return to the pool). Returns how many. */
  expireLapsed(now: Instant): Promise<number>;
  /** Resolves an item token to its task, image and position; undefined when unknown. */
  itemByToken(token: string): Promise<{ taskId: string; imageId: string; position: number } | undefined>;
  /** Sets a worker's review status (rejection frees their slots and drops their answers from frequencies). */
  setWorkerStatus(workerHash: string, status: 'approved' | 'rejected', options?: { reason?: string; now?: Instant }): Promise<void>;
  /** Review decisions on answered assignments; others are returned as skipped. */
  setAssignmentStatus(ids: readonly string[], status: 'approved' | 'rejected'): Promise<{ changed: number; skipped: string[] }>;
  /** Live assignments per task id, from `tasks.live_count` (the counter the claims read). */
  liveCounts(): Promise<Map<string, number>>;
  /** Live assignments per task id, counted from the assignments themselves (the reference for `liveCounts`). */
  countLive(): Promise<Map<string, number>>;
  /** Counts of tasks, assignments per status, answers and reviewed workers. */
  progress(): Promise<LabelProgress>;
  /**
   * Selection frequencies (DESIGN §1.4): for image i and class c, among the valid assignments (answered, not rejected, worker not
   * rejected) of the tasks for c that showed i, the fraction that selected i (candidates as candidates, reference images as
   * positive controls); ordered by class, then image id; rows with fewer than `minAnswers` (default 10) answers left out.
   */
  frequencies(options?: FrequencyOptions): Promise<SelectionFrequency[]>;
  /** Control accuracy (DESIGN §1.3: (positives selected + negatives not selected) / controls) per answered assignment (by worker, then id) and pooled per worker (by hash). */
  controlAccuracy(): Promise<ControlAccuracyReport>;
  /** Rejects unreviewed workers below `minAccuracy` over ≥ `minControls` (default 12) controls; returns their hashes. */
  rejectLowAccuracyWorkers(options: { minAccuracy: number; minControls?: number; now?: Instant }): Promise<string[]>;

  // ── Task creation, imports and exports (the CLI's tasks, tasks --adaptive, answers import,
  //    tasks export mturk, tasks status, vote counts, plan; issue 12). Every call is one read or
  //    one transaction; bulk writes go through insertMany. ─────────────────────────────────────

  /** What earlier tasks planned: candidates already in a main task, and per class the answers planned per reference image (as positive controls). */
  plannedItems(): Promise<PlannedItems>;
  /** Stores tasks after the last one (their `seq` = the next free ones, read in the same transaction), all or none. Returns the first seq used. */
  appendTasks(tasks: readonly Omit<NewTask, 'seq'>[]): Promise<number>;
  /**
   * Records an adaptive round (the next round number, in the same transaction) and its follow-up
   * tasks (appended as `appendTasks`; `batch(round)` labels them). Returns the round number.
   */
  addAdaptiveRound(round: NewAdaptiveRound, tasks: readonly Omit<NewTask, 'seq' | 'batch'>[], batch: (round: number) => string): Promise<number>;
  /** Candidate answers all adaptive rounds scheduled so far (0 before the first). */
  adaptiveSpent(): Promise<number>;
  /** Every candidate's tally for its own task class from the valid answers (as `readTallies`), ordered by class then image id. */
  tallies(): Promise<ImageTally[]>;
  /** The workspace's worker-id salt (`label_settings.worker_salt`), created (256 random bits) on first use; the same value from every process. */
  workerSalt(): Promise<string>;
  /** Stores finished assignments made elsewhere in one transaction (as `recordAssignments`: idempotent per source and external id). */
  recordAssignments(records: readonly ImportedAssignment[], now?: Instant): Promise<RecordReport>;
  /** The item tokens (in display order) of those of `taskIds` that exist. */
  taskTokens(taskIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Task ids by their MTurk HITId (`tasks.external_id`) for those of `externalIds` that are known. */
  tasksByExternalId(externalIds: readonly string[]): Promise<Map<string, string>>;
  /** Records HITIds of tasks that have none yet (a task keeps its first). */
  linkExternalIds(links: readonly { taskId: string; externalId: string }[]): Promise<void>;
  /** Every task item with its task's class, ordered by task seq then position. */
  taskItems(): Promise<{ taskId: string; imageId: string; classIdx: number; role: ItemRole }[]>;
  /** Tasks in seq order with their items (display order), optionally only one kind and only those with fewer answered (submitted/approved) assignments than they want. */
  exportTasks(options?: { kind?: TaskKind; onlyOpen?: boolean }): Promise<ExportedTask[]>;
  /** Tasks per kind, assignments per status and source, tasks whose answered assignments reach N. */
  taskSummary(): Promise<TaskSummary>;
}

/** What earlier tasks planned (`LabelStore.plannedItems`). */
export interface PlannedItems {
  /** Candidates shown as candidates in some main task. */
  taskedCandidates: Set<string>;
  /** Per class index: reference image id → Σ assignments_wanted of the tasks that show it as a positive control. */
  plannedReferenceAnswers: Map<number, Map<string, number>>;
}

/** An adaptive round to record (`label_adaptive_rounds`). */
export interface NewAdaptiveRound {
  /** ISO time. */
  createdAt: string;
  /** The total budget given (--budget). */
  budget: number;
  /** Candidate answers this round asks for. */
  scheduled: number;
  /** The parameters, as JSON. */
  params: string;
}

/** A task as `exportTasks` gives it. */
export interface ExportedTask {
  /** Task id. */
  id: string;
  /** Kind. */
  kind: TaskKind;
  /** The class asked about. */
  classIdx: number;
  /** Items in display order. */
  items: {
    /** Opaque token naming the item in URLs and submissions. */
    token: string;
    /** images.id of the item. */
    imageId: string;
  }[];
}

/** `LabelStore.taskSummary`. */
export interface TaskSummary {
  /** Per kind (sorted): tasks and Σ assignments wanted. */
  tasks: {
    /** Task kind. */
    kind: TaskKind;
    /** Tasks of this kind. */
    n: number;
    /** Σ assignments wanted over those tasks. */
    wanted: number;
  }[];
  /** Per (status, source), sorted. */
  assignments: {
    /** Assignment status. */
    status: AssignmentStatus;
    /** Where the assignments came from. */
    source: AssignmentSource;
    /** Assignments with this status and source. */
    n: number;
  }[];
  /** Tasks whose submitted/approved assignments reach their N. */
  complete: number;
}

/** A tally of one candidate (see ./adaptive-allocation.ts). */
export interface ImageTally {
  /** `images.id`. */
  imageId: string;
  /** The class asked about. */
  classIdx: number;
  /** Valid answers so far. */
  answers: number;
  /** Of those, how many selected it. */
  selected: number;
  /** True while one of its tasks still lacks answers (it waits for them). */
  waiting?: boolean;
}

/** A finished assignment made elsewhere (MTurk batch results, a JSONL file, another annotation set). */
export interface ImportedAssignment {
  /** The task it answered. */
  taskId: string;
  /** Salted worker hash. */
  workerHash: string;
  /** 'mturk' or 'import'. */
  source: 'mturk' | 'import';
  /** Its id where it came from (MTurk AssignmentId); unique per source. Re-importing the same id only updates the status. */
  externalId: string;
  /** Review status there. */
  status: Extract<AssignmentStatus, 'submitted' | 'approved' | 'rejected'>;
  /** ISO time accepted (default: submittedAt, else now). */
  claimedAt?: string;
  /** ISO time submitted (default: now). */
  submittedAt?: string;
  /** Selected items by token … */
  selectedTokens?: readonly string[];
  /** … or by image id. */
  selectedImageIds?: readonly string[];
  /** Image ids the worker answered (default: every item of the task). Answers are stored for these only. */
  answeredImageIds?: readonly string[];
}

/** What `recordAssignments` did. */
export interface RecordReport {
  /** New assignments stored. */
  inserted: number;
  /** Known assignments whose status changed. */
  statusChanged: number;
  /** Known assignments left as they were. */
  unchanged: number;
  /** Answer rows written. */
  answers: number;
  /** Records refused, with why: another assignment of the same worker on the same task. */
  conflicts: {
    /** The refused record's external id (MTurk AssignmentId). */
    externalId: string;
    /** Why it was refused, in words. */
    reason: string;
  }[];
}

/**
 * What task creation and the MTurk export read from the stages before labelling (the catalog),
 * wired by the composition root; the label stage never reads the catalog's tables.
 */
export interface LabelSources {
  /** The classes by index: id, names, definition, urls and the ids of similar classes (the negative controls' class). */
  classes(): Promise<readonly { index: number; id: string; names: readonly string[]; definition: string; urls: readonly string[]; similar: unknown }[]>;
  /** Every image: id, role, class, the image it exactly duplicates (or null), its display copy (relative to the workspace). */
  images(): Promise<readonly { id: string; role: 'candidate' | 'reference'; classIdx: number; exactDuplicateOf: string | null; displayPath: string }[]>;
}
