import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Form } from './form.entity';

/** A URL that is told about every stored submission of a form. */
@Entity({ name: 'webhook_endpoints' })
@Index('webhook_endpoints_form_id_idx', ['formId'])
export class WebhookEndpoint {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_endpoints_pkey' })
  id!: string;

  @Column({ name: 'form_id', type: 'uuid' })
  formId!: string;

  @Column({ type: 'text' })
  url!: string;

  /** Key of the HMAC signature header, so the receiver can verify the sender. */
  @Column({ type: 'text' })
  secret!: string;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @ManyToOne(() => Form, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'form_id', foreignKeyConstraintName: 'webhook_endpoints_form_id_fkey' })
  form?: Relation<Form>;
}
