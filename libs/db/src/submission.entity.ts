import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique, type Relation } from 'typeorm';
import { FormVersion } from './form-version.entity';

/** Who sent a submission, as far as the API could tell. */
export type ClientMetadata = Record<string, unknown>;

/**
 * One submission. `id` is the id the API answered with, the BullMQ job id and
 * this row's key: the worker inserts with ON CONFLICT DO NOTHING, so a
 * replayed job never stores twice.
 */
@Entity({ name: 'submissions' })
@Unique('submissions_form_id_idempotency_key_key', ['formId', 'idempotencyKey'])
// Keyset pagination of a form's submissions by time: WHERE form_id = $1 AND
// (received_at, id) < ($2, $3) ORDER BY received_at DESC, id DESC.
@Index('submissions_form_id_received_at_id_idx', ['formId', 'receivedAt', 'id'])
export class Submission {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'submissions_pkey' })
  id!: string;

  @Column({ name: 'form_id', type: 'uuid' })
  formId!: string;

  @Column({ name: 'form_version', type: 'integer' })
  formVersion!: number;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  /** The client's Idempotency-Key header; unique per form (NULLs do not collide). */
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** When the API accepted it (answered 202). */
  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  /** When the worker wrote it; stored_at - received_at is the queueing delay. */
  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' })
  storedAt!: Date;

  @Column({ name: 'client_metadata', type: 'jsonb', default: () => `'{}'` })
  clientMetadata!: ClientMetadata;

  @ManyToOne(() => FormVersion, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn([
    { name: 'form_id', referencedColumnName: 'formId', foreignKeyConstraintName: 'submissions_form_version_fkey' },
    { name: 'form_version', referencedColumnName: 'version', foreignKeyConstraintName: 'submissions_form_version_fkey' },
  ])
  version?: Relation<FormVersion>;
}
