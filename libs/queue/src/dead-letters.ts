import {
  JOB_ID_PATTERNS,
  QUEUE_NAMES,
  submissionJobSchema,
  SUBMISSIONS_QUEUE,
  webhookJobId,
  webhookJobSchema,
  type QueueName,
} from '@formscale/contracts';
import type { Job, Queue } from 'bullmq';
import { z } from 'zod';

/*
 * Dead letters are the jobs in a queue's failed set: they ran out of attempts,
 * or failed with UnrecoverableError (a payload that can never succeed). These
 * are plain functions over a BullMQ Queue, shared by the worker's CLI and the
 * forms API's admin endpoints.
 */

export interface DeadLetter {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly attemptsMade: number;
  readonly maxAttempts: number;
  readonly failedReason: string;
  readonly addedAt: string;
  readonly failedAt: string | null;
  /** The last lines of the failures' stack traces, newest last. */
  readonly stacktrace: readonly string[];
  readonly data: unknown;
}

export interface DeadLetterPage {
  readonly items: readonly DeadLetter[];
  /** Dead letters in the queue when the page was read. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  /** The offset of the next page, or null on the last one. */
  readonly nextOffset: number | null;
}

/** Largest page: a dead letter carries its whole payload, so pages stay a few megabytes at most. */
export const DEAD_LETTER_PAGE_MAX = 500;

/** offset/limit of a page, from a query string or CLI arguments. The failed set is ordered by failure time, newest first. */
export const deadLetterPageSchema = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(DEAD_LETTER_PAGE_MAX).default(50),
});
export type DeadLetterPageRequest = z.infer<typeof deadLetterPageSchema>;

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/** Whether `id` has the shape of a job id of the queue; anything else cannot be in it. */
export function isJobIdOf(queue: QueueName, id: string): boolean {
  return JOB_ID_PATTERNS[queue].test(id);
}

export class DeadLetterNotFoundError extends Error {
  constructor(queue: string, id: string) {
    super(`There is no failed job ${id} in queue ${queue}: it never failed, or was replayed or purged already. List the dead letters to find the id.`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/** Corrected data for a replay that the queue's schema refuses, or that names another job. */
export class InvalidReplayDataError extends Error {
  constructor(
    message: string,
    readonly problems: ReadonlyArray<{ readonly field: string; readonly message: string }>,
  ) {
    super(message);
    this.name = 'InvalidReplayDataError';
  }
}

function toDeadLetter(job: Job): DeadLetter {
  return {
    id: job.id ?? '',
    queue: job.queueName,
    name: job.name,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    failedReason: job.failedReason,
    addedAt: new Date(job.timestamp).toISOString(),
    failedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
    stacktrace: job.stacktrace ?? [],
    data: job.data,
  };
}

function queueNameOf(queue: Queue): QueueName {
  if (!isQueueName(queue.name)) throw new Error(`queue ${queue.name} is not one of ${QUEUE_NAMES.join(', ')}`);
  return queue.name;
}

/** One page of the failed set, newest failure first. */
export async function listDeadLetters(queue: Queue, page: Partial<DeadLetterPageRequest> = {}): Promise<DeadLetterPage> {
  const { offset, limit } = deadLetterPageSchema.parse(page);
  const [jobs, total] = await Promise.all([queue.getFailed(offset, offset + limit - 1), queue.getFailedCount()]);
  return {
    items: jobs.map(toDeadLetter),
    total,
    offset,
    limit,
    nextOffset: offset + limit < total ? offset + limit : null,
  };
}

/** The failed job, or undefined when there is none under this id (never ran, not failed, or gone). */
async function failedJob(queue: Queue, id: string): Promise<Job | undefined> {
  if (!isJobIdOf(queueNameOf(queue), id)) return undefined;
  const job = await queue.getJob(id);
  if (job === undefined || !(await job.isFailed())) return undefined;
  return job;
}

export async function inspectDeadLetter(queue: Queue, id: string): Promise<DeadLetter | undefined> {
  const job = await failedJob(queue, id);
  return job === undefined ? undefined : toDeadLetter(job);
}

/** The corrected payload, parsed by the queue's schema; it must still describe the job it replaces. */
function correctedPayload(queue: QueueName, id: string, data: unknown): unknown {
  const parsed = queue === SUBMISSIONS_QUEUE ? submissionJobSchema.safeParse(data) : webhookJobSchema.safeParse(data);
  if (!parsed.success) {
    throw new InvalidReplayDataError(
      `The corrected data does not match the ${queue} job schema; fix the fields listed.`,
      parsed.error.issues.map((issue) => ({ field: issue.path.length === 0 ? '(data)' : issue.path.join('.'), message: issue.message })),
    );
  }
  const payload = parsed.data;
  const names = 'endpointId' in payload ? webhookJobId(payload) : payload.submissionId;
  if (names !== id) {
    throw new InvalidReplayDataError(`The corrected data names job ${names}, not ${id}; a replay keeps its job's identity.`, [
      { field: 'endpointId' in payload ? 'submissionId, endpointId' : 'submissionId', message: `must make the job id ${id}` },
    ]);
  }
  return payload;
}

/**
 * Runs a dead letter again under its original id, with its attempts reset:
 * BullMQ moves the failed job back to waiting in one step, so the id (the
 * submission id) never exists twice and a replay cannot make a second row.
 * Replaying the same id twice, even at once, re-runs it once: the second call
 * finds no failed job. `correctedData`, when given, replaces the payload first
 * (the fix for a job that failed its schema); it must pass the queue's schema
 * and keep the job's id.
 */
export async function replayDeadLetter(queue: Queue, id: string, correctedData?: unknown): Promise<void> {
  const name = queueNameOf(queue);
  const job = await failedJob(queue, id);
  if (job === undefined) throw new DeadLetterNotFoundError(name, id);
  if (correctedData !== undefined) await job.updateData(correctedPayload(name, id, correctedData));
  try {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  } catch (error) {
    // Another replay (or a purge) took it out of the failed set between our read and the move.
    if (!(await job.isFailed())) throw new DeadLetterNotFoundError(name, id);
    throw error;
  }
}

/** Deletes one dead letter; false when there was none under this id. */
export async function deleteDeadLetter(queue: Queue, id: string): Promise<boolean> {
  const job = await failedJob(queue, id);
  if (job === undefined) return false;
  await job.remove();
  return true;
}

/** Deletes every dead letter of the queue; returns how many. */
export async function purgeDeadLetters(queue: Queue): Promise<number> {
  // clean() removes up to `limit` per call; a grace of 0 ms takes every failed job, whatever its age.
  let removed = 0;
  for (;;) {
    const ids = await queue.clean(0, 1_000, 'failed');
    if (ids.length === 0) return removed;
    removed += ids.length;
  }
}
