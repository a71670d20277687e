import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  type Relation,
} from 'typeorm';
import { Submission } from './submission.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

/**
 * What became of one attempt: the receiver answered 2xx (succeeded), answered
 * otherwise or not at all (failed), or the destination resolves to an address
 * webhooks may not reach, so nothing was sent (refused).
 */
export const WEBHOOK_DELIVERY_STATUSES = ['succeeded', 'failed', 'refused'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * One attempt to send one submission to one endpoint: the delivery log.
 * Attempts of a (endpoint, submission) are numbered from 1; a row is written
 * once its attempt has an outcome, and never changed.
 */
@Entity({ name: 'webhook_deliveries' })
@Unique('webhook_deliveries_endpoint_id_submission_id_attempt_key', ['endpointId', 'submissionId', 'attempt'])
@Check('webhook_deliveries_status_check', `"status" IN ('succeeded', 'failed', 'refused')`)
@Check('webhook_deliveries_attempt_check', `"attempt" >= 1`)
// An endpoint's delivery log, newest first, paged by (created_at, id).
@Index('webhook_deliveries_endpoint_id_created_at_id_idx', ['endpointId', 'createdAt', 'id'])
// The deliveries of one submission, and the cascade when a submission goes.
@Index('webhook_deliveries_submission_id_idx', ['submissionId'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_deliveries_pkey' })
  id!: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId!: string;

  @Column({ name: 'submission_id', type: 'uuid' })
  submissionId!: string;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ type: 'text' })
  status!: WebhookDeliveryStatus;

  /** HTTP status the receiver answered; null when it did not answer or was never asked. */
  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  /** Why the attempt did not succeed. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** When the attempt's outcome was recorded. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => WebhookEndpoint, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'endpoint_id', foreignKeyConstraintName: 'webhook_deliveries_endpoint_id_fkey' })
  endpoint?: Relation<WebhookEndpoint>;

  @ManyToOne(() => Submission, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'submission_id', foreignKeyConstraintName: 'webhook_deliveries_submission_id_fkey' })
  submission?: Relation<Submission>;
}
