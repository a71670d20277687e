/**
 * Gathers items from many concurrent callers into batches and hands each batch
 * to one `write` call. A caller's promise settles only when the batch holding
 * its item has been written (or has failed), so a BullMQ job that awaits it
 * completes only after its row is committed.
 *
 * A batch is written when it holds `maxItems` or when its first item has
 * waited `maxWaitMs`. Several batches may be in flight at once: while one
 * commits, the next fills.
 *
 * When `write` fails with an error that `isTransient` accepts (the database is
 * down or restarting), the same batch is written again after a growing pause,
 * for as long as it takes: the items stay with their callers, nothing is
 * dropped and no retry budget is spent on an outage. Other errors go to the
 * callers, who decide (retry the job, or fail it for good).
 */
export interface MicroBatcherOptions<T, R> {
  readonly maxItems: number;
  readonly maxWaitMs: number;
  /** Writes one batch; returns one result per item, in order. */
  readonly write: (items: readonly T[]) => Promise<readonly R[]>;
  readonly isTransient: (error: unknown) => boolean;
  /** Called before each wait for a transient failure. */
  readonly onTransientFailure?: (error: unknown, items: number, retryInMs: number) => void;
}

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/** First pause after a transient failure; doubles up to the cap. */
const TRANSIENT_RETRY_FIRST_MS = 100;
/** Longest pause: a database that comes back is used within 2 s. */
const TRANSIENT_RETRY_MAX_MS = 2_000;

export class BatcherStoppedError extends Error {
  constructor() {
    super('the batcher was stopped before this item could be written; the job returns to the queue');
    this.name = 'BatcherStoppedError';
  }
}

export class MicroBatcher<T, R> {
  private current: Pending<T, R>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private abandoned = false;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: MicroBatcherOptions<T, R>) {}

  add(item: T): Promise<R> {
    if (this.stopped) return Promise.reject(new BatcherStoppedError());
    return new Promise<R>((resolve, reject) => {
      this.current.push({ item, resolve, reject });
      if (this.current.length >= this.options.maxItems) {
        this.flush();
      } else if (this.timer === undefined) {
        this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
      }
    });
  }

  /** Items waiting for a batch plus items in batches being written. */
  get size(): number {
    return this.current.length;
  }

  /** Writes what is gathered now, without waiting for the batch to fill. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current.length === 0) return;
    const batch = this.current;
    this.current = [];
    const run = this.writeUntilDone(batch).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Takes no more items, writes what it holds and waits for every batch in flight. */
  async drain(): Promise<void> {
    this.stopped = true;
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Stops retrying batches that wait out a transient failure (the drain time is
   * over). Their callers are left unsettled on purpose: the process is about to
   * exit, and their jobs' locks lapse so BullMQ's stalled-job check returns them
   * to the queue with no attempt spent. A statement already running may still
   * commit; a re-run job then meets ON CONFLICT DO NOTHING.
   */
  abandon(): void {
    this.stopped = true;
    this.abandoned = true;
    this.wakeUp?.();
  }

  private async writeUntilDone(batch: Pending<T, R>[]): Promise<void> {
    let pauseMs = TRANSIENT_RETRY_FIRST_MS;
    for (;;) {
      try {
        const results = await this.options.write(batch.map((pending) => pending.item));
        batch.forEach((pending, index) => pending.resolve(results[index] as R));
        return;
      } catch (error) {
        if (this.abandoned) return;
        if (!this.options.isTransient(error)) {
          for (const pending of batch) pending.reject(error);
          return;
        }
        this.options.onTransientFailure?.(error, batch.length, pauseMs);
        await this.pause(pauseMs);
        if (this.abandoned) return;
        pauseMs = Math.min(pauseMs * 2, TRANSIENT_RETRY_MAX_MS);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const previous = this.wakeUp;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        previous?.();
        done();
      };
    });
  }
}
