import type { WebhookJob } from '@formscale/contracts';
import type { JobsOptions } from 'bullmq';
import type { WorkerConfig } from '../worker-config';

/** One job per (submission, endpoint), so enqueueing again after a re-run adds nothing. BullMQ ids may not contain ':'. */
export function webhookJobId(job: Pick<WebhookJob, 'submissionId' | 'endpointId'>): string {
  return `${job.submissionId}_${job.endpointId}`;
}

/** Exponential from 2 s with 50 % jitter: a receiver that is down for minutes is retried a few times, not hammered. */
export function webhookJobOptions(config: Pick<WorkerConfig, 'attempts'>): JobsOptions {
  return { attempts: config.attempts, backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 } };
}
