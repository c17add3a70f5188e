import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from './roles';

/** A stored API token: only its SHA-256 hash is kept; the token itself is shown once. */
@Entity('api_tokens')
export class ApiTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'varchar', length: 16 })
  role: Role;

  /** Set for REPORTER tokens: the one service they report for and receive retries of. */
  @Column({ name: 'service_id', type: 'varchar', length: 36, nullable: true })
  serviceId: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  label: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 100 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
