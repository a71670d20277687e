import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { DELIVER_WEBHOOK_JOB, WEBHOOKS_QUEUE, webhookJobSchema, type WebhookJob } from '@formscale/contracts';
import type { WebhookDeliveryStatus } from '@formscale/db';
import { queueErrorListener } from '@formscale/queue';
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

/** The endpoint's URL cannot be called at all; retrying cannot change that. */
class UnusableUrlError extends Error {}

function webhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnusableUrlError(`webhook endpoint URL ${JSON.stringify(text)} is not a URL; fix the endpoint`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UnusableUrlError(`webhook endpoint URL ${url.origin} uses ${url.protocol}, not http or https; fix the endpoint`);
  }
  return url;
}

type DeliveryResult = { readonly status: 'delivered'; readonly responseStatus: number } | { readonly status: 'skipped'; readonly reason: string };

/*
 * The delivery log: one row per attempt, numbered from 1 per (endpoint,
 * submission), written once the attempt has an outcome. A succeeded row makes
 * a re-run job (a replay, a stalled job run again) a no-op. Two runs of the
 * same job at once would both take the next number; the unique key fails the
 * second, and its job retries.
 */
const ALREADY_DELIVERED = `
  SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND submission_id = $2 AND status = 'succeeded') AS delivered`;
const RECORD_ATTEMPT = `
  INSERT INTO webhook_deliveries (endpoint_id, submission_id, attempt, status, response_status, error)
  SELECT $1, $2, coalesce(max(attempt), 0) + 1, $3, $4, $5 FROM webhook_deliveries WHERE endpoint_id = $1 AND submission_id = $2`;

@Processor(WEBHOOKS_QUEUE, { autorun: false })
export class WebhookProcessor extends WorkerHost {
  private readonly logger = new Logger('webhooks');
  private readonly reportError = queueErrorListener(WEBHOOKS_QUEUE, (fields) => this.logger.error(fields));
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

  /** Attached by @nestjs/bullmq as it creates the worker, before its connection can fail. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.reportError(error);
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
    const delivered = await db.write<{ delivered: boolean }>(ALREADY_DELIVERED, [payload.endpointId, payload.submissionId]);
    if (delivered.rows[0]?.delivered === true) return { status: 'skipped', reason: 'already delivered' };

    const body = JSON.stringify(await this.event(payload));
    const record = (status: WebhookDeliveryStatus, responseStatus: number | null, error: string | null) =>
      db.write(RECORD_ATTEMPT, [payload.endpointId, payload.submissionId, status, responseStatus, error]);

    try {
      const url = webhookUrl(target.url);
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
        await record('failed', response.status, `receiver answered ${response.status}`);
        throw new ReceiverAnsweredError(`webhook receiver ${url.origin} answered ${response.status}; will retry with backoff`);
      }
      await record('succeeded', response.status, null);
      return { status: 'delivered', responseStatus: response.status };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof RefusedDestinationError || error instanceof UnusableUrlError) {
        await record(error instanceof RefusedDestinationError ? 'refused' : 'failed', null, message);
        throw new UnrecoverableError(message);
      }
      if (!(error instanceof ReceiverAnsweredError)) await record('failed', null, message);
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
