import { ConflictError, UnreachableCaseError } from '../platform/errors';

export const IncidentStatus = { TRIGGERED: 'TRIGGERED', ACKNOWLEDGED: 'ACKNOWLEDGED', RESOLVED: 'RESOLVED' } as const;
export type IncidentStatus = (typeof IncidentStatus)[keyof typeof IncidentStatus];

/** The incident lifecycle as data: someone takes it, then it ends; or it ends untaken. */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  TRIGGERED: ['ACKNOWLEDGED', 'RESOLVED'],
  ACKNOWLEDGED: ['RESOLVED'],
  RESOLVED: [],
};

export class IllegalIncidentTransitionError extends ConflictError {
  constructor(from: IncidentStatus, to: IncidentStatus, incidentId: string) {
    super(`Incident ${incidentId} cannot move from ${from} to ${to}`, { from, to, incidentId });
  }
}

export function canTransitionIncident(from: IncidentStatus, to: IncidentStatus): boolean {
  return INCIDENT_TRANSITIONS[from].includes(to);
}

export function assertIncidentTransition(incidentId: string, from: IncidentStatus, to: IncidentStatus): void {
  if (!canTransitionIncident(from, to)) throw new IllegalIncidentTransitionError(from, to, incidentId);
}

export function isOpenIncident(status: IncidentStatus): boolean {
  switch (status) {
    case IncidentStatus.TRIGGERED:
    case IncidentStatus.ACKNOWLEDGED:
      return true;
    case IncidentStatus.RESOLVED:
      return false;
    default:
      throw new UnreachableCaseError(status);
  }
}
