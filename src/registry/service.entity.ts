import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A reporting application (tenant). Named `ServiceEntity` so it never reads like a `.service.ts` class. */
@Entity('services')
export class ServiceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** Slug, unique; what reports and filters name. */
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 200 })
  team: string;

  /** 1 (low) … 5 (business critical). */
  @Column({ type: 'int' })
  criticality: number;

  @Column({ name: 'retry_webhook_url', type: 'varchar', length: 2048, nullable: true })
  retryWebhookUrl: string | null;

  /** HMAC key that signs retry requests; shown once, at creation. */
  @Column({ name: 'retry_webhook_secret', type: 'varchar', length: 128 })
  retryWebhookSecret: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
