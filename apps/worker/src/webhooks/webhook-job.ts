import type { JobsOptions } from 'bullmq';
import type { WorkerConfig } from '../worker-config';

/** Exponential from 2 s with 50 % jitter: a receiver that is down for minutes is retried a few times, not hammered. */
export function webhookJobOptions(config: Pick<WorkerConfig, 'attempts'>): JobsOptions {
  return { attempts: config.attempts, backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 } };
}
