import { ApiTokenEntity } from './auth';
import { AuditEntryEntity, FailureEntity } from './failures';
import { FailureGroupEntity } from './grouping';
import { OutboxEntity } from './platform/outbox';
import { ServiceEntity } from './registry';
import { EscalationPolicyEntity } from './escalation/escalation-policy.entity';
import { IncidentDeliveryEntity, IncidentEntity } from './incidents';

/** Every TypeORM entity of the service. */
export const ENTITIES = [ServiceEntity, ApiTokenEntity, FailureEntity, FailureGroupEntity, AuditEntryEntity, OutboxEntity, EscalationPolicyEntity, IncidentEntity, IncidentDeliveryEntity];
