import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DeliveryAction = 'TRIGGER' | 'ACKNOWLEDGE' | 'RESOLVE';
/** DELIVERED: the provider took it; RETRYING: failed, will be tried again; FAILED: given up. */
export type DeliveryStatus = 'DELIVERED' | 'RETRYING' | 'FAILED';

/** One attempt to tell the provider about an incident. */
@Entity('incident_deliveries')
export class IncidentDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'incident_id', type: 'varchar', length: 36 })
  incidentId: string;

  @Column({ type: 'varchar', length: 16 })
  action: DeliveryAction;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'int' })
  attempt: number;

  @Column({ type: 'datetime', precision: 3 })
  at: Date;
}
