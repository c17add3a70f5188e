import { SEVERITY_RANK, type Severity } from '../failures/failure.entity';

export interface MuteWindow {
  from: string;
  to: string;
  reason?: string | null;
}

/** The parts of a policy that decide whether to page. */
export interface PolicyRules {
  minSeverity: Severity;
  thresholdCount: number;
  thresholdWindowSeconds: number;
  groupWaitSeconds: number;
  repeatIntervalSeconds: number;
  quietPeriodSeconds: number;
  flapWindowSeconds: number;
  muteWindows: MuteWindow[];
}

/** The state of one group, as evaluation sees it. */
export interface GroupActivity {
  status: 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED' | 'MUTED';
  /** Failures at or above the policy's minimum severity within its threshold window. */
  qualifyingInWindow: number;
  /** CRITICAL failures within the threshold window. */
  criticalInWindow: number;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

export interface OpenIncidentState {
  status: 'TRIGGERED' | 'ACKNOWLEDGED';
  lastNotifiedAt: Date | null;
  failureCount: number;
}

export type Decision =
  | { kind: 'none'; why: string }
  | { kind: 'trigger'; delaySeconds: number; why: string }
  | { kind: 'renotify'; why: string }
  | { kind: 'resolve'; why: string };

export function isMuted(rules: PolicyRules, now: Date): MuteWindow | undefined {
  const t = now.getTime();
  return rules.muteWindows.find((w) => Date.parse(w.from) <= t && t < Date.parse(w.to));
}

/**
 * What to do about one group now. Pure and table-tested:
 * - no open incident: page when a CRITICAL failure arrived (at once) or the threshold is met
 *   (after the group wait), unless muted, below the minimum severity, or the group is not open;
 * - open incident: resolve when the group has been resolved for the flap window, or quiet for
 *   the quiet period; re-notify an unacknowledged one every repeat interval while failures go on.
 */
export function decide(rules: PolicyRules, group: GroupActivity, incident: OpenIncidentState | null, now: Date): Decision {
  const t = now.getTime();
  if (incident) {
    if (group.status === 'RESOLVED' && group.resolvedAt && t - group.resolvedAt.getTime() >= rules.flapWindowSeconds * 1000) {
      return { kind: 'resolve', why: `the group has been resolved for ${rules.flapWindowSeconds} s` };
    }
    if (t - group.lastSeenAt.getTime() >= rules.quietPeriodSeconds * 1000) {
      return { kind: 'resolve', why: `no new failure for ${rules.quietPeriodSeconds} s` };
    }
    const sinceNotified = incident.lastNotifiedAt ? t - incident.lastNotifiedAt.getTime() : Infinity;
    if (
      incident.status === 'TRIGGERED' &&
      incident.lastNotifiedAt &&
      sinceNotified >= rules.repeatIntervalSeconds * 1000 &&
      group.lastSeenAt.getTime() > incident.lastNotifiedAt.getTime()
    ) {
      return { kind: 'renotify', why: `still failing ${rules.repeatIntervalSeconds} s after the last page` };
    }
    return { kind: 'none', why: 'the open incident covers it' };
  }
  if (group.status === 'MUTED') return { kind: 'none', why: 'the group is muted' };
  if (group.status === 'RESOLVED') return { kind: 'none', why: 'the group is resolved' };
  const mute = isMuted(rules, now);
  if (mute) return { kind: 'none', why: `muted until ${mute.to}${mute.reason ? ` (${mute.reason})` : ''}` };
  if (group.criticalInWindow > 0 && SEVERITY_RANK.CRITICAL >= SEVERITY_RANK[rules.minSeverity]) {
    return { kind: 'trigger', delaySeconds: 0, why: 'a CRITICAL failure pages at once' };
  }
  if (group.qualifyingInWindow >= rules.thresholdCount) {
    return {
      kind: 'trigger',
      delaySeconds: rules.groupWaitSeconds,
      why: `${group.qualifyingInWindow} failures at ${rules.minSeverity} or worse within ${rules.thresholdWindowSeconds} s (threshold ${rules.thresholdCount})`,
    };
  }
  return { kind: 'none', why: `${group.qualifyingInWindow} of ${rules.thresholdCount} failures within ${rules.thresholdWindowSeconds} s` };
}
