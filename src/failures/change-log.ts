import type { EntityManager } from 'typeorm';

/** What a write transaction changed, for whoever follows changes (the live feeds). */
export interface Change {
  /** Failures stored for the first time. */
  reportedFailureIds?: string[];
  /** Failures whose status changed (retried, retry answered or timed out, discarded, resolved). */
  updatedFailureIds?: string[];
  /** Groups whose counters or status changed. */
  groupIds?: string[];
  /** Incidents triggered, acknowledged, resolved, or whose delivery failed. */
  incidentIds?: string[];
}

/**
 * Records changes inside the transaction that makes them, so followers learn of a change if
 * and only if it committed (the implementation writes an outbox row).
 */
export interface ChangeLog {
  record(manager: EntityManager, change: Change): Promise<void>;
  /** Called after the commit: the change may be acted on now. */
  committed(): void;
}
