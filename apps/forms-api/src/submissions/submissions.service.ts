import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { FormsApiConfig } from '@formscale/config';
import { SUBMISSIONS_QUEUE, type SubmissionJob } from '@formscale/contracts';
import { ReplicaRouter } from '@formscale/db';
import { ApiError } from '../http/api-error';
import { FORMS_API_CONFIG } from '../http/tokens';
import { PublishedForms } from '../forms/published-forms';
import { fieldErrors, SubmissionSchemaCache } from '../forms/submission-schema';
import { IdempotencyStore, requestHash, type IdempotencyRecord } from './idempotency';
import { SubmissionQueue } from './submission-queue';

/** How long a client should wait before retrying when Redis could not take the job. */
const RETRY_AFTER_SECONDS = '5';

export interface SubmitRequest {
  formId: string;
  body: unknown;
  idempotencyKey: string | null;
  client: { ip: string | null; userAgent: string | null; requestId: string | null };
}

export interface Accepted {
  id: string;
  status: 'queued';
  replayed: boolean;
}

export type SubmissionStatus =
  | { id: string; status: 'queued'; formId: string; receivedAt: string }
  | { id: string; status: 'stored'; formId: string; formVersion: number; receivedAt: string; storedAt: string; data: unknown }
  | { id: string; status: 'failed'; formId: string; reason: string };

function unavailable(): ApiError {
  return new ApiError(
    503,
    'The submission could not be stored right now (the queue is unreachable); nothing was saved. Retry after the Retry-After seconds.',
    undefined,
    { 'Retry-After': RETRY_AFTER_SECONDS },
  );
}

@Injectable()
export class SubmissionsService {
  private readonly logger = new Logger(SubmissionsService.name);
  private readonly schemas = new SubmissionSchemaCache();
  private readonly jobs: SubmissionQueue;

  constructor(
    private readonly forms: PublishedForms,
    private readonly idempotency: IdempotencyStore,
    protected readonly router: ReplicaRouter,
    @InjectQueue(SUBMISSIONS_QUEUE) private readonly queue: Queue,
    @Inject(FORMS_API_CONFIG) config: FormsApiConfig,
  ) {
    this.jobs = new SubmissionQueue(queue, config.queueAddTimeoutMs);
  }

  async submit(request: SubmitRequest): Promise<Accepted> {
    const form = await this.forms.requireOpen(request.formId);
    if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
      throw new ApiError(400, 'The body must be a JSON object of field names to answers.');
    }
    const parsed = this.schemas.get(form.id, form.version, form.fields).safeParse(request.body);
    if (!parsed.success) {
      throw new ApiError(400, 'Some answers are not valid; fix the fields listed in details.', fieldErrors(parsed.error, request.body));
    }
    const job = {
      formId: form.id,
      formVersion: form.version,
      data: parsed.data,
      idempotencyKey: request.idempotencyKey,
      receivedAt: new Date().toISOString(),
      client: request.client,
    };
    if (request.idempotencyKey === null) {
      const submissionId = randomUUID();
      await this.enqueue({ ...job, submissionId });
      return { id: submissionId, status: 'queued', replayed: false };
    }
    return this.submitIdempotent(request.formId, request.idempotencyKey, request.body, job);
  }

  private async submitIdempotent(
    formId: string,
    key: string,
    body: unknown,
    job: Omit<Parameters<SubmissionsService['enqueue']>[0], 'submissionId'>,
  ): Promise<Accepted> {
    const record: IdempotencyRecord = { hash: requestHash(formId, body), submissionId: randomUUID(), state: 'pending' };
    const claim = await this.idempotency.claim(formId, key, record).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'idempotency store unavailable');
      throw unavailable();
    });
    if (claim.claimed) {
      try {
        await this.enqueue({ ...job, submissionId: record.submissionId });
      } catch (error) {
        // Free the key so the client's retry is a first attempt, not a replay of a failure.
        await this.idempotency.release(formId, key, record).catch(() => undefined);
        throw error;
      }
      await this.idempotency.markQueued(formId, key, record).catch((error: unknown) => {
        // The job is stored; a stale "pending" only makes a replay re-add it, which BullMQ ignores.
        this.logger.warn({ err: error }, 'could not mark idempotency key queued');
      });
      return { id: record.submissionId, status: 'queued', replayed: false };
    }
    const existing = claim.existing;
    if (existing.hash !== record.hash) {
      throw new ApiError(
        422,
        'This Idempotency-Key was already used with a different body or form. Use a new key for a new submission, or resend the original body.',
      );
    }
    if (existing.state === 'pending') {
      // The first request may still be adding (or have failed to add) the job; adding it under
      // the same id is a no-op if it is there, so this answer never claims a job that is not stored.
      await this.enqueue({ ...job, submissionId: existing.submissionId });
    }
    return { id: existing.submissionId, status: 'queued', replayed: true };
  }

  protected async enqueue(job: SubmissionJob): Promise<void> {
    try {
      await this.jobs.add(job);
    } catch (error) {
      this.logger.warn({ err: error, submissionId: job.submissionId }, 'submission not queued');
      throw unavailable();
    }
  }

  /** Stored (row on a replica that has the caller's token, else the primary), still queued, or failed. */
  async status(id: string): Promise<SubmissionStatus | undefined> {
    const stored = await this.storedRow(id);
    if (stored !== undefined) return stored;
    const job = await this.queue.getJob(id).catch(() => undefined);
    if (job === undefined) return undefined;
    const state = await job.getState();
    const data = job.data as { formId: string; receivedAt: string };
    if (state === 'failed') {
      return { id, status: 'failed', formId: data.formId, reason: job.failedReason ?? 'unknown' };
    }
    if (state === 'completed') {
      // Stored on the primary, not yet replayed on the replica that answered: read the primary.
      const fromPrimary = await this.storedRow(id, true);
      if (fromPrimary !== undefined) return fromPrimary;
    }
    return { id, status: 'queued', formId: data.formId, receivedAt: data.receivedAt };
  }

  private async storedRow(id: string, primary = false): Promise<SubmissionStatus | undefined> {
    // FOR SHARE makes the router send the read to the primary.
    const { rows } = await this.router.read<{
      id: string;
      form_id: string;
      form_version: number;
      received_at: Date;
      stored_at: Date;
      data: unknown;
    }>(
      `SELECT id, form_id, form_version, received_at, stored_at, data FROM submissions WHERE id = $1${primary ? ' FOR SHARE' : ''}`,
      [id],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.id,
      status: 'stored',
      formId: row.form_id,
      formVersion: row.form_version,
      receivedAt: row.received_at.toISOString(),
      storedAt: row.stored_at.toISOString(),
      data: row.data,
    };
  }
}
