import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Severity } from '../failures/failure.entity';

/** The scope of the global default policy (a service's policy uses the service id). */
export const GLOBAL_POLICY_SCOPE = 'global';

/** When, for whom and how to page. Credentials are stored encrypted (see CredentialsCipher). */
@Entity('escalation_policies')
export class EscalationPolicyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** GLOBAL_POLICY_SCOPE, or the service id. */
  @Column({ type: 'varchar', length: 36 })
  scope: string;

  @Column({ name: 'service_id', type: 'varchar', length: 36, nullable: true })
  serviceId: string | null;

  @Column({ type: 'varchar', length: 16 })
  provider: string;

  /** Encrypted JSON of ProviderCredentials. */
  @Column({ name: 'credentials', type: 'text' })
  credentialsEncrypted: string;

  @Column({ name: 'min_severity', type: 'varchar', length: 16 })
  minSeverity: Severity;

  @Column({ name: 'threshold_count', type: 'int' })
  thresholdCount: number;

  @Column({ name: 'threshold_window_seconds', type: 'int' })
  thresholdWindowSeconds: number;

  @Column({ name: 'group_wait_seconds', type: 'int' })
  groupWaitSeconds: number;

  @Column({ name: 'repeat_interval_seconds', type: 'int' })
  repeatIntervalSeconds: number;

  @Column({ name: 'quiet_period_seconds', type: 'int' })
  quietPeriodSeconds: number;

  @Column({ name: 'flap_window_seconds', type: 'int' })
  flapWindowSeconds: number;

  /** JSON array of { from, to, reason } (ISO times) during which nothing is paged. */
  @Column({ name: 'mute_windows', type: 'text' })
  muteWindowsJson: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
