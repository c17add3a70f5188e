import { describe, expect, it } from '@jest/globals';
import { IncidentStatus, assertIncidentTransition, canTransitionIncident, isOpenIncident } from '../../../src/incidents/incident.state';

const ALL = Object.values(IncidentStatus);
const ALLOWED = new Set(['TRIGGERED>ACKNOWLEDGED', 'TRIGGERED>RESOLVED', 'ACKNOWLEDGED>RESOLVED']);

describe('the incident lifecycle', () => {
  it.each(ALL.flatMap((from) => ALL.map((to) => [from, to] as const)))('%s → %s is allowed only if the table says so', (from, to) => {
    const allowed = ALLOWED.has(`${from}>${to}`);
    expect(canTransitionIncident(from, to)).toBe(allowed);
    if (allowed) expect(() => assertIncidentTransition('i-1', from, to)).not.toThrow();
    else expect(() => assertIncidentTransition('i-1', from, to)).toThrow(expect.objectContaining({ code: 'CONFLICT', message: expect.stringContaining(`${from} to ${to}`) }));
  });

  it('is open until resolved', () => {
    expect(ALL.filter(isOpenIncident)).toEqual(['TRIGGERED', 'ACKNOWLEDGED']);
  });
});
