import { Column, Entity, PrimaryColumn } from 'typeorm';

export const FailureGroupStatus = {
  OPEN: 'OPEN',
  ACKNOWLEDGED: 'ACKNOWLEDGED',
  RESOLVED: 'RESOLVED',
  MUTED: 'MUTED',
} as const;
export type FailureGroupStatus = (typeof FailureGroupStatus)[keyof typeof FailureGroupStatus];

/** An error pattern: every failure with the same fingerprint. Counters are kept exact by SQL upserts. */
@Entity('failure_groups')
export class FailureGroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'service_id', type: 'varchar', length: 36 })
  serviceId: string;

  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  @Column({ name: 'task_type', type: 'varchar', length: 200 })
  taskType: string;

  @Column({ name: 'error_type', type: 'varchar', length: 255 })
  errorType: string;

  @Column({ name: 'message_template', type: 'varchar', length: 1024 })
  messageTemplate: string;

  @Column({ type: 'varchar', length: 16 })
  status: FailureGroupStatus;

  /** True once a failure arrived after the group had been resolved. */
  @Column({ type: 'boolean' })
  regressed: boolean;

  @Column({ type: 'int' })
  count: number;

  /** Failures of the group still FAILED or RETRYING. */
  @Column({ name: 'open_count', type: 'int' })
  openCount: number;

  @Column({ name: 'first_seen_at', type: 'datetime', precision: 3 })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt: Date;

  @Column({ name: 'resolved_at', type: 'datetime', precision: 3, nullable: true })
  resolvedAt: Date | null;

  /** Highest severity ever reported in the group, as a rank: 4 CRITICAL … 1 INFO. */
  @Column({ name: 'max_severity', type: 'int' })
  maxSeverity: number;

  /** The escalation rank score (0–100) from the last evaluation. */
  @Column({ name: 'rank_score', type: 'double' })
  rankScore: number;
}
