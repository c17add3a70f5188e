import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

type Page = { failures: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ cursor: string; node: { id: string } }> } };
const PAGE = `query($f: FailureFilter, $first: Int, $after: String) {
  failures(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }
}`;

describe('finding failures and groups', () => {
  let t: TestApp;
  let svc: { name: string; token: string };
  let other: { name: string; token: string };
  beforeAll(async () => {
    t = await startTestApp();
    svc = await t.createService();
    other = await t.createService();
    const input = [
      report(svc.name, { taskId: 'a1', pattern: 'DB_POLLING', severity: 'CRITICAL', taskType: 'charge-card', errorMessage: 'card declined: insufficient funds', occurredAt: '2026-01-01T10:00:00Z' }),
      report(svc.name, { taskId: 'a2', pattern: 'EVENT_BUS', severity: 'WARNING', taskType: 'send-email', errorMessage: 'quota 100% used', occurredAt: '2026-01-02T10:00:00Z' }),
      report(svc.name, { taskId: 'a3', pattern: 'MESSAGE_QUEUE', severity: 'ERROR', taskType: 'send-email', errorMessage: 'Mailbox FULL for user', occurredAt: '2026-01-03T10:00:00Z' }),
      report(other.name, { taskId: 'b1', errorMessage: 'card declined elsewhere' }),
    ];
    expectData(await t.request(REPORT_FAILURES, { input: input.slice(0, 3) }, svc.token));
    expectData(await t.request(REPORT_FAILURES, { input: input.slice(3) }, other.token));
  });
  afterAll(async () => {
    await t.dispose();
  });

  const ids = async (filter: Record<string, unknown>) => {
    const page = expectData(await t.request<{ failures: { edges: Array<{ node: { taskId: string } }> } }>(`query($f: FailureFilter) { failures(filter: $f, first: 100) { edges { node { taskId } } } }`, { f: filter }));
    return page.failures.edges.map((e) => e.node.taskId).sort();
  };

  it.each([
    ['service', () => ({ service: svc.name }), ['a1', 'a2', 'a3']],
    ['pattern', () => ({ service: svc.name, pattern: 'EVENT_BUS' }), ['a2']],
    ['severity', () => ({ service: svc.name, severity: ['CRITICAL', 'WARNING'] }), ['a1', 'a2']],
    ['task type', () => ({ service: svc.name, taskType: 'send-email' }), ['a2', 'a3']],
    ['status', () => ({ service: svc.name, status: ['DISCARDED'] }), []],
    ['time range', () => ({ service: svc.name, occurredFrom: '2026-01-02T00:00:00Z', occurredTo: '2026-01-03T00:00:00Z' }), ['a2']],
    ['message text, case-insensitive', () => ({ errorMessage: 'MAILBOX full' }), ['a3']],
    ['message text across services', () => ({ errorMessage: 'card declined' }), ['a1', 'b1']],
    ['a literal percent sign', () => ({ errorMessage: '%' }), ['a2']],
    ['an unknown service', () => ({ service: 'no-such-service' }), []],
  ])('filters by %s', async (_name, filter, expected) => {
    expect(await ids(filter())).toEqual(expected);
  });

  it('filters by group', async () => {
    const { failures } = expectData(await t.request<{ failures: { edges: Array<{ node: { group: { id: string }; taskId: string } }> } }>(`query($f: FailureFilter) { failures(filter: $f) { edges { node { taskId group { id } } } } }`, { f: { service: svc.name, taskType: 'charge-card' } }));
    expect(await ids({ group: failures.edges[0]!.node.group.id })).toEqual(['a1']);
  });

  it('keeps pages stable while new failures arrive', async () => {
    const fresh = await t.createService();
    expectData(await t.request(REPORT_FAILURES, { input: Array.from({ length: 25 }, (_, i) => report(fresh.name, { taskId: `p-${i}` })) }, fresh.token));
    const f = { service: fresh.name };
    const first = expectData(await t.request<Page>(PAGE, { f, first: 10 }));
    expect(first.failures).toMatchObject({ totalCount: 25, pageInfo: { hasNextPage: true } });
    // New arrivals land before the first page; the next pages neither repeat nor skip.
    expectData(await t.request(REPORT_FAILURES, { input: Array.from({ length: 5 }, (_, i) => report(fresh.name, { taskId: `late-${i}` })) }, fresh.token));
    const second = expectData(await t.request<Page>(PAGE, { f, first: 10, after: first.failures.pageInfo.endCursor }));
    const third = expectData(await t.request<Page>(PAGE, { f, first: 10, after: second.failures.pageInfo.endCursor }));
    const seen = [...first.failures.edges, ...second.failures.edges, ...third.failures.edges].map((e) => e.node.id);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(third.failures.pageInfo.hasNextPage).toBe(false);
    expect(third.failures.totalCount).toBe(30);
  });

  it('orders groups by count and pages through them', async () => {
    const fresh = await t.createService();
    const input = [3, 1, 2].flatMap((n, g) => Array.from({ length: n }, (_, i) => report(fresh.name, { taskId: `g${g}-${i}`, errorType: `Error${g}` })));
    expectData(await t.request(REPORT_FAILURES, { input }, fresh.token));
    const q = `query($f: FailureGroupFilter, $after: String) { failureGroups(filter: $f, orderBy: COUNT, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { errorType count } } } }`;
    type G = { failureGroups: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: Array<{ node: { errorType: string; count: number } }> } };
    const p1 = expectData(await t.request<G>(q, { f: { service: fresh.name } }));
    const p2 = expectData(await t.request<G>(q, { f: { service: fresh.name }, after: p1.failureGroups.pageInfo.endCursor }));
    expect([...p1.failureGroups.edges, ...p2.failureGroups.edges].map((e) => e.node.count)).toEqual([3, 2, 1]);
    expect(p1.failureGroups.totalCount).toBe(3);
    expect(p2.failureGroups.pageInfo.hasNextPage).toBe(false);
  });

  it('reopens a resolved group as regressed when the pattern comes back', async () => {
    const fresh = await t.createService();
    const operator = await t.createToken('OPERATOR');
    const first = expectData(await t.request<{ reportFailure: { id: string; group: { id: string } } }>(REPORT_FAILURE, { input: report(fresh.name) }, fresh.token)).reportFailure;
    const resolved = expectData(await t.request<{ resolveFailureGroup: { affected: number; group: { status: string; regressed: boolean } } }>(
      `mutation($id: ID!) { resolveFailureGroup(id: $id, note: "rotated the SMTP password") { affected group { status regressed } } }`,
      { id: first.group.id },
      operator,
    ));
    expect(resolved.resolveFailureGroup).toEqual({ affected: 1, group: { status: 'RESOLVED', regressed: false } });
    const again = expectData(await t.request<{ reportFailure: { group: { id: string; status: string; regressed: boolean; count: number; openCount: number } } }>(REPORT_FAILURE, { input: report(fresh.name) }, fresh.token));
    expect(again.reportFailure.group).toEqual({ id: first.group.id, status: 'OPEN', regressed: true, count: 2, openCount: 1 });
  });

  it('loads nested fields of a page in a constant number of queries', async () => {
    await t.app.outbox.stop(); // its polling would be counted too
    const fresh = await t.createService();
    expectData(await t.request(REPORT_FAILURES, { input: Array.from({ length: 40 }, (_, i) => report(fresh.name, { taskId: `n-${i}`, errorType: `E${i % 8}` })) }, fresh.token));
    const count = async (first: number) => {
      const logger = t.app.dataSource.logger;
      const original = logger.logQuery.bind(logger);
      let queries = 0;
      logger.logQuery = (...args) => {
        queries += 1;
        return original(...args);
      };
      try {
        expectData(await t.request(`query($f: FailureFilter, $n: Int) { failures(filter: $f, first: $n) { edges { node { id service { name } group { id service { name } } history { action } } } } }`, { f: { service: fresh.name }, n: first }));
      } finally {
        logger.logQuery = original;
      }
      return queries;
    };
    const few = await count(2);
    const many = await count(40);
    // One query per kind of nested field, whatever the page size (a busy machine may split a
    // batch in two, hence the small slack); N+1 loading would cost 40+ more.
    expect(many).toBeLessThanOrEqual(few + 3);
    expect(many).toBeLessThanOrEqual(10);
  });
});
