import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { DELIVER_WEBHOOK_JOB, WEBHOOKS_QUEUE, webhookJobSchema, type WebhookJob } from '@formscale/contracts';
import { Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { DatabaseService } from '../database.service';
import { dispatch, type HandlerRegistration } from '../jobs/job-handlers';
import { WORKER_CONFIG, type WorkerConfig } from '../worker-config';
import { RefusedDestinationError, resolveAllowedDestination } from './destination-guard';
import { postWebhook } from './post-webhook';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature';

/** The event a receiver gets. */
export interface SubmissionCreatedWebhook {
  readonly event: 'submission.created';
  readonly submissionId: string;
  readonly formId: string;
  readonly formVersion: number;
  readonly data: Record<string, unknown>;
  readonly receivedAt: string;
  readonly occurredAt: string;
}

/** The receiver answered, but not with 2xx: its attempt is already recorded. */
class ReceiverAnsweredError extends Error {}

type DeliveryResult = { readonly status: 'delivered'; readonly responseStatus: number } | { readonly status: 'skipped'; readonly reason: string };

/*
 * The delivery row per (endpoint, submission) is the log: attempts counts every
 * try, response_status and last_error describe the latest, status ends as
 * succeeded or failed. A succeeded row makes a re-run job a no-op.
 */
const CLAIM_DELIVERY = `
  INSERT INTO webhook_deliveries (endpoint_id, submission_id) VALUES ($1, $2)
  ON CONFLICT (endpoint_id, submission_id) DO UPDATE SET updated_at = now()
  RETURNING status`;
const RECORD_ATTEMPT = `
  UPDATE webhook_deliveries SET attempts = attempts + 1, status = $3, response_status = $4, last_error = $5,
    delivered_at = CASE WHEN $3 = 'succeeded' THEN now() ELSE delivered_at END, updated_at = now()
  WHERE endpoint_id = $1 AND submission_id = $2`;

@Processor(WEBHOOKS_QUEUE, { autorun: false })
export class WebhookProcessor extends WorkerHost {
  private readonly logger = new Logger('webhooks');
  readonly registration: HandlerRegistration = {
    queue: WEBHOOKS_QUEUE,
    processor: WebhookProcessor.name,
    handlers: { [DELIVER_WEBHOOK_JOB]: (job) => this.deliver(job) },
  };

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly db: DatabaseService,
  ) {
    super();
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.registration.handlers, job);
  }

  private async deliver(job: Job): Promise<DeliveryResult> {
    const parsed = webhookJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`webhook job ${job.id} does not match webhookJobSchema (${z.prettifyError(parsed.error).replace(/\n/g, '; ')})`);
    }
    const payload = parsed.data;
    const db = this.db.router;
    const endpoint = await db.write<{ url: string; secret: string; active: boolean }>(
      'SELECT url, secret, active FROM webhook_endpoints WHERE id = $1',
      [payload.endpointId],
    );
    const target = endpoint.rows[0];
    if (target === undefined || !target.active) return { status: 'skipped', reason: 'endpoint removed or inactive' };
    const claim = await db.write<{ status: string }>(CLAIM_DELIVERY, [payload.endpointId, payload.submissionId]);
    if (claim.rows[0]?.status === 'succeeded') return { status: 'skipped', reason: 'already delivered' };

    const body = JSON.stringify(await this.event(payload));
    const isLastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const record = (status: 'succeeded' | 'pending' | 'failed', responseStatus: number | null, error: string | null) =>
      db.write(RECORD_ATTEMPT, [payload.endpointId, payload.submissionId, status, responseStatus, error]);

    let url: URL;
    try {
      url = new URL(target.url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`scheme ${url.protocol} is not http or https`);
      const addresses = await resolveAllowedDestination(url, {
        allowLoopback: this.config.webhookAllowLoopback,
        allowPrivate: this.config.webhookAllowPrivate,
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await postWebhook(
        url,
        addresses,
        {
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
          'User-Agent': 'formscale-webhooks',
        },
        body,
        this.config.webhookTimeoutMs,
      );
      if (response.status < 200 || response.status >= 300) {
        await record(isLastAttempt ? 'failed' : 'pending', response.status, `receiver answered ${response.status}`);
        throw new ReceiverAnsweredError(`webhook receiver ${url.origin} answered ${response.status}; will retry with backoff`);
      }
      await record('succeeded', response.status, null);
      return { status: 'delivered', responseStatus: response.status };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof RefusedDestinationError || error instanceof TypeError) {
        await record('failed', null, message);
        throw new UnrecoverableError(message);
      }
      if (!(error instanceof ReceiverAnsweredError)) await record(isLastAttempt ? 'failed' : 'pending', null, message);
      this.logger.warn({ msg: 'webhook attempt failed', jobId: job.id, attempt: job.attemptsMade + 1, err: message });
      throw error;
    }
  }

  private async event(job: WebhookJob): Promise<SubmissionCreatedWebhook> {
    const result = await this.db.router.write<{ form_version: number; data: Record<string, unknown>; received_at: Date }>(
      'SELECT form_version, data, received_at FROM submissions WHERE id = $1',
      [job.submissionId],
    );
    const row = result.rows[0];
    if (row === undefined) throw new UnrecoverableError(`submission ${job.submissionId} is not stored; nothing to deliver`);
    return {
      event: 'submission.created',
      submissionId: job.submissionId,
      formId: job.formId,
      formVersion: row.form_version,
      data: row.data,
      receivedAt: row.received_at.toISOString(),
      occurredAt: job.occurredAt,
    };
  }
}
