/** Attempts per purge: a purge API or an nginx answers 429/5xx now and then; three tries ride over a blip without holding a publish long. */
export const PURGE_ATTEMPTS = 3;
/** First back-off; doubles per retry (250 ms, 500 ms) so the whole purge stays under a couple of seconds. */
export const PURGE_BACKOFF_MS = 250;
/** One attempt's time limit: a hung API must not hold the admin request. */
export const PURGE_TIMEOUT_MS = 5_000;

export type PurgeAttempt = { ok: true } | { ok: false; retry: boolean; reason: string };

export interface PurgeOutcome {
  purged: boolean;
  attempts: number;
  /** Why it did not purge (not configured, or the last error). */
  reason?: string;
}

/** Runs one purge with the shared policy: up to PURGE_ATTEMPTS, exponential back-off, retrying only what `attempt` marks retryable. */
export async function purgeWithRetries(attempt: () => Promise<PurgeAttempt>): Promise<PurgeOutcome> {
  let reason = '';
  for (let n = 1; n <= PURGE_ATTEMPTS; n += 1) {
    const result = await attempt();
    if (result.ok) return { purged: true, attempts: n };
    reason = result.reason;
    if (!result.retry || n === PURGE_ATTEMPTS) return { purged: false, attempts: n, reason };
    await new Promise((resolve) => setTimeout(resolve, PURGE_BACKOFF_MS * 2 ** (n - 1)));
  }
  return { purged: false, attempts: PURGE_ATTEMPTS, reason };
}

/** 429 and 5xx pass; any other 4xx (bad token, bad zone, not allowed) will not get better by trying again. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
