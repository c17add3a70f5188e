import { SEVERITY_RANK, type Severity } from '../failures/failure.entity';
import type { IncidentUpdatedEvent, LiveFailure, LiveGroup } from './live-events';
import type { LiveFilter } from './live-subscriptions';
import type { LiveFailureFilter, LiveFailureGroupFilter } from './subscriptions.types';

/** At least as severe as `min` (CRITICAL is the most severe). */
export function atLeast(severity: Severity | string, min: Severity | null | undefined): boolean {
  return !min || (SEVERITY_RANK[severity as Severity] ?? 0) >= SEVERITY_RANK[min];
}

/** A stable key: equal filters, however their fields were ordered, share one evaluation. */
function keyOf(filter: object | null | undefined): string {
  const entries = Object.entries(filter ?? {}).filter(([, v]) => v !== null && v !== undefined);
  return JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v]));
}

/**
 * Case-insensitive substring test, as `FailureFilter.errorMessage` matches in SQL (a LIKE with
 * the wildcards escaped). An empty needle matches everything, as an empty filter field does.
 */
export function containsIgnoreCase(text: string, needle: string | null | undefined): boolean {
  return !needle || text.toLowerCase().includes(needle.toLowerCase());
}

export function failureFilter(filter: LiveFailureFilter | null | undefined): LiveFilter<LiveFailure> {
  const f = filter ?? {};
  return {
    key: keyOf(f),
    matches: (failure) =>
      (!f.id || failure.id === f.id) &&
      (!f.service || failure.embedded.service.name === f.service) &&
      (!f.pattern || failure.pattern === f.pattern) &&
      (!f.taskType || failure.taskType === f.taskType) &&
      (!f.group || failure.groupId === f.group) &&
      (!f.severity?.length || f.severity.includes(failure.severity)) &&
      atLeast(failure.severity, f.minSeverity) &&
      containsIgnoreCase(failure.errorMessage, f.errorMessage),
  };
}

export function groupFilter(filter: LiveFailureGroupFilter | null | undefined): LiveFilter<LiveGroup> {
  const f = filter ?? {};
  return {
    key: keyOf(f),
    matches: (group) =>
      (!f.service || group.embedded.service.name === f.service) && (!f.id || group.id === f.id) && (!f.status?.length || f.status.includes(group.status)),
  };
}

export function incidentFilter(filter: { serviceId?: string | null; minSeverity?: Severity | null }): LiveFilter<IncidentUpdatedEvent> {
  return {
    key: keyOf(filter),
    matches: (event) => (!filter.serviceId || event.serviceId === filter.serviceId) && atLeast(event.severity, filter.minSeverity),
  };
}
