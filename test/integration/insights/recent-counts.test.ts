import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';

const MINUTE_MS = 60_000;
const GROUP_COUNTS = `query($id: ID!, $minutes: Int!) { failureGroup(id: $id) { recentCounts(minutes: $minutes) } }`;

describe('recent per-minute counts of a group (FailureGroup.recentCounts)', () => {
  let t: TestApp;
  let clock = Date.parse('2026-05-04T08:30:20Z');
  const at = (iso: string) => new Date(Date.parse(iso)).toISOString();

  beforeAll(async () => {
    t = await startTestApp({ overrides: { now: () => new Date(clock) } });
  });
  afterAll(async () => {
    await t.dispose();
  });

  /** Reports failures of one group per errorType; returns the group id of each errorType. */
  const reportAll = async (svc: { name: string; token: string }, inputs: Array<{ errorType: string; occurredAt: string }>) => {
    const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ id: string; group: { id: string } }> } }>(
      REPORT_FAILURES,
      { input: inputs.map((input, i) => report(svc.name, { taskId: `t-${i}-${input.errorType}`, ...input })) },
      svc.token,
    ));
    const groups = new Map<string, string>();
    reportFailures.failures.forEach((f, i) => groups.set(inputs[i]!.errorType, f.group.id));
    return { groups, failureIds: reportFailures.failures.map((f) => f.id) };
  };

  const counts = async (id: string, minutes: number) => expectData(await t.request<{ failureGroup: { recentCounts: number[] } }>(GROUP_COUNTS, { id, minutes })).failureGroup.recentCounts;

  it('counts failures per UTC minute they occurred, oldest first, ending with the current minute, zeros included', async () => {
    const svc = await t.createService();
    const { groups, failureIds } = await reportAll(svc, [
      { errorType: 'Timeout', occurredAt: at('2026-05-04T08:30:05Z') }, // current minute
      { errorType: 'Timeout', occurredAt: at('2026-05-04T08:29:59.999Z') },
      { errorType: 'Timeout', occurredAt: at('2026-05-04T08:29:00Z') },
      { errorType: 'Timeout', occurredAt: at('2026-05-04T08:27:30Z') },
      { errorType: 'Timeout', occurredAt: at('2026-05-04T08:27:31Z') },
      { errorType: 'Timeout', occurredAt: at('2026-05-04T08:27:32Z') },
      { errorType: 'Timeout', occurredAt: at('2026-05-04T07:31:00Z') }, // the oldest minute of the last 60
      { errorType: 'Timeout', occurredAt: at('2026-05-04T07:30:59Z') }, // just before it
      { errorType: 'Timeout', occurredAt: at('2026-05-03T08:31:00Z') }, // the oldest minute of the last 1440
      { errorType: 'Refused', occurredAt: at('2026-05-04T08:30:01Z') }, // another group, same minute
    ]);
    const timeout = groups.get('Timeout')!;
    const expected = new Array<number>(60).fill(0);
    expected[59] = 1;
    expected[58] = 2;
    expected[56] = 3;
    expected[0] = 1;
    expect(await counts(timeout, 60)).toEqual(expected);
    const { failureGroup } = expectData(await t.request<{ failureGroup: { recentCounts: number[] } }>(`query($id: ID!) { failureGroup(id: $id) { recentCounts } }`, { id: timeout }));
    expect(failureGroup.recentCounts).toEqual(expected); // 60 minutes unless asked otherwise
    expect(await counts(timeout, 1)).toEqual([1]);
    expect(await counts(groups.get('Refused')!, 3)).toEqual([0, 0, 1]);

    const day = await counts(timeout, 1440);
    expect(day).toHaveLength(1440);
    expect(day[0]).toBe(1);
    expect(day.reduce((a, b) => a + b, 0)).toBe(9);

    // Actions on a failure do not count again: only reports do.
    const operator = await t.createToken('OPERATOR');
    expectData(await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "stale") { status } }`, { id: failureIds[0] }, operator));
    expect(await counts(timeout, 60)).toEqual(expected);
  });

  it('moves its window with the clock', async () => {
    const svc = await t.createService();
    const { groups } = await reportAll(svc, [{ errorType: 'Slow', occurredAt: new Date(clock).toISOString() }]);
    const id = groups.get('Slow')!;
    expect(await counts(id, 4)).toEqual([0, 0, 0, 1]);
    clock += 2 * MINUTE_MS;
    try {
      expect(await counts(id, 4)).toEqual([0, 1, 0, 0]);
      clock += 2 * MINUTE_MS;
      expect(await counts(id, 4)).toEqual([0, 0, 0, 0]);
    } finally {
      clock -= 4 * MINUTE_MS;
    }
  });

  it('answers a whole page of groups from one query on the minute rollup, each group its own counts', async () => {
    const svc = await t.createService();
    const current = Math.floor(clock / MINUTE_MS);
    // Group i has (i % 3) + 1 failures, (i % 5) minutes ago.
    const inputs = Array.from({ length: 50 }, (_, i) =>
      Array.from({ length: (i % 3) + 1 }, () => ({ errorType: `E${i}`, occurredAt: new Date((current - (i % 5)) * MINUTE_MS + 1_000).toISOString() })),
    ).flat();
    await reportAll(svc, inputs);

    const logger = t.app.dataSource.logger;
    const original = logger.logQuery.bind(logger);
    const rollupQueries: string[] = [];
    logger.logQuery = (query, ...rest) => {
      if (query.includes('failure_minute_stats')) rollupQueries.push(query);
      return original(query, ...rest);
    };
    let page;
    try {
      page = expectData(await t.request<{ failureGroups: { edges: Array<{ node: { errorType: string; last5: number[]; lastDay: number[] } }> } }>(
        `query($s: String) { failureGroups(filter: { service: $s }, first: 50) { edges { node { errorType last5: recentCounts(minutes: 5) lastDay: recentCounts(minutes: 1440) } } } }`,
        { s: svc.name },
      ));
    } finally {
      logger.logQuery = original;
    }
    expect(rollupQueries).toHaveLength(1);
    expect(rollupQueries[0]).not.toMatch(/\bfailures\b/);
    const nodes = page.failureGroups.edges.map((e) => e.node);
    expect(nodes).toHaveLength(50);
    for (const node of nodes) {
      const i = Number(node.errorType.slice(1));
      const expected = [0, 0, 0, 0, 0];
      expected[4 - (i % 5)] = (i % 3) + 1;
      expect(node.last5).toEqual(expected);
      expect(node.lastDay).toHaveLength(1440);
      expect(node.lastDay.slice(-5)).toEqual(expected);
    }
  });

  it.each([0, -1, 1441])('refuses a window of %i minutes with BAD_USER_INPUT', async (minutes) => {
    const svc = await t.createService();
    const { groups } = await reportAll(svc, [{ errorType: 'Bound', occurredAt: new Date(clock).toISOString() }]);
    const result = await t.request(GROUP_COUNTS, { id: groups.get('Bound')!, minutes });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.message).toContain('1 to 1440');
  });
});
