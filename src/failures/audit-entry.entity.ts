import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AuditSubjectType = 'FAILURE' | 'GROUP' | 'INCIDENT';

/** Who did what to which failure, group or incident, when, and why. Append-only. */
@Entity('audit_entries')
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'subject_type', type: 'varchar', length: 16 })
  subjectType: AuditSubjectType;

  @Column({ name: 'subject_id', type: 'varchar', length: 36 })
  subjectId: string;

  @Column({ type: 'varchar', length: 32 })
  action: string;

  @Column({ type: 'varchar', length: 200 })
  actor: string;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ type: 'datetime', precision: 3 })
  at: Date;
}
