import { z } from 'zod';

/*
 * The durable work that travels through BullMQ. Producer and processor import
 * the same constants and schemas, so a renamed queue or a changed payload
 * cannot compile on one side only.
 */

export const SUBMISSIONS_QUEUE = 'submissions';
export const WEBHOOKS_QUEUE = 'webhooks';
export const QUEUE_NAMES = [SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Job names within the queues: every one has exactly one handler (checked at start-up). */
export const PERSIST_SUBMISSION_JOB = 'persist-submission';
export const DELIVER_WEBHOOK_JOB = 'deliver-webhook';

export const submissionJobSchema = z.object({
  /** The submission id, used end to end: job id, row id, status URL. */
  submissionId: z.uuid(),
  formId: z.uuid(),
  formVersion: z.number().int().positive(),
  data: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string().min(1).max(255).nullable(),
  receivedAt: z.iso.datetime(),
  client: z.object({
    ip: z.string().max(64).nullable(),
    userAgent: z.string().max(512).nullable(),
    requestId: z.string().max(128).nullable(),
  }),
});
export type SubmissionJob = z.infer<typeof submissionJobSchema>;

export const webhookJobSchema = z.object({
  endpointId: z.uuid(),
  submissionId: z.uuid(),
  formId: z.uuid(),
  /** When the event happened, signed into the delivery so receivers can reject replays. */
  occurredAt: z.iso.datetime(),
});
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/*
 * Job ids are part of the contract: a submission job's id is its submission
 * id, a webhook job's id names the (submission, endpoint) pair, so adding the
 * same work twice adds one job. Whoever looks a job up by id (the dead-letter
 * admin endpoints) can tell a malformed id from an unknown one.
 */

/** One webhook job per (submission, endpoint). BullMQ ids may not contain ':'. */
export function webhookJobId(job: Pick<WebhookJob, 'submissionId' | 'endpointId'>): string {
  return `${job.submissionId}_${job.endpointId}`;
}

const UUID_TEXT = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The shape of a job id in each queue (lower-case, as the producers make them). */
export const JOB_ID_PATTERNS: Readonly<Record<QueueName, RegExp>> = {
  [SUBMISSIONS_QUEUE]: new RegExp(`^${UUID_TEXT}$`),
  [WEBHOOKS_QUEUE]: new RegExp(`^${UUID_TEXT}_${UUID_TEXT}$`),
};

/** What a job id of the queue looks like, for messages that tell a caller what to send. */
export const JOB_ID_FORMATS: Readonly<Record<QueueName, string>> = {
  [SUBMISSIONS_QUEUE]: 'the submission id (a UUID)',
  [WEBHOOKS_QUEUE]: '<submission id>_<endpoint id> (two UUIDs joined by _)',
};

/** Every job name each queue carries; the worker refuses to start unless each has exactly one handler. */
export const JOB_NAMES_BY_QUEUE: Readonly<Record<QueueName, readonly string[]>> = {
  [SUBMISSIONS_QUEUE]: [PERSIST_SUBMISSION_JOB],
  [WEBHOOKS_QUEUE]: [DELIVER_WEBHOOK_JOB],
};

/**
 * Delivery options the producer of a submission job uses (with jobId = submissionId).
 * 8 attempts, exponential from 1 s with up to 50 % jitter: the last retry comes
 * about four minutes after the first try, so a database fail-over or a deploy
 * is ridden out, and retries of many jobs spread instead of arriving together.
 * The worker itself waits out a database that is down without spending
 * attempts; these cover everything else.
 */
export const SUBMISSION_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
} as const;
