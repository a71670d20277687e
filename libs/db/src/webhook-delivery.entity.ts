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
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Submission } from './submission.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * One submission sent (or being sent) to one endpoint. Unique per
 * (endpoint, submission), so a retried job updates the same row.
 */
@Entity({ name: 'webhook_deliveries' })
@Unique('webhook_deliveries_endpoint_id_submission_id_key', ['endpointId', 'submissionId'])
@Check('webhook_deliveries_status_check', `"status" IN ('pending', 'succeeded', 'failed')`)
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

  @Column({ type: 'text', default: 'pending' })
  status!: WebhookDeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** HTTP status of the last attempt; null when it got no answer. */
  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @ManyToOne(() => WebhookEndpoint, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'endpoint_id', foreignKeyConstraintName: 'webhook_deliveries_endpoint_id_fkey' })
  endpoint?: Relation<WebhookEndpoint>;

  @ManyToOne(() => Submission, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'submission_id', foreignKeyConstraintName: 'webhook_deliveries_submission_id_fkey' })
  submission?: Relation<Submission>;
}
