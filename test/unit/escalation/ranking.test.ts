import { describe, expect, it } from '@jest/globals';
import { type RankInput, incidentSeverity, rankGroup } from '../../../src/escalation/ranking';

const quiet: RankInput = {
  maxSeverity: 'ERROR',
  criticality: 3,
  failuresLast5m: 1,
  failuresLast15m: 1,
  baselinePer5m: 1,
  distinctTasksLast15m: 1,
  distinctHostsLast15m: 1,
  regressed: false,
};

describe('ranking a failure group', () => {
  it.each<[string, Partial<RankInput>, number, string]>([
    ['a lone ERROR in an average service', {}, 35, 'WARNING'],
    ['a lone CRITICAL in an average service', { maxSeverity: 'CRITICAL' }, 50, 'ERROR'],
    ['a CRITICAL in a business-critical service', { maxSeverity: 'CRITICAL', criticality: 5 }, 60, 'ERROR'],
    ['a CRITICAL surge across hosts in a critical service', { maxSeverity: 'CRITICAL', criticality: 5, failuresLast5m: 40, failuresLast15m: 60, distinctHostsLast15m: 4 }, 90, 'CRITICAL'],
    ['an INFO pattern in a low-criticality service', { maxSeverity: 'INFO', criticality: 1 }, 0, 'INFO'],
    ['a WARNING that tripled its usual rate', { maxSeverity: 'WARNING', criticality: 1, failuresLast5m: 6, baselinePer5m: 2 }, 22, 'WARNING'],
    ['an ERROR that came back after being resolved', { regressed: true }, 45, 'ERROR'],
    ['an ERROR hitting many distinct tasks', { distinctTasksLast15m: 25 }, 40, 'WARNING'],
  ])('scores %s', (_case, overrides, score, severity) => {
    const rank = rankGroup({ ...quiet, ...overrides });
    expect(rank.score).toBe(score);
    expect(rank.severity).toBe(severity);
  });

  it('explains every point of the score in words', () => {
    const rank = rankGroup({ ...quiet, maxSeverity: 'CRITICAL', criticality: 4, failuresLast5m: 30, baselinePer5m: 2, failuresLast15m: 30, distinctHostsLast15m: 3, regressed: true });
    expect(rank.reasons).toEqual([
      'highest reported severity is CRITICAL (+40)',
      'service criticality 4/5 (+15)',
      '30 failures in the last 5 min, 15.0× the usual 2.0 (+20)',
      '30 failures in the last 15 min: sustained (+5)',
      '3 hosts affected (+5)',
      'came back after being resolved (+10)',
    ]);
    const points = rank.reasons.map((r) => Number(/\(\+(\d+)\)$/.exec(r)![1]));
    expect(points.reduce((a, b) => a + b, 0)).toBe(rank.score);
  });

  it('never scores above 100', () => {
    expect(rankGroup({ ...quiet, maxSeverity: 'CRITICAL', criticality: 5, failuresLast5m: 1000, failuresLast15m: 3000, distinctHostsLast15m: 50, distinctTasksLast15m: 500, regressed: true }).score).toBe(100);
  });

  it.each<[number, 'CRITICAL' | 'ERROR' | 'WARNING' | 'INFO', string]>([
    [10, 'CRITICAL', 'ERROR'],
    [10, 'ERROR', 'WARNING'],
    [10, 'WARNING', 'INFO'],
    [80, 'INFO', 'CRITICAL'],
    [50, 'WARNING', 'ERROR'],
  ])('maps score %i with worst report %s to %s', (score, reported, expected) => {
    expect(incidentSeverity(score, reported)).toBe(expected);
  });
});
