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
import { FormVersion } from './form-version.entity';

export const FORM_STATUSES = ['draft', 'published', 'archived'] as const;
export type FormStatus = (typeof FORM_STATUSES)[number];

/** A form; what it asks for lives in its versions. */
@Entity({ name: 'forms' })
@Unique('forms_slug_key', ['slug'])
@Check('forms_status_check', `"status" IN ('draft', 'published', 'archived')`)
@Index('forms_created_at_id_idx', ['createdAt', 'id'])
export class Form {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'forms_pkey' })
  id!: string;

  /** URL-friendly unique name. */
  @Column({ type: 'text' })
  slug!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text', default: 'draft' })
  status!: FormStatus;

  /** The version submissions are validated against; null until the first publication. */
  @Column({ name: 'published_version', type: 'integer', nullable: true })
  publishedVersion!: number | null;

  @ManyToOne(() => FormVersion, { nullable: true })
  @JoinColumn([
    { name: 'id', referencedColumnName: 'formId', foreignKeyConstraintName: 'forms_published_version_fkey' },
    {
      name: 'published_version',
      referencedColumnName: 'version',
      foreignKeyConstraintName: 'forms_published_version_fkey',
    },
  ])
  published?: Relation<FormVersion> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
