import { describe, expect, it } from '@jest/globals';
import { type GroupActivity, type OpenIncidentState, type PolicyRules, decide } from '../../../src/escalation/policy-evaluation';

const NOW = new Date('2026-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const rules: PolicyRules = {
  minSeverity: 'ERROR',
  thresholdCount: 5,
  thresholdWindowSeconds: 300,
  groupWaitSeconds: 30,
  repeatIntervalSeconds: 3600,
  quietPeriodSeconds: 1800,
  flapWindowSeconds: 300,
  muteWindows: [],
};
const group: GroupActivity = { status: 'OPEN', qualifyingInWindow: 0, criticalInWindow: 0, lastSeenAt: ago(10), resolvedAt: null };
const open: OpenIncidentState = { status: 'TRIGGERED', lastNotifiedAt: ago(60), failureCount: 10 };

describe('deciding whether to page', () => {
  it.each<[string, Partial<PolicyRules>, Partial<GroupActivity>, OpenIncidentState | null, string, number | null]>([
    ['below the threshold', {}, { qualifyingInWindow: 4 }, null, 'none', null],
    ['at the threshold, after the group wait', {}, { qualifyingInWindow: 5 }, null, 'trigger', 30],
    ['a CRITICAL failure, at once', {}, { criticalInWindow: 1, qualifyingInWindow: 1 }, null, 'trigger', 0],
    ['nothing for a muted group', {}, { status: 'MUTED', qualifyingInWindow: 50, criticalInWindow: 3 }, null, 'none', null],
    ['nothing for a resolved group', {}, { status: 'RESOLVED', qualifyingInWindow: 50 }, null, 'none', null],
    ['nothing in a mute window', { muteWindows: [{ from: ago(60).toISOString(), to: new Date(NOW.getTime() + 60_000).toISOString(), reason: 'deploy' }] }, { criticalInWindow: 2 }, null, 'none', null],
    ['again after a mute window ended', { muteWindows: [{ from: ago(600).toISOString(), to: ago(60).toISOString() }] }, { criticalInWindow: 2 }, null, 'trigger', 0],
    ['a CRITICAL failure under a CRITICAL-only policy', { minSeverity: 'CRITICAL' }, { criticalInWindow: 1 }, null, 'trigger', 0],
    ['nothing new while an incident is open', {}, { qualifyingInWindow: 50 }, open, 'none', null],
    ['resolve once the group has been resolved for the flap window', {}, { status: 'RESOLVED', resolvedAt: ago(301) }, open, 'resolve', null],
    ['hold a flapping group open within the flap window', {}, { status: 'RESOLVED', resolvedAt: ago(120) }, open, 'none', null],
    ['resolve after the quiet period', {}, { lastSeenAt: ago(1801) }, open, 'resolve', null],
    ['re-notify an unacknowledged incident that keeps failing', {}, { lastSeenAt: ago(5) }, { ...open, lastNotifiedAt: ago(3601) }, 'renotify', null],
    ['not re-notify when nothing failed since the last page', { quietPeriodSeconds: 7200 }, { lastSeenAt: ago(3700) }, { ...open, lastNotifiedAt: ago(3601) }, 'none', null],
    ['not re-notify an acknowledged incident', {}, { lastSeenAt: ago(5) }, { ...open, status: 'ACKNOWLEDGED', lastNotifiedAt: ago(3601) }, 'none', null],
  ])('decides %s', (_case, ruleOverrides, groupOverrides, incident, kind, delay) => {
    const decision = decide({ ...rules, ...ruleOverrides }, { ...group, ...groupOverrides }, incident, NOW);
    expect(decision.kind).toBe(kind);
    if (delay !== null && decision.kind === 'trigger') expect(decision.delaySeconds).toBe(delay);
    expect(decision.why.length).toBeGreaterThan(5);
  });
});
