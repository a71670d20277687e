import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Form } from './form.entity';

/**
 * One field of a form version as stored; the API validates definitions with
 * its own schema before they get here.
 */
export type FormFieldDefinition = Record<string, unknown>;

/**
 * A numbered version of a form's fields. Once published_at is set the row is
 * immutable: a trigger rejects UPDATE, and DELETE except when the whole form
 * is deleted (submissions point at it).
 */
@Entity({ name: 'form_versions' })
@Check('form_versions_version_check', '"version" >= 1')
export class FormVersion {
  @PrimaryColumn({ name: 'form_id', type: 'uuid', primaryKeyConstraintName: 'form_versions_pkey' })
  formId!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'form_versions_pkey' })
  version!: number;

  @Column({ type: 'jsonb' })
  fields!: FormFieldDefinition[];

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => Form, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'form_id', foreignKeyConstraintName: 'form_versions_form_id_fkey' })
  form?: Relation<Form>;
}
