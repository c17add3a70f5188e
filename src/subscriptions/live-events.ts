import type { FailureEntity } from '../failures/failure.entity';
import type { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { ServiceEntity } from '../registry';

/** Every live topic. Retry requests have one topic per service. */
export const LiveTopic = {
  FAILURE_REPORTED: 'failure-reported',
  FAILURE_UPDATED: 'failure-updated',
  FAILURE_GROUP_UPDATED: 'failure-group-updated',
  INCIDENT_UPDATED: 'incident-updated',
  retryRequested: (serviceId: string) => `retry-requested:${serviceId}`,
} as const;

type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

export type ServiceSnapshot = Json<ServiceEntity>;
export type GroupSnapshot = Json<FailureGroupEntity> & { service: ServiceSnapshot };
export type FailureSnapshot = Json<FailureEntity> & { service: ServiceSnapshot; group: GroupSnapshot };

/** FAILURE_REPORTED: the failures one transaction stored, with their service and group. */
export interface FailuresReportedEvent {
  failures: FailureSnapshot[];
}

/** FAILURE_UPDATED: failures whose status one transaction changed, as they are when the event is sent. */
export interface FailuresUpdatedEvent {
  failures: FailureSnapshot[];
}

/** FAILURE_GROUP_UPDATED: the latest state of groups that changed (coalesced). */
export interface GroupsUpdatedEvent {
  groups: GroupSnapshot[];
}

/** INCIDENT_UPDATED: an incident was triggered, acknowledged or resolved. */
export interface IncidentUpdatedEvent {
  incidentId: string;
  groupId: string;
  serviceId: string;
  status: string;
  severity: string;
  /** The last delivery error, when the provider refused or could not be reached. */
  deliveryError: string | null;
  at: string;
}

/** retryRequested: one retry for the service's subscriber. */
export interface RetryRequestedEvent {
  requestId: string;
  attempt: number;
  requestedAt: string;
  failure: FailureSnapshot;
}

/** A failure as live feeds carry it: its service and group come along, current as of the event. */
export type LiveFailure = FailureEntity & { embedded: { service: ServiceEntity; group: LiveGroup } };
export type LiveGroup = FailureGroupEntity & { embedded: { service: ServiceEntity } };

export function snapshotService(service: ServiceEntity): ServiceSnapshot {
  const { retryWebhookSecret: _secret, ...visible } = service;
  return { ...visible, retryWebhookSecret: '', createdAt: service.createdAt.toISOString(), updatedAt: service.updatedAt.toISOString() };
}

export function snapshotGroup(group: FailureGroupEntity, service: ServiceEntity): GroupSnapshot {
  return {
    ...group,
    firstSeenAt: group.firstSeenAt.toISOString(),
    lastSeenAt: group.lastSeenAt.toISOString(),
    resolvedAt: group.resolvedAt?.toISOString() ?? null,
    service: snapshotService(service),
  };
}

export function snapshotFailure(failure: FailureEntity, service: ServiceEntity, group: FailureGroupEntity): FailureSnapshot {
  return {
    ...failure,
    occurredAt: failure.occurredAt.toISOString(),
    receivedAt: failure.receivedAt.toISOString(),
    updatedAt: failure.updatedAt.toISOString(),
    service: snapshotService(service),
    group: snapshotGroup(group, service),
  };
}

export function reviveService(s: ServiceSnapshot): ServiceEntity {
  return { ...s, createdAt: new Date(s.createdAt), updatedAt: new Date(s.updatedAt) };
}

export function reviveGroup(s: GroupSnapshot): LiveGroup {
  const { service, ...group } = s;
  return {
    ...group,
    firstSeenAt: new Date(s.firstSeenAt),
    lastSeenAt: new Date(s.lastSeenAt),
    resolvedAt: s.resolvedAt ? new Date(s.resolvedAt) : null,
    embedded: { service: reviveService(service) },
  };
}

export function reviveFailure(s: FailureSnapshot): LiveFailure {
  const { service, group, ...failure } = s;
  return {
    ...failure,
    occurredAt: new Date(s.occurredAt),
    receivedAt: new Date(s.receivedAt),
    updatedAt: new Date(s.updatedAt),
    embedded: { service: reviveService(service), group: reviveGroup(group) },
  };
}
