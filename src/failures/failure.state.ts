import { ConflictError } from '../platform/errors';

export const FailureStatus = {
  FAILED: 'FAILED',
  RETRYING: 'RETRYING',
  SUCCEEDED: 'SUCCEEDED',
  DISCARDED: 'DISCARDED',
  RESOLVED: 'RESOLVED',
} as const;
export type FailureStatus = (typeof FailureStatus)[keyof typeof FailureStatus];

/**
 * The failure lifecycle as data. A retry may succeed or fail again; an operator may give up
 * (discard) or fix by hand (resolve) while the failure is open. Closed states are final: a new
 * failure of the same task is a new report.
 */
export const FAILURE_TRANSITIONS: Readonly<Record<FailureStatus, readonly FailureStatus[]>> = {
  FAILED: ['RETRYING', 'DISCARDED', 'RESOLVED'],
  RETRYING: ['SUCCEEDED', 'FAILED', 'DISCARDED', 'RESOLVED'],
  SUCCEEDED: [],
  DISCARDED: [],
  RESOLVED: [],
};

/** Open failures still need someone: they count in their group's `openCount`. */
export function isOpenFailureStatus(status: FailureStatus): boolean {
  return status === FailureStatus.FAILED || status === FailureStatus.RETRYING;
}

export class IllegalFailureTransitionError extends ConflictError {
  constructor(
    readonly from: FailureStatus,
    readonly to: FailureStatus,
    failureId: string,
  ) {
    super(`Failure ${failureId} cannot move from ${from} to ${to}`, { from, to, failureId });
  }
}

export function canTransitionFailure(from: FailureStatus, to: FailureStatus): boolean {
  return FAILURE_TRANSITIONS[from].includes(to);
}

/** Throws CONFLICT, naming both states, unless `from → to` is in the table. */
export function assertFailureTransition(failureId: string, from: FailureStatus, to: FailureStatus): void {
  if (!canTransitionFailure(from, to)) throw new IllegalFailureTransitionError(from, to, failureId);
}
