import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn, type Relation } from 'typeorm';
import { Form } from './form.entity';

/** bigint arrives from pg as a string; counts stay far below 2^53. */
const bigintAsNumber = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/** Per-form counters the worker keeps up to date as it stores submissions. */
@Entity({ name: 'form_stats' })
export class FormStats {
  @PrimaryColumn({ name: 'form_id', type: 'uuid', primaryKeyConstraintName: 'form_stats_pkey' })
  formId!: string;

  @Column({ name: 'submission_count', type: 'bigint', default: 0, transformer: bigintAsNumber })
  submissionCount!: number;

  @Column({ name: 'last_submission_at', type: 'timestamptz', nullable: true })
  lastSubmissionAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @OneToOne(() => Form, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'form_id', foreignKeyConstraintName: 'form_stats_form_id_fkey' })
  form?: Relation<Form>;
}
