import { SEVERITY_BY_RANK, SEVERITY_RANK, type Severity } from '../failures/failure.entity';

/** What the rank of a failure group is computed from. */
export interface RankInput {
  /** Highest reported severity in the group. */
  maxSeverity: Severity;
  /** The service's criticality, 1–5. */
  criticality: number;
  failuresLast5m: number;
  failuresLast15m: number;
  /** The group's usual failures per 5 minutes (over the day before the last 15 minutes). */
  baselinePer5m: number;
  distinctTasksLast15m: number;
  distinctHostsLast15m: number;
  regressed: boolean;
}

export interface Rank {
  /** 0–100. */
  score: number;
  severity: Severity;
  reasons: string[];
}

const SEVERITY_POINTS: Record<Severity, number> = { CRITICAL: 40, ERROR: 25, WARNING: 10, INFO: 0 };
/** Score from which an incident has each severity (see the README's table). */
const SEVERITY_THRESHOLDS: Array<[number, Severity]> = [
  [70, 'CRITICAL'],
  [45, 'ERROR'],
  [20, 'WARNING'],
  [0, 'INFO'],
];

/**
 * Ranks a failure group for escalation. Pure: the same input always gives the same score and
 * reasons, which read as sentences an on-call engineer can check.
 */
export function rankGroup(input: RankInput): Rank {
  const reasons: string[] = [];
  let score = 0;
  const add = (points: number, reason: string) => {
    if (points <= 0) return;
    score += points;
    reasons.push(`${reason} (+${points})`);
  };

  add(SEVERITY_POINTS[input.maxSeverity], `highest reported severity is ${input.maxSeverity}`);
  const criticality = Math.min(5, Math.max(1, Math.round(input.criticality)));
  add((criticality - 1) * 5, `service criticality ${criticality}/5`);

  const usual = Math.max(input.baselinePer5m, 1);
  const surge = input.failuresLast5m / usual;
  const rateText = `${input.failuresLast5m} failures in the last 5 min, ${surge.toFixed(1)}× the usual ${input.baselinePer5m.toFixed(1)}`;
  if (surge >= 10) add(20, rateText);
  else if (surge >= 3) add(12, rateText);
  else if (surge >= 1.5) add(6, rateText);
  if (input.failuresLast15m >= 3 * usual * 3) add(5, `${input.failuresLast15m} failures in the last 15 min: sustained`);

  if (input.distinctHostsLast15m >= 3) add(5, `${input.distinctHostsLast15m} hosts affected`);
  if (input.distinctTasksLast15m >= 10) add(5, `${input.distinctTasksLast15m} distinct tasks affected`);
  if (input.regressed) add(10, 'came back after being resolved');

  score = Math.min(100, score);
  return { score, severity: incidentSeverity(score, input.maxSeverity), reasons };
}

/**
 * The severity the score earns, but never more than one step below the worst reported
 * severity: a CRITICAL report from a low-criticality service still pages as ERROR at least.
 */
export function incidentSeverity(score: number, maxReported: Severity): Severity {
  const earned = SEVERITY_THRESHOLDS.find(([min]) => score >= min)![1];
  const floor = SEVERITY_BY_RANK[Math.max(1, SEVERITY_RANK[maxReported] - 1)]!;
  return SEVERITY_RANK[earned] >= SEVERITY_RANK[floor] ? earned : floor;
}

/** PagerDuty's severity words for our severities. */
export function toProviderSeverity(severity: Severity): 'critical' | 'error' | 'warning' | 'info' {
  return severity.toLowerCase() as 'critical' | 'error' | 'warning' | 'info';
}
