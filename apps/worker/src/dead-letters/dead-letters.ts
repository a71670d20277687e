import { QUEUE_NAMES, submissionJobSchema, SUBMISSIONS_QUEUE, webhookJobSchema, type QueueName } from '@formscale/contracts';
import type { Job, Queue } from 'bullmq';

/*
 * Dead letters are the jobs in a queue's failed set: they ran out of attempts,
 * or failed with UnrecoverableError. These operations are plain functions over
 * a BullMQ Queue so that the CLI here and the forms API's admin endpoints can
 * share them (they belong in a lib once the API uses them).
 */

export interface DeadLetter {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly attemptsMade: number;
  readonly failedReason: string;
  readonly failedAt: string | null;
  readonly data: unknown;
}

function toDeadLetter(job: Job): DeadLetter {
  return {
    id: job.id ?? '',
    queue: job.queueName,
    name: job.name,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason,
    failedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
    data: job.data,
  };
}

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/** Newest first, one page. */
export async function listDeadLetters(queue: Queue, offset = 0, limit = 50): Promise<DeadLetter[]> {
  const jobs = await queue.getFailed(offset, offset + limit - 1);
  return jobs.map(toDeadLetter);
}

export async function countDeadLetters(queue: Queue): Promise<number> {
  return queue.getFailedCount();
}

/** The dead letter with this id, or undefined when there is none (never ran, or not failed). */
export async function inspectDeadLetter(queue: Queue, id: string): Promise<DeadLetter | undefined> {
  const job = await queue.getJob(id);
  if (job === undefined || !(await job.isFailed())) return undefined;
  return toDeadLetter(job);
}

export class DeadLetterNotFoundError extends Error {
  constructor(queue: string, id: string) {
    super(`no failed job ${id} in queue ${queue}; list them with: npx tsx apps/worker/src/dead-letters/cli.ts list`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/**
 * Runs a dead letter again under its original id, with its attempts reset:
 * BullMQ moves the failed job back to waiting in one step, so the id (the
 * submission id) never exists twice and a replay cannot make a second row.
 * `correctedData`, when given, replaces the payload first (the fix for a job
 * that failed its schema) and must pass the queue's schema.
 */
export async function replayDeadLetter(queue: Queue, id: string, correctedData?: unknown): Promise<void> {
  const job = await queue.getJob(id);
  if (job === undefined || !(await job.isFailed())) throw new DeadLetterNotFoundError(queue.name, id);
  if (correctedData !== undefined) {
    const schema = queue.name === SUBMISSIONS_QUEUE ? submissionJobSchema : webhookJobSchema;
    await job.updateData(schema.parse(correctedData));
  }
  await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
}

/** Deletes every dead letter of the queue; returns how many. */
export async function purgeDeadLetters(queue: Queue): Promise<number> {
  const count = await queue.getFailedCount();
  // clean() removes in rounds of `limit`; 0 ms grace = every failed job, whatever its age.
  let removed = 0;
  for (;;) {
    const ids = await queue.clean(0, 1_000, 'failed');
    removed += ids.length;
    if (ids.length === 0 || removed >= count) return removed;
  }
}
