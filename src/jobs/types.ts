/**
 * Contracts of the job stage: work split into jobs that any process can run. One interface
 * (`JobRunner`), two implementations — in this process (`inProcessRunner`, the default, no server)
 * and on BullMQ + Redis (`queueRunner`, with `retest worker` processes on any machine) — checked by
 * one conformance suite (test/jobs/runner-conformance.test.ts).
 *
 * A submission is a job *group* (one command's work, e.g. one eval run or one dedup search). A job
 * may have children: it runs only once all of them completed and reads their return values (a
 * merge job over partial results). Every job is idempotent: running it twice writes the same rows.
 */

/** One job as submitted. */
export interface JobSpec {
  /** Which handler runs it (`JobHandlers` key), e.g. 'dedup-search'. */
  kind: string;
  /** Id unique within its group: letters, digits, '-', '_' and '.' (no ':'). */
  id: string;
  /** The handler's input: plain JSON (it travels through Redis). */
  data: unknown;
  /** Work units this job accounts for in the group's progress (images); default 0. */
  units?: number;
  /** Jobs that must complete first; their return values reach this job (`JobContext.childrenValues`). */
  children?: JobSpec[];
}

/** One command's work. */
export interface GroupSpec {
  /** What it is, for `retest jobs status` ("eval resnet20 on cifar10-test"). */
  name: string;
  /** Top-level jobs (each with its children). */
  jobs: JobSpec[];
  /** Tries per job before it is parked with its error (default 3). */
  attempts?: number;
  /** Delay before the first retry in ms, doubled each time (default 1000). */
  backoffMs?: number;
}

/** What a handler is given besides its data. */
export interface JobContext {
  /** The job's id within its group. */
  id: string;
  /** The group's id. */
  group: string;
  /** 1 on the first try, 2 on the first retry, … */
  attempt: number;
  /** The worker's data folder (`--data-dir`): relative data paths of jobs resolve against it. */
  dataDir: string;
  /** Return values of the job's children, by child id. */
  childrenValues(): Promise<Record<string, unknown>>;
}

/** Runs one kind of job; returns a JSON-serialisable value (kept with the job). */
export type JobHandler = (data: never, context: JobContext) => Promise<unknown>;

/** Handlers by kind. */
export type JobHandlers = Readonly<Record<string, JobHandler>>;

/** A job that failed on every try and waits, parked, for `retest jobs retry`. */
export interface ParkedJob {
  /** Its id within the group. */
  id: string;
  /** Its kind. */
  kind: string;
  /** Tries made. */
  attempts: number;
  /** The last try's error message. */
  error: string;
}

/** Where one group stands. */
export interface GroupStatus {
  /** Group id (`submit`'s answer). */
  id: string;
  /** `GroupSpec.name`. */
  name: string;
  /** ISO time of submission. */
  submitted: string;
  /** 'running': jobs left to run; 'done': every job completed; 'parked': nothing can run until parked jobs are retried; 'cancelled'. */
  state: 'running' | 'done' | 'parked' | 'cancelled';
  /** Jobs in the group (children included). */
  jobs: number;
  /** Jobs completed. */
  completed: number;
  /** Jobs running now. */
  active: number;
  /** Work units (images) of the group and of its completed jobs. */
  units: number;
  /** Work units (images) of the group's completed jobs. */
  unitsDone: number;
  /** Jobs that failed every try, with their errors. */
  parked: ParkedJob[];
  /** Processes taking jobs now (this process for the in-process runner). */
  workers: number;
}

/** How jobs are run: in this process, or through a queue by workers anywhere. */
export interface JobRunner {
  /** 'in-process' or 'queue'. */
  readonly kind: 'in-process' | 'queue';
  /** Submits a group; resolves to its id once every job is accepted (queued durably for the queue). */
  submit(group: GroupSpec): Promise<string>;
  /** Where one group stands; undefined when there is no such group. */
  status(groupId: string): Promise<GroupStatus | undefined>;
  /** Every known group, oldest first. */
  list(): Promise<GroupStatus[]>;
  /**
   * Waits until the group is done, parked or cancelled (its status then); `onProgress` is called
   * with its status about every `intervalMs` (default 500).
   */
  wait(groupId: string, options?: { onProgress?: (status: GroupStatus) => void; intervalMs?: number }): Promise<GroupStatus>;
  /** Return values of the group's top-level jobs (completed ones), by job id. */
  results(groupId: string): Promise<Record<string, unknown>>;
  /** Puts the group's parked jobs back to run; how many. */
  retry(groupId: string): Promise<number>;
  /** Removes the group's jobs that have not started (running ones finish); how many were removed. */
  cancel(groupId: string): Promise<number>;
  /** Releases connections (the in-process runner waits for nothing more). */
  close(): Promise<void>;
}
