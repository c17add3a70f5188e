import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../helpers/deferred';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../../helpers/reports';
import { generators, random, seeds } from '../../helpers/seeded-random';
import { type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';

/**
 * incidentMetrics against a brute force over what the test did, on a controlled clock: random
 * incidents (CRITICAL failures under a policy) acknowledged and resolved after random delays or
 * never, and random failures closed after random delays (bucket boundaries included) or never,
 * over four days across UTC midnights. A one-day retention purges the closed failures before the
 * questions are asked. The documented rules:
 * - incidents triggered in [from, to), filtered by service, severity, status and group;
 *   means of the seconds to acknowledge and to resolve, and their nearest-rank 90th percentile;
 * - per service (filtered by service alone), the failures that occurred on the UTC days
 *   [from, to) touches and are closed: how many, and the nearest-rank median and 90th percentile
 *   of the seconds from report to close, each answered as the upper bound of its bucket (8 per
 *   doubling: 1, 1.125, 1.25 … 2, 2.25 …; anything under a second is 1).
 */

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
const DAY = 24 * HOUR;
const S0 = Date.parse('2026-05-04T21:00:00Z');
const SPAN = 4 * DAY;
const BOUNDARY_DELAYS = [0, 400, 999, 1_000, 1_125, 2_000, 7_999, 8_000, 9_000, 60_000, HOUR, 1.5 * DAY];

interface Incident {
  service: string;
  groupId: string;
  id: string;
  severity: string;
  triggeredAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
}

interface Failure {
  service: string;
  id: string;
  occurredAt: number;
  receivedAt: number;
  closedAt: number | null;
}

interface Metrics {
  incidents: number;
  acknowledged: number;
  resolved: number;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
  p90ResolveSeconds: number | null;
  failureCloseTimes: Array<{ service: { name: string }; closed: number; medianSeconds: number | null; p90Seconds: number | null }>;
}

const METRICS = `query($f: IncidentFilter, $from: DateTime!, $to: DateTime!) { incidentMetrics(filter: $f, from: $from, to: $to) {
  incidents acknowledged resolved mttaSeconds mttrSeconds p90ResolveSeconds failureCloseTimes { service { name } closed medianSeconds p90Seconds } } }`;

/** The smallest bound of the grid 2^e × (1 + k/8) above a duration: its bucket's upper bound. */
function bucketUpperBound(seconds: number): number {
  if (seconds < 1) return 1;
  let e = 0;
  while (2 ** (e + 1) <= seconds) e++;
  for (let k = 1; k <= 8; k++) if (seconds < 2 ** e * (1 + k / 8)) return 2 ** e * (1 + k / 8);
  throw new Error(`no bucket for ${seconds}`);
}

function nearestRank(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1]!;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
const utcDay = (ms: number) => Math.floor(ms / DAY);

describe.each(seeds(3))('incidentMetrics equals a brute force over the same incidents and failures (seed %i)', (seed) => {
  let t: TestApp;
  let clock = S0;
  const rnd = random(seed);
  const { pick, int } = generators(rnd);
  const incidents: Incident[] = [];
  const failures: Failure[] = [];
  const names: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      env: { CREDENTIALS_KEY: '9'.repeat(64), PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:9/v2/enqueue', RETENTION_DAYS: '1', RETENTION_INTERVAL_MS: '200' },
      overrides: { now: () => new Date(clock) },
    });
    const operator = await t.createToken('OPERATOR');
    // Two services page on CRITICAL (with different criticality, so incident severities differ); one never pages.
    const services = [await t.createService({ criticality: 5 }), await t.createService({ criticality: 1 }), await t.createService()];
    names.push(...services.map((s) => s.name));
    for (const s of services.slice(0, 2)) {
      // Nothing auto-resolves or re-pages within the 30-day limit of these settings.
      expectData(await t.request(`mutation($s: String) { setEscalationPolicy(input: { service: $s, provider: PAGERDUTY, routingKey: "${'m'.repeat(32)}", minSeverity: CRITICAL,
        quietPeriodSeconds: 2592000, flapWindowSeconds: 2592000, repeatIntervalSeconds: 2592000 }) { id } }`, { s: s.name }));
    }

    // A timeline of actions, run in time order with the clock set to each one's time.
    type Step = { at: number; order: number; run: () => Promise<void> };
    const steps: Step[] = [];
    for (let i = 0, n = int(8, 14); i < n; i++) {
      const service = pick(services.slice(0, 2));
      const triggeredAt = S0 + int(0, SPAN);
      const burst = i === 0 ? 1 : i === 1 ? 10 : pick([1, 10]);
      const ackAfter = rnd() < 0.3 ? null : pick([500, SECOND, int(1, 2 * HOUR)]);
      const resolveAfter = rnd() < 0.25 ? null : (ackAfter ?? 0) + pick([0, 1, int(1, 6 * HOUR)]);
      const incident: Incident = { service: service.name, groupId: '', id: '', severity: '', triggeredAt, acknowledgedAt: null, resolvedAt: null };
      incidents.push(incident);
      steps.push({ at: triggeredAt, order: 0, run: async () => {
        // A burst of ten scores a CRITICAL incident, a single failure an ERROR one.
        const input = Array.from({ length: burst }, () => report(service.name, { severity: 'CRITICAL', fingerprint: `critical-${seed}-${i}`, occurredAt: new Date(triggeredAt - int(0, 120) * SECOND).toISOString() }));
        const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input }, service.token));
        incident.groupId = reportFailures.failures[0]!.group.id;
        const node = await eventually(async () => {
          const { incidents: page } = expectData(await t.request<{ incidents: { edges: Array<{ node: { id: string; severity: string; triggeredAt: string } }> } }>(`query($g: ID) { incidents(filter: { group: $g }) { edges { node { id severity triggeredAt } } } }`, { g: incident.groupId }));
          return page.edges[0]?.node;
        });
        expect(Date.parse(node.triggeredAt)).toBe(triggeredAt);
        Object.assign(incident, { id: node.id, severity: node.severity });
      } });
      if (ackAfter !== null) steps.push({ at: triggeredAt + ackAfter, order: 1, run: async () => {
        expectData(await t.request(`mutation($id: ID!) { acknowledgeIncident(id: $id) { status } }`, { id: incident.id }, operator));
        incident.acknowledgedAt = triggeredAt + ackAfter;
      } });
      if (resolveAfter !== null) steps.push({ at: triggeredAt + resolveAfter, order: 2, run: async () => {
        expectData(await t.request(`mutation($id: ID!) { resolveIncident(id: $id) { status } }`, { id: incident.id }, operator));
        incident.resolvedAt = triggeredAt + resolveAfter;
      } });
    }
    for (let i = 0, n = int(15, 25); i < n; i++) {
      const service = pick(services);
      const receivedAt = S0 + int(0, SPAN);
      const occurredAt = receivedAt - pick([0, int(0, 3 * HOUR), int(0, 2 * DAY)]);
      const closeAfter = rnd() < 0.2 ? null : rnd() < 0.6 ? pick(BOUNDARY_DELAYS) : int(0, 3 * DAY);
      const failure: Failure = { service: service.name, id: '', occurredAt, receivedAt, closedAt: null };
      failures.push(failure);
      steps.push({ at: receivedAt, order: 0, run: async () => {
        const { reportFailure } = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(service.name, { severity: 'ERROR', fingerprint: `closed-${seed}-${i % 4}`, occurredAt: new Date(occurredAt).toISOString() }) }, service.token));
        failure.id = reportFailure.id;
      } });
      if (closeAfter !== null) steps.push({ at: receivedAt + closeAfter, order: 1, run: async () => {
        const close = i % 2 ? `mutation($id: ID!) { resolveFailure(id: $id, note: "fixed") { id } }` : `mutation($id: ID!) { discardFailure(id: $id, reason: "noise") { id } }`;
        expectData(await t.request(close, { id: failure.id }, operator));
        failure.closedAt = receivedAt + closeAfter;
      } });
    }
    for (const step of steps.sort((a, b) => a.at - b.at || a.order - b.order)) {
      clock = step.at;
      await step.run();
    }

    // Three days after the last action: every closed failure is past the one-day retention.
    clock = S0 + SPAN + 6 * DAY;
    const purgeable = failures.filter((f) => f.closedAt !== null && f.occurredAt < clock - DAY).length;
    expect(purgeable).toBeGreaterThan(0);
    await eventually(async () => {
      const { retentionStatus } = expectData(await t.request<{ retentionStatus: { purgedTotal: number } }>(`{ retentionStatus { purgedTotal } }`));
      return retentionStatus.purgedTotal >= purgeable ? true : undefined;
    });
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  type Filter = { service?: string; severity?: string[]; group?: string; status?: string[] };

  function bruteForce(filter: Filter, from: number, to: number) {
    const status = (i: Incident) => (i.resolvedAt !== null ? 'RESOLVED' : i.acknowledgedAt !== null ? 'ACKNOWLEDGED' : 'TRIGGERED');
    const chosen = incidents.filter(
      (i) =>
        i.triggeredAt >= from &&
        i.triggeredAt < to &&
        (!filter.service || i.service === filter.service) &&
        (!filter.severity || filter.severity.includes(i.severity)) &&
        (!filter.status || filter.status.includes(status(i))) &&
        (!filter.group || i.groupId === filter.group),
    );
    const toAck = chosen.filter((i) => i.acknowledgedAt !== null).map((i) => (i.acknowledgedAt! - i.triggeredAt) / SECOND);
    const toResolve = chosen.filter((i) => i.resolvedAt !== null).map((i) => (i.resolvedAt! - i.triggeredAt) / SECOND);
    const closeTimes = new Map<string, number[]>();
    const known = !filter.service || names.includes(filter.service);
    for (const f of failures) {
      if (!known || f.closedAt === null || (filter.service && f.service !== filter.service)) continue;
      if (utcDay(f.occurredAt) < utcDay(from) || utcDay(f.occurredAt) > utcDay(to - 1)) continue;
      closeTimes.set(f.service, [...(closeTimes.get(f.service) ?? []), (f.closedAt - f.receivedAt) / SECOND]);
    }
    const bounded = (x: number | null) => (x === null ? null : bucketUpperBound(x));
    return {
      incidents: chosen.length,
      acknowledged: toAck.length,
      resolved: toResolve.length,
      mttaSeconds: mean(toAck),
      mttrSeconds: mean(toResolve),
      p90ResolveSeconds: nearestRank(toResolve, 0.9),
      failureCloseTimes: [...closeTimes.entries()]
        .map(([name, seconds]) => ({ service: { name }, closed: seconds.length, medianSeconds: bounded(nearestRank(seconds, 0.5)), p90Seconds: bounded(nearestRank(seconds, 0.9)) }))
        .sort((a, b) => (a.service.name < b.service.name ? -1 : 1)),
    };
  }

  async function expectBruteForce(filter: Filter | null, from: number, to: number): Promise<Metrics> {
    const { incidentMetrics } = expectData(await t.request<{ incidentMetrics: Metrics }>(METRICS, { f: filter, from: new Date(from).toISOString(), to: new Date(to).toISOString() }));
    const expected = bruteForce(filter ?? {}, from, to);
    const where = { filter, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const actual = { ...incidentMetrics, failureCloseTimes: [...incidentMetrics.failureCloseTimes].sort((a, b) => (a.service.name < b.service.name ? -1 : 1)) };
    // Means of millisecond durations: equal up to floating-point noise.
    const close = (a: number | null, b: number | null) => (a !== null && b !== null && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)) ? b : a);
    expect({ where, ...actual, mttaSeconds: close(actual.mttaSeconds, expected.mttaSeconds), mttrSeconds: close(actual.mttrSeconds, expected.mttrSeconds) }).toEqual({ where, ...expected });
    return incidentMetrics;
  }

  it('answers over the whole span, longer than the retention, as the brute force does, for each filter', async () => {
    // The brute force's own bucket bounds first, on hand-worked values.
    expect([0, 0.4, 0.999, 1, 1.1, 1.125, 2, 7.999, 8, 9, 60, 3600].map(bucketUpperBound)).toEqual([1, 1, 1, 1.125, 1.125, 1.25, 2.25, 8, 9, 10, 64, 3840]);
    const [from, to] = [S0 - DAY, S0 + SPAN + 3 * DAY];
    const whole = await expectBruteForce(null, from, to);
    expect(whole.incidents).toBe(incidents.length);
    expect(new Set(incidents.map((i) => i.severity)).size).toBeGreaterThan(1);
    expect(whole.failureCloseTimes.length).toBeGreaterThan(0);
    const sample = pick(incidents);
    const filters: Filter[] = [
      ...names.map((service) => ({ service })),
      { service: 'no-such-service' },
      { severity: ['CRITICAL'] },
      { severity: ['ERROR', 'WARNING'] },
      { status: ['RESOLVED'] },
      { status: ['TRIGGERED', 'ACKNOWLEDGED'] },
      { group: sample.groupId },
      { service: sample.service, severity: [sample.severity], status: ['ACKNOWLEDGED', 'RESOLVED'] },
    ];
    for (const filter of filters) await expectBruteForce(filter, from, to);
    await expectBruteForce(null, S0 - 30 * DAY, S0 + 30 * DAY);
  });

  it('answers as the brute force over random unaligned ranges and ranges bounded by trigger times', async () => {
    for (let i = 0; i < 5; i++) {
      const from = S0 + int(-HOUR, SPAN);
      const to = from + 1 + int(0, SPAN / 2);
      await expectBruteForce(null, from, to);
      await expectBruteForce({ service: names[i % 3]! }, from, to);
    }
    // Whole UTC days, midnight to midnight: the day that starts at `to` is not part of it.
    const midnight = Math.floor(S0 / DAY) * DAY;
    for (let day = -2; day <= 4; day++) await expectBruteForce(null, midnight + day * DAY, midnight + (day + 1) * DAY);
    // from is inclusive and to exclusive, to the millisecond.
    const times = incidents.map((i) => i.triggeredAt).sort((a, b) => a - b);
    const [a, b] = [times[0]!, times[times.length - 1]!];
    if (a < b) await expectBruteForce(null, a, b);
    await expectBruteForce(null, a + 1, b + 1);
    // One millisecond of range still touches a whole UTC day of close times.
    await expectBruteForce(null, a, a + 1);
  });

  it('answers zeros and no means for a range without incidents or failures', async () => {
    const empty = await expectBruteForce(null, S0 - 20 * DAY, S0 - 10 * DAY);
    expect(empty).toEqual({ incidents: 0, acknowledged: 0, resolved: 0, mttaSeconds: null, mttrSeconds: null, p90ResolveSeconds: null, failureCloseTimes: [] });
  });

  it('refuses an empty or backwards range, and filters it cannot apply', async () => {
    const at = new Date(S0 + DAY).toISOString();
    expect(errorCode(await t.request(METRICS, { from: at, to: at }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.request(METRICS, { from: at, to: new Date(S0).toISOString() }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.request(METRICS, { f: { triggeredFrom: at }, from: new Date(S0).toISOString(), to: at }))).toBe('BAD_USER_INPUT');
  });
});
