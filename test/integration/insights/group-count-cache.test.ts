import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GroupCountCache } from '../../../src/insights/group-count-cache';
import { deferred } from '../../helpers/deferred';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { random } from '../../helpers/seeded-random';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

const SEED = Number(process.env.INSIGHTS_SEED ?? Date.now() % 100_000);
const HOUR = 3600_000;
const T0 = Date.parse('2026-04-06T00:00:00Z');
// A little over two days: the windows below are read from days, quarter days, hours and minutes.
const SPAN_MS = 52 * HOUR;

const TOP = `query($f: FailureFilter, $from: DateTime!, $to: DateTime!, $orderBy: TopGroupsOrder, $limit: Int!) {
  topFailureGroups(filter: $f, from: $from, to: $to, limit: $limit, orderBy: $orderBy) { group { id } count previousCount }
}`;

interface Reported {
  groupId: string;
  occurredAt: number;
  service: string;
  taskType: string;
}

/** A filter the kept buckets answer (by the group's service and task type), or none. */
type Filter = { service?: string; taskType?: string } | null;

/**
 * topFailureGroups over every group is answered from per-group rollup buckets kept in memory
 * between queries. These tests change the data under buckets already kept — through the same
 * instance and through another one on the same database — and ask again: every answer must equal
 * a brute-force count of what was reported. Without the check that a bucket is still current,
 * the answers after the late reports would be the old ones.
 */
describe(`topFailureGroups from kept rollup buckets stays exact while failures arrive (seed ${SEED})`, () => {
  let a: TestApp & { db: Awaited<ReturnType<typeof startTestApp>>['db'] };
  let b: TestApp;
  let tiny: TestApp;
  let off: TestApp;
  const reported: Reported[] = [];
  const services: string[] = [];
  const serviceIds = new Map<string, string>();
  const rnd = random(SEED);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)]!;

  async function send(t: TestApp, occurredAt: readonly number[]): Promise<void> {
    const inputs = occurredAt.map((at, i) =>
      report(pick(services), {
        taskId: `t-${reported.length + i}`,
        taskType: pick(['sync', 'mail']),
        errorType: pick(['Timeout', 'Refused', 'Parse', 'Denied']),
        severity: pick(['CRITICAL', 'ERROR', 'WARNING']),
        occurredAt: new Date(at).toISOString(),
      }),
    );
    for (let i = 0; i < inputs.length; i += 100) {
      const chunk = inputs.slice(i, i + 100);
      const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input: chunk }));
      reportFailures.failures.forEach((f, j) =>
        reported.push({ groupId: f.group.id, occurredAt: Date.parse(String(chunk[j]!.occurredAt)), service: String(chunk[j]!.service), taskType: String(chunk[j]!.taskType) }),
      );
    }
  }

  function bruteForce(from: number, to: number, orderBy: 'COUNT' | 'GROWTH', limit: number, filter: Filter = null) {
    const fromMinute = Math.floor(from / 60_000);
    const toMinute = Math.ceil(to / 60_000);
    const previousFrom = 2 * fromMinute - toMinute;
    const current = new Map<string, number>();
    const previous = new Map<string, number>();
    for (const f of reported) {
      if ((filter?.service && f.service !== filter.service) || (filter?.taskType && f.taskType !== filter.taskType)) continue;
      const minute = Math.floor(f.occurredAt / 60_000);
      const into = minute >= fromMinute && minute < toMinute ? current : minute >= previousFrom && minute < fromMinute ? previous : null;
      into?.set(f.groupId, (into.get(f.groupId) ?? 0) + 1);
    }
    const entries = [...current].map(([groupId, count]) => ({ groupId, count, previousCount: previous.get(groupId) ?? 0 }));
    const score = (e: (typeof entries)[number]) => (orderBy === 'COUNT' ? e.count : (e.count - e.previousCount) / Math.max(e.previousCount, 1));
    return entries.sort((x, y) => score(y) - score(x) || y.count - x.count || (x.groupId < y.groupId ? -1 : 1)).slice(0, limit);
  }

  // A day-long window ending at an unaligned time (previous window: the day before), and a shorter one.
  const WINDOWS: Array<[number, number]> = [
    [T0 + 27 * HOUR + 23 * 60_000 + 5_000, T0 + 51 * HOUR + 23 * 60_000 + 5_000],
    [T0 + 30 * HOUR + 41 * 60_000, T0 + 43 * HOUR + 2 * 60_000],
  ];

  // Every group, and the filters the kept buckets answer too (a group's service and task type).
  const filters = (): Filter[] => [null, { service: services[0] }, { taskType: 'mail' }, { service: services[1], taskType: 'sync' }];

  async function expectAllEqual(t: TestApp, round: string): Promise<void> {
    for (const [from, to] of WINDOWS) {
      for (const orderBy of ['COUNT', 'GROWTH'] as const) {
        for (const filter of filters()) {
          const limit = 100;
          const { topFailureGroups } = expectData(
            await t.request<{ topFailureGroups: Array<{ group: { id: string }; count: number; previousCount: number }> }>(TOP, {
              f: filter,
              from: new Date(from).toISOString(),
              to: new Date(to).toISOString(),
              orderBy,
              limit,
            }),
          );
          const where = { round, from: new Date(from).toISOString(), to: new Date(to).toISOString(), orderBy, filter };
          expect({ where, top: topFailureGroups.map((g) => ({ groupId: g.group.id, count: g.count, previousCount: g.previousCount })) }).toEqual({
            where,
            top: bruteForce(from, to, orderBy, limit, filter),
          });
        }
      }
    }
  }

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ database: a.db });
    tiny = await startTestApp({ database: a.db, env: { INSIGHTS_CACHE_ROWS: '20' } });
    off = await startTestApp({ database: a.db, env: { INSIGHTS_CACHE_ROWS: '0' } });
    for (let i = 0; i < 3; i++) {
      const { id, name } = await a.createService();
      services.push(name);
      serviceIds.set(name, id);
    }
    await send(
      a,
      Array.from({ length: 300 }, () => T0 + Math.floor(rnd() * SPAN_MS)),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([b?.stop(), tiny?.stop(), off?.stop()]);
    await a?.dispose();
  });

  it('answers as the brute force, the first time and again from the kept buckets', async () => {
    await expectAllEqual(a, 'first');
    await expectAllEqual(a, 'again');
  });

  it('sees late failures in kept days, quarter days, hours and edge minutes, reported to the same instance', async () => {
    await expectAllEqual(a, 'kept');
    const [from, to] = WINDOWS[0]!;
    const late = [
      T0 + 24 * HOUR + 60_000, // the whole day inside the previous window
      from + 3 * HOUR, // a whole hour or quarter day of the previous window
      from + 30_000, // the first minute of the current window
      from - 90_000, // the last minutes of the previous window
      to - 45_000, // the last minute of the current window
      T0 + 45 * HOUR + 7 * 60_000, // an hour inside both windows
    ];
    await send(a, late);
    await expectAllEqual(a, 'after late reports to this instance');
  });

  it('sees failures that another instance took in', async () => {
    await expectAllEqual(a, 'kept by a');
    await send(b, Array.from({ length: 40 }, () => T0 + 22 * HOUR + Math.floor(rnd() * 30 * HOUR)));
    await expectAllEqual(a, 'after reports to another instance');
    await expectAllEqual(b, 'on the other instance');
  });

  it('answers the same with a bound of a few rows, and with nothing kept', async () => {
    await send(a, Array.from({ length: 20 }, () => T0 + Math.floor(rnd() * SPAN_MS)));
    await expectAllEqual(tiny, 'bound of 20 rows');
    await expectAllEqual(tiny, 'bound of 20 rows, again');
    await expectAllEqual(off, 'nothing kept');
  });

  it('answers queries that run side by side while the bound drops what the others read', async () => {
    await send(b, Array.from({ length: 20 }, () => T0 + Math.floor(rnd() * SPAN_MS)));
    await Promise.all([expectAllEqual(tiny, 'side by side 1'), expectAllEqual(tiny, 'side by side 2'), expectAllEqual(tiny, 'side by side 3'), expectAllEqual(a, 'side by side 4')]);
  });

  it('correlatedGroups sees a group whose failures arrived after the minutes were kept', async () => {
    // 90 minutes after the rest of the data, crossing an hour: kept as two hours of minutes.
    const w0 = T0 + SPAN_MS + 2 * HOUR + 30 * 60_000;
    const counts = Array.from({ length: 90 }, (_, i) => (i % 7 === 0 ? 4 : i % 3 === 0 ? 2 : i % 5 === 0 ? 1 : 0));
    const burst = (errorType: string) =>
      counts.flatMap((n, i) => Array.from({ length: n }, (_, j) => report(services[0]!, { taskId: `${errorType}-${i}-${j}`, errorType, occurredAt: new Date(w0 + i * 60_000 + j * 1000).toISOString() })));
    const sendAll = async (t: TestApp, inputs: Array<Record<string, unknown>>) => {
      const ids = new Set<string>();
      for (let i = 0; i < inputs.length; i += 100) {
        const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input: inputs.slice(i, i + 100) }));
        for (const f of reportFailures.failures) ids.add(f.group.id);
      }
      return [...ids];
    };
    const CORRELATED = `query($id: ID!, $from: DateTime!, $to: DateTime!) { correlatedGroups(id: $id, from: $from, to: $to) { group { id } correlation lagMinutes } }`;
    const ask = async (id: string) =>
      expectData(await a.request<{ correlatedGroups: Array<{ group: { id: string }; correlation: number; lagMinutes: number }> }>(CORRELATED, { id, from: new Date(w0).toISOString(), to: new Date(w0 + 90 * 60_000).toISOString() })).correlatedGroups;

    const [leader] = await sendAll(a, burst('LeaderError'));
    expect(await ask(leader!)).toEqual([]);
    const [follower] = await sendAll(b, burst('FollowerError'));
    expect(await ask(leader!)).toEqual([{ group: { id: follower }, correlation: 1, lagMinutes: 0 }]);
  });

  it('keeps what a query read valid while another one, finishing meanwhile, drops every bucket', async () => {
    // Hour 1 of a day far from the rest: one group; hour 2: five others.
    const day = T0 + 20 * 24 * HOUR;
    const one = (errorType: string, at: number) => report(services[0]!, { taskId: `${errorType}-${at}`, errorType, occurredAt: new Date(at).toISOString() });
    const inputs = [one('Lonely', day + HOUR + 60_000), ...['B', 'C', 'D', 'E', 'F'].map((e, i) => one(`Crowd${e}`, day + 2 * HOUR + i * 60_000))];
    const { reportFailures } = expectData(await a.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input: inputs }));
    const [lonely, ...crowd] = reportFailures.failures.map((f) => f.group.id);

    // A cache of 3 rows: hour 1 (one row) stays; hour 2 (five groups) does not, and its ids are too many to keep.
    let hold: { reached: () => void; release: Promise<void> } | null = null;
    const gated = {
      query: async (sql: string, params: unknown[]) => {
        const rows = await a.app.dataSource.query(sql, params);
        if (hold && sql.includes("s.scope = 'GROUP'")) {
          const { reached, release } = hold;
          hold = null;
          reached();
          await release;
        }
        return rows;
      },
    };
    const cache = new GroupCountCache(gated as never, 3);
    const minute = (ms: number) => ms / 60_000;
    expect(await cache.groupCounts([minute(day + HOUR), minute(day + 2 * HOUR)])).toEqual(new Map([[lonely, [1]]]));

    // The wide query keeps hour 1 from before and waits with hour 2's rows read; the narrow one runs meanwhile.
    const reached = deferred();
    const release = deferred();
    hold = { reached: () => reached.resolve(), release: release.promise };
    const wide = cache.groupCounts([minute(day + HOUR), minute(day + 3 * HOUR)]);
    await reached.promise;
    expect(await cache.groupCounts([minute(day + 2 * HOUR), minute(day + 3 * HOUR)])).toEqual(new Map(crowd.map((id) => [id, [1]])));
    release.resolve();
    expect(await wide).toEqual(new Map([lonely, ...crowd].map((id) => [id!, [1]])));
  });

  /** A cache of its own over the app's database, recording each statement, and a window's boundaries with the one before it. */
  function countingCache([from, to]: [number, number]) {
    const statements: string[] = [];
    const counting = { query: (sql: string, params: unknown[]) => (statements.push(sql), a.app.dataSource.query(sql, params)) };
    const boundaries = [2 * Math.floor(from / 60_000) - Math.ceil(to / 60_000), Math.floor(from / 60_000), Math.ceil(to / 60_000)];
    return { cache: new GroupCountCache(counting as never, 100_000), statements, boundaries };
  }

  it('asks again with one read of the totals, and reads rows again only once a bucket changed', async () => {
    const { cache, statements, boundaries } = countingCache(WINDOWS[0]!);
    const first = await cache.groupCounts(boundaries);
    expect(statements).toHaveLength(2); // the totals, then every bucket's rows

    statements.length = 0;
    expect(await cache.groupCounts(boundaries)).toEqual(first);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain("scope = 'ALL'");

    statements.length = 0;
    const late = T0 + 45 * HOUR + 7 * 60_000; // an hour inside the current window
    const { reportFailures } = expectData(await a.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input: [report(services[0]!, { taskId: 'late-one', errorType: 'LateOne', occurredAt: new Date(late).toISOString() })] }));
    const groupId = reportFailures.failures[0]!.group.id;
    reported.push({ groupId, occurredAt: late, service: services[0]!, taskType: 'send-invoice-email' });
    const after = await cache.groupCounts(boundaries);
    expect(statements).toHaveLength(2);
    expect(after.get(groupId)).toEqual([0, (first.get(groupId)?.[1] ?? 0) + 1]);
  });

  it('filters by service or task type with one read of the groups it has not seen, then none', async () => {
    const { cache, statements, boundaries } = countingCache(WINDOWS[1]!);
    const all = await cache.groupCounts(boundaries);
    const byGroup = new Map(reported.map((f) => [f.groupId, f]));

    statements.length = 0;
    const service = services[2]!;
    const ofService = await cache.groupCounts(boundaries, { serviceId: serviceIds.get(service)! });
    expect(statements.filter((sql) => sql.includes('FROM failure_groups'))).toHaveLength(1);
    expect([...ofService.keys()].sort()).toEqual([...all.keys()].filter((id) => byGroup.get(id)!.service === service).sort());
    expect(ofService.size).toBeGreaterThan(0);
    for (const [id, counts] of ofService) expect(counts).toEqual(all.get(id));

    statements.length = 0;
    const ofTaskType = await cache.groupCounts(boundaries, { taskType: 'sync' });
    expect(statements).toHaveLength(1); // the totals: the groups are known, their buckets current
    expect([...ofTaskType.keys()].sort()).toEqual([...all.keys()].filter((id) => byGroup.get(id)!.taskType === 'sync').sort());
    expect(await cache.groupCounts(boundaries, { serviceId: '00000000-0000-0000-0000-000000000000' })).toEqual(new Map());
  });

  it('answers windows that wholly precede and follow the data with no groups', async () => {
    for (const t of [a, off]) {
      const early = await t.request<{ topFailureGroups: unknown[] }>(TOP, { from: new Date(T0 - 9 * HOUR).toISOString(), to: new Date(T0 - 4 * HOUR).toISOString(), orderBy: 'GROWTH', limit: 5 });
      expect(expectData(early).topFailureGroups).toEqual([]);
    }
  });
});
