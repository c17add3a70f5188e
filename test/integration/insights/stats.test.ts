import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { random } from '../../helpers/seeded-random';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

const SEED = Number(process.env.INSIGHTS_SEED ?? Date.now() % 100_000);
const T0 = Date.parse('2026-03-01T00:00:00Z');
// Two whole UTC days and two hours: ranges are read from the daily, hourly and minute tiers.
const SPAN_MS = 50 * 3600_000;
const PATTERNS = ['MESSAGE_QUEUE', 'EVENT_BUS', 'DB_POLLING', 'OTHER'];
const SEVERITIES = ['CRITICAL', 'ERROR', 'WARNING', 'INFO'];
const COUNTERS = ['reported', 'retried', 'succeeded', 'discarded', 'resolved'] as const;
type Counter = (typeof COUNTERS)[number];

interface Generated {
  id: string;
  groupId: string;
  service: string;
  taskType: string;
  pattern: string;
  severity: string;
  occurredAt: number;
  counts: Record<Counter, number>;
}

describe(`statistics equal a brute-force count over the same failures (seed ${SEED})`, () => {
  let t: TestApp;
  let hook: http.Server;
  const failures: Generated[] = [];
  const rnd = random(SEED);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)]!;

  beforeAll(async () => {
    hook = http.createServer((req, res) => req.resume().on('end', () => res.end('{}')));
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    t = await startTestApp();
    const webhook = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`;
    const services = [await t.createService({ retryWebhookUrl: webhook }), await t.createService({ retryWebhookUrl: webhook }), await t.createService({ retryWebhookUrl: webhook })];
    const operator = await t.createToken('OPERATOR');

    const inputs = Array.from({ length: 400 }, (_, i) => {
      const service = pick(services).name;
      return report(service, {
        taskId: `t-${i}`,
        taskType: pick(['sync', 'mail', 'bill']),
        errorType: pick(['Timeout', 'Refused', 'Parse']),
        pattern: pick(PATTERNS),
        severity: pick(SEVERITIES),
        occurredAt: new Date(T0 + Math.floor(rnd() * SPAN_MS)).toISOString(),
      });
    });
    for (let i = 0; i < inputs.length; i += 100) {
      const chunk = inputs.slice(i, i + 100);
      const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ id: string; group: { id: string } }> } }>(REPORT_FAILURES, { input: chunk }));
      reportFailures.failures.forEach((f, j) => {
        const input = chunk[j]!;
        failures.push({
          id: f.id,
          groupId: f.group.id,
          service: String(input.service),
          taskType: String(input.taskType),
          pattern: String(input.pattern),
          severity: String(input.severity),
          occurredAt: Date.parse(String(input.occurredAt)),
          counts: { reported: 1, retried: 0, succeeded: 0, discarded: 0, resolved: 0 },
        });
      });
    }
    // Random operator actions, each counted where its failure occurred.
    for (const failure of failures) {
      const roll = rnd();
      if (roll < 0.15) {
        expectData(await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "noise") { id } }`, { id: failure.id }, operator));
        failure.counts.discarded = 1;
      } else if (roll < 0.3) {
        expectData(await t.request(`mutation($id: ID!) { resolveFailure(id: $id, note: "fixed") { id } }`, { id: failure.id }, operator));
        failure.counts.resolved = 1;
      } else if (roll < 0.45) {
        expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { id } }`, { id: failure.id }, operator));
        failure.counts.retried = 1;
        if (rnd() < 0.5) {
          expectData(await t.request(`mutation($id: ID!) { completeRetry(failureId: $id, succeeded: true) { id } }`, { id: failure.id }));
          failure.counts.succeeded = 1;
        }
      }
    }
  }, 120_000);
  afterAll(async () => {
    await t.dispose();
    await new Promise((resolve) => hook.close(resolve));
  });

  const WIDTH = { MINUTE: 1, HOUR: 60, DAY: 1440 } as const;
  const KEY = { SERVICE: (f: Generated) => f.service, PATTERN: (f: Generated) => f.pattern, TASK_TYPE: (f: Generated) => f.taskType, SEVERITY: (f: Generated) => f.severity } as const;

  function bruteForce(from: number, to: number, bucket: keyof typeof WIDTH, groupBy: keyof typeof KEY | null, keep: (f: Generated) => boolean) {
    const fromMinute = Math.floor(from / 60_000);
    const toMinute = Math.ceil(to / 60_000);
    const width = WIDTH[bucket];
    const first = Math.floor(fromMinute / width);
    const last = Math.ceil(toMinute / width);
    const series = new Map<string, Array<Record<Counter, number> & { at: string }>>();
    const empty = () => Array.from({ length: last - first }, (_, i) => ({ at: new Date((first + i) * width * 60_000).toISOString(), reported: 0, retried: 0, succeeded: 0, discarded: 0, resolved: 0 }));
    if (!groupBy) series.set('all', empty());
    for (const f of failures) {
      const minute = Math.floor(f.occurredAt / 60_000);
      if (minute < fromMinute || minute >= toMinute || !keep(f)) continue;
      const key = groupBy ? KEY[groupBy](f) : 'all';
      if (!series.has(key)) series.set(key, empty());
      const point = series.get(key)![Math.floor(minute / width) - first]!;
      for (const c of COUNTERS) point[c] += f.counts[c];
    }
    return [...series.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, points]) => ({ key, points }));
  }

  const ranges = () => {
    const cases: Array<[string, number, number]> = [['the whole span', T0, T0 + SPAN_MS], ['an empty range before the data', T0 - 3 * 3600_000, T0 - 3600_000]];
    for (let i = 0; i < 3; i++) {
      const a = T0 + Math.floor(rnd() * SPAN_MS);
      const b = a + 1 + Math.floor(rnd() * (SPAN_MS / 2));
      cases.push([`a random unaligned range #${i + 1}`, a, b]);
    }
    return cases;
  };

  const STATS = `query($f: FailureFilter, $from: DateTime!, $to: DateTime!, $bucket: TimeBucket!, $groupBy: StatsDimension) {
    failureStats(filter: $f, from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) { key points { at reported retried succeeded discarded resolved } }
  }`;

  it.each(ranges())('answers failureStats over %s for every bucket and dimension', async (_name, from, to) => {
    for (const bucket of ['MINUTE', 'HOUR', 'DAY'] as const) {
      for (const groupBy of [null, 'SERVICE', 'PATTERN', 'TASK_TYPE', 'SEVERITY'] as const) {
        const { failureStats } = expectData(await t.request<{ failureStats: unknown }>(STATS, { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket, groupBy }));
        expect(failureStats).toEqual(bruteForce(from, to, bucket, groupBy, () => true));
      }
    }
  });

  it('answers failureStats with filters exactly as the brute force', async () => {
    const sample = failures[0]!;
    const filters: Array<[Record<string, unknown>, (f: Generated) => boolean]> = [
      [{ service: sample.service }, (f) => f.service === sample.service],
      [{ pattern: 'EVENT_BUS', severity: ['CRITICAL', 'ERROR'] }, (f) => f.pattern === 'EVENT_BUS' && ['CRITICAL', 'ERROR'].includes(f.severity)],
      [{ taskType: 'mail' }, (f) => f.taskType === 'mail'],
      [{ group: sample.groupId }, (f) => f.groupId === sample.groupId],
    ];
    const from = T0 + 7 * 60_000 + 13_000; // unaligned: minutes, hours and days
    for (const [filter, keep] of filters) {
      for (const [bucket, groupBy] of [['HOUR', 'SEVERITY'], ['DAY', 'SERVICE'], ['DAY', 'PATTERN'], ['HOUR', 'TASK_TYPE']] as const) {
        const { failureStats } = expectData(await t.request<{ failureStats: unknown }>(STATS, { f: filter, from: new Date(from).toISOString(), to: new Date(T0 + SPAN_MS).toISOString(), bucket, groupBy }));
        expect({ filter, bucket, groupBy, failureStats }).toEqual({ filter, bucket, groupBy, failureStats: bruteForce(from, T0 + SPAN_MS, bucket, groupBy, keep) });
      }
    }
  });

  const TOP = `query($f: FailureFilter, $from: DateTime!, $to: DateTime!, $orderBy: TopGroupsOrder, $limit: Int!) {
    topFailureGroups(filter: $f, from: $from, to: $to, limit: $limit, orderBy: $orderBy) { group { id } count previousCount growth isNew }
  }`;

  async function expectTop(from: number, to: number, orderBy: 'COUNT' | 'GROWTH' | 'RANK', filter: Record<string, unknown> | null, keep: (f: Generated) => boolean, limit = 10) {
    const count = (lo: number, hi: number) => {
      const counts = new Map<string, number>();
      for (const f of failures) {
        const minute = Math.floor(f.occurredAt / 60_000);
        if (keep(f) && minute >= Math.floor(lo / 60_000) && minute < Math.ceil(hi / 60_000)) counts.set(f.groupId, (counts.get(f.groupId) ?? 0) + 1);
      }
      return counts;
    };
    // The previous window: as long as [from, to) in whole minutes, just before it.
    const fromMinute = Math.floor(from / 60_000);
    const current = count(from, to);
    const previous = count((2 * fromMinute - Math.ceil(to / 60_000)) * 60_000, fromMinute * 60_000);
    const ranks = new Map<string, number>();
    if (orderBy === 'RANK') {
      const { failureGroups } = expectData(await t.request<{ failureGroups: { edges: Array<{ node: { id: string; rankScore: number } }> } }>(`{ failureGroups(first: 100) { edges { node { id rankScore } } } }`));
      for (const { node } of failureGroups.edges) ranks.set(node.id, node.rankScore);
    }
    const entries = [...current.entries()].map(([groupId, n]) => {
      const previousCount = previous.get(groupId) ?? 0;
      return { groupId, count: n, previousCount, growth: (n - previousCount) / Math.max(previousCount, 1) };
    });
    const score = (e: (typeof entries)[number]) => (orderBy === 'COUNT' ? e.count : orderBy === 'GROWTH' ? e.growth : ranks.get(e.groupId)!);
    const expected = entries.sort((a, b) => score(b) - score(a) || b.count - a.count || (a.groupId < b.groupId ? -1 : 1)).slice(0, limit);
    const { topFailureGroups } = expectData(await t.request<{ topFailureGroups: Array<{ group: { id: string }; count: number; previousCount: number; growth: number; isNew: boolean }> }>(TOP, {
      f: filter,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      orderBy,
      limit,
    }));
    const where = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), orderBy, filter };
    expect({ where, top: topFailureGroups.map((g) => ({ groupId: g.group.id, count: g.count, previousCount: g.previousCount })) }).toEqual({
      where,
      top: expected.map(({ growth: _growth, ...e }) => e),
    });
    for (const g of topFailureGroups) expect(g.growth).toBeCloseTo((g.count - g.previousCount) / Math.max(g.previousCount, 1));
    // New: the group's first failure (of any kind) is inside the window.
    for (const g of topFailureGroups) {
      const first = Math.min(...failures.filter((f) => f.groupId === g.group.id).map((f) => f.occurredAt));
      expect({ where, group: g.group.id, isNew: g.isNew }).toEqual({ where, group: g.group.id, isNew: first >= from && first < to });
    }
  }

  it('answers topFailureGroups by count, growth and rank with the previous window, as the brute force', async () => {
    // 47 hours (a whole day, hours and minutes in each window), the last 20 hours, and an unaligned window.
    const windows: Array<[number, number]> = [
      [T0 + 3 * 3600_000, T0 + SPAN_MS],
      [T0 + SPAN_MS - 20 * 3600_000, T0 + SPAN_MS],
      [T0 + 25 * 3600_000 + 17 * 60_000 + 30_000, T0 + 49 * 3600_000 + 3 * 60_000 + 1],
    ];
    for (const [from, to] of windows) for (const orderBy of ['COUNT', 'GROWTH', 'RANK'] as const) await expectTop(from, to, orderBy, null, () => true);
  });

  it('answers topFailureGroups with filters as the brute force', async () => {
    const sample = failures[0]!;
    const filters: Array<[Record<string, unknown>, (f: Generated) => boolean]> = [
      [{ service: sample.service }, (f) => f.service === sample.service],
      [{ pattern: 'EVENT_BUS', severity: ['CRITICAL', 'ERROR'] }, (f) => f.pattern === 'EVENT_BUS' && ['CRITICAL', 'ERROR'].includes(f.severity)],
      [{ taskType: 'mail' }, (f) => f.taskType === 'mail'],
      [{ group: sample.groupId }, (f) => f.groupId === sample.groupId],
      [{ service: 'no-such-service' }, () => false],
    ];
    for (const [filter, keep] of filters) await expectTop(T0 + 26 * 3600_000 + 60_000, T0 + SPAN_MS, 'GROWTH', filter, keep, 5);
  });

  it('refuses filters the rollup cannot answer and ranges that are too long', async () => {
    const bad = await t.request(STATS, { f: { errorMessage: 'x' }, from: new Date(T0).toISOString(), to: new Date(T0 + 3600_000).toISOString(), bucket: 'HOUR' });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const long = await t.request(STATS, { from: '2000-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', bucket: 'MINUTE' });
    expect(long.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const backwards = await t.request(STATS, { from: new Date(T0 + 60_000).toISOString(), to: new Date(T0).toISOString(), bucket: 'HOUR' });
    expect(backwards.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
