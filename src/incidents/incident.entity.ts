import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Severity } from '../failures/failure.entity';
import type { IncidentStatus } from './incident.state';

/** What was escalated for a failure group. At most one open incident per group (unique `open_group_id`). */
@Entity('incidents')
export class IncidentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'group_id', type: 'varchar', length: 36 })
  groupId: string;

  /** The group id while open, null once resolved: the unique key that forbids a second open incident. */
  @Column({ name: 'open_group_id', type: 'varchar', length: 36, nullable: true })
  openGroupId: string | null;

  @Column({ name: 'service_id', type: 'varchar', length: 36 })
  serviceId: string;

  @Column({ type: 'varchar', length: 16 })
  status: IncidentStatus;

  @Column({ type: 'varchar', length: 16 })
  severity: Severity;

  @Column({ name: 'rank_score', type: 'double' })
  rankScore: number;

  /** JSON array of human-readable reasons behind the score. */
  @Column({ name: 'rank_reasons', type: 'text' })
  rankReasonsJson: string;

  @Column({ type: 'varchar', length: 16 })
  provider: string;

  @Column({ name: 'policy_id', type: 'varchar', length: 36 })
  policyId: string;

  /** PagerDuty dedup_key / Opsgenie alias. */
  @Column({ name: 'external_key', type: 'varchar', length: 255 })
  externalKey: string;

  @Column({ name: 'failure_count', type: 'int' })
  failureCount: number;

  @Column({ name: 'last_notified_at', type: 'datetime', precision: 3, nullable: true })
  lastNotifiedAt: Date | null;

  /** Triggers the provider accepted; 0 means the pager never heard of this incident. */
  @Column({ name: 'notified_count', type: 'int' })
  notifiedCount: number;

  @Column({ name: 'delivery_error', type: 'text', nullable: true })
  deliveryError: string | null;

  @Column({ name: 'triggered_at', type: 'datetime', precision: 3 })
  triggeredAt: Date;

  @Column({ name: 'acknowledged_at', type: 'datetime', precision: 3, nullable: true })
  acknowledgedAt: Date | null;

  @Column({ name: 'acknowledged_by', type: 'varchar', length: 200, nullable: true })
  acknowledgedBy: string | null;

  @Column({ name: 'resolved_at', type: 'datetime', precision: 3, nullable: true })
  resolvedAt: Date | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 200, nullable: true })
  resolvedBy: string | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
