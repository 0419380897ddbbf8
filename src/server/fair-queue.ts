/**
 * Fair queueing for the labelling routes. Without it every request in the server is worked on at
 * once: under more load than the machine can take they all slow down together, batches of writes
 * grow, and some labellers wait seconds while others wait milliseconds. Here at most `concurrency`
 * labeller requests are worked on at a time, the rest wait in arrival order (p-limit's FIFO), and a
 * request that has waited longer than its deadline is answered at once with 503 + Retry-After
 * instead of being served late. Requests for a new task (the page, a claim) get a shorter deadline
 * than submissions, which carry work already done. Admitted requests therefore wait about as long
 * as each other; refused ones learn it quickly and retry.
 */
import pLimit, { type LimitFunction } from 'p-limit';

/** Frees the slot of an admitted request (idempotent). */
export type Release = () => void;

export class FairQueue {
  private readonly limit: LimitFunction;
  /** Requests refused after waiting past their deadline (for tests and logs). */
  shed = 0;

  /** `concurrency`: requests worked on at once; more than that means the server is behind, and they queue. */
  constructor(concurrency: number) {
    this.limit = pLimit(concurrency);
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.limit.pendingCount;
  }

  /**
   * Waits for a slot, in arrival order. Resolves with the slot's release function, or with null when
   * `deadlineMs` passed first (the request is refused; its place in the queue is given up).
   */
  enter(deadlineMs: number): Promise<Release | null> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = Number.isFinite(deadlineMs)
        ? setTimeout(() => {
            if (settled) return;
            settled = true;
            this.shed++;
            resolve(null);
          }, deadlineMs)
        : undefined;
      void this.limit(
        () =>
          new Promise<void>((done) => {
            if (settled) return done(); // refused while it waited: the slot goes to the next at once
            settled = true;
            clearTimeout(timer);
            let released = false;
            resolve(() => {
              if (released) return;
              released = true;
              done();
            });
          }),
      );
    });
  }
}
