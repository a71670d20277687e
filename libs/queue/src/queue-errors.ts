/** Repeats of one error within this span are counted, not logged: a client retrying every second would flood the log. */
export const QUEUE_ERROR_LOG_INTERVAL_MS = 30_000;

export type QueueErrorLog = (fields: { msg: string; queue: string; err: string; repeated: number }) => void;

/**
 * A listener for the 'error' events of one BullMQ queue or worker (Redis
 * refusing, timing out, going away). BullMQ writes an error nobody listens for
 * to console.error, unstructured and once per retry; this logs an error the
 * first time it is seen and then at most once per interval, with how many
 * times it repeated in between.
 */
export function queueErrorListener(
  queue: string,
  log: QueueErrorLog,
  intervalMs = QUEUE_ERROR_LOG_INTERVAL_MS,
  now: () => number = Date.now,
): (error: Error) => void {
  const seen = new Map<string, { loggedAt: number; repeated: number }>();
  return (error: Error) => {
    const err = error.message;
    const entry = seen.get(err);
    const at = now();
    if (entry !== undefined && at - entry.loggedAt < intervalMs) {
      entry.repeated += 1;
      return;
    }
    log({ msg: 'queue connection error', queue, err, repeated: entry?.repeated ?? 0 });
    seen.set(err, { loggedAt: at, repeated: 0 });
  };
}
