/**
 * Fair queueing for the labelling routes. Without it every request in the server is worked on at
 * once: under more load than the machine can take they all slow down together, batches of writes
 * grow, and some labellers wait seconds while others wait milliseconds. Here at most `concurrency`
 * labeller requests are worked on at a time and the rest wait their turn (p-queue):
 *
 * - **Submissions before new tasks.** A submission carries work already done and ends a claim; a
 *   page starts new work. Waiting submissions are admitted first, pages in arrival order after.
 * - **A deadline relative to the median.** A request that has waited longer than `fairness` × the
 *   median service time of the recent requests of its kind (the time from admission to the
 *   response; never less than `floorMs`, never more than its fixed deadline) is answered at once
 *   with 503 + Retry-After instead of being served late. Under saturation a FIFO queue's longest
 *   wait grows like log(n) × the median (≈ 12× over a few thousand requests at full load): bounding
 *   the wait by a multiple of the service time keeps every admitted request within a small multiple
 *   of the others. The service time, not the whole time in the server, because that includes the
 *   wait itself: a deadline from it would grow with the queue it is meant to bound.
 *
 * Refused requests learn it quickly and retry; nothing is lost (a refused submission leaves its
 * claim open, and the labeller's answer is not stored until a submission is admitted).
 */
import PQueue from 'p-queue';

/** Frees the slot of an admitted request (idempotent); `serviceMs`: its time from admission to the response, for the median. */
export type Release = (serviceMs?: number) => void;

/** What a queued request is: a submission (admitted first) or a page that starts a new task. */
export type RequestKind = 'submit' | 'page';

/** Options of the fair queue. */
export interface FairQueueOptions {
  /** Requests worked on at once; more than that means the server is behind, and they queue. */
  concurrency: number;
  /** A request waits at most this many times its kind's median service time (default 8; Infinity: fixed deadlines only). */
  fairness?: number;
  /** The relative deadline is never shorter than this (ms, default 50): at light load the median is a millisecond or two. */
  floorMs?: number;
  /**
   * Service times kept per kind for the median (default 8192: about ten seconds at saturation here).
   * Long enough that a burst does not raise its own deadline: the median is the typical request's,
   * not that of the moment the queue is long.
   */
  window?: number;
}

/** The last `size` values and their median, recomputed every `size / 16` values (a sort of `size` numbers). */
class RunningMedian {
  private readonly values: Float64Array;
  private count = 0;
  private sinceSort = 0;
  private current = Number.NaN;

  constructor(private readonly size: number) {
    this.values = new Float64Array(size);
  }

  add(value: number): void {
    this.values[this.count % this.size] = value;
    this.count++;
    this.sinceSort++;
    // Until a sixteenth of the window is in, no median: a few first requests say little.
    if (this.count >= this.size / 16 && (Number.isNaN(this.current) || this.sinceSort >= this.size / 16)) {
      const filled = this.values.slice(0, Math.min(this.count, this.size)).sort();
      this.current = filled[Math.floor(filled.length / 2)]!;
      this.sinceSort = 0;
    }
  }

  /** NaN until enough values are in. */
  get median(): number {
    return this.current;
  }
}

export class FairQueue {
  private readonly queue: PQueue;
  private readonly fairness: number;
  private readonly floorMs: number;
  private readonly medians: Record<RequestKind, RunningMedian>;
  /** Requests refused after waiting past their deadline (for tests and logs). */
  shed = 0;

  constructor(options: FairQueueOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.fairness = options.fairness ?? 8;
    this.floorMs = options.floorMs ?? 50;
    const window = options.window ?? 8192;
    this.medians = { submit: new RunningMedian(window), page: new RunningMedian(window) };
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.queue.size;
  }

  /** The median service time of recent requests of `kind` (ms; NaN until enough are in). */
  median(kind: RequestKind): number {
    return this.medians[kind].median;
  }

  /** How long a request of `kind` that enters now may wait: `fixedMs`, or less when the recent median says so. */
  deadline(kind: RequestKind, fixedMs: number): number {
    const median = this.medians[kind].median;
    if (Number.isNaN(median) || !Number.isFinite(this.fairness)) return fixedMs;
    return Math.min(fixedMs, Math.max(this.floorMs, this.fairness * median));
  }

  /**
   * Waits for a slot (submissions first, then pages; each in arrival order). Resolves with the
   * slot's release function, or with null when the deadline passed first (the request is refused;
   * its place in the queue is given up).
   */
  enter(kind: RequestKind, fixedDeadlineMs: number): Promise<Release | null> {
    const deadlineMs = this.deadline(kind, fixedDeadlineMs);
    const abort = new AbortController();
    const timer = Number.isFinite(deadlineMs) ? setTimeout(() => abort.abort(), deadlineMs) : undefined;
    return new Promise((resolve) => {
      this.queue
        .add(
          () =>
            new Promise<void>((done) => {
              clearTimeout(timer);
              if (abort.signal.aborted) return done(); // refused just before its turn: the slot goes on at once
              let released = false;
              resolve((serviceMs) => {
                if (released) return;
                released = true;
                if (serviceMs !== undefined) this.medians[kind].add(serviceMs);
                done();
              });
            }),
          { priority: kind === 'submit' ? 1 : 0, signal: abort.signal },
        )
        .catch(() => {
          // Aborted while it waited: p-queue has taken it out of the queue.
          this.shed++;
          resolve(null);
        });
    });
  }
}
