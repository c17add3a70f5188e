import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RollupReader } from '../../../src/insights/rollup-reader';
import { StatsDimension } from '../../../src/insights/insights.types';
import { Dialect } from '../../../src/platform/db';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

const STATS = `query($f: FailureFilter, $from: DateTime!, $to: DateTime!, $bucket: TimeBucket!, $groupBy: StatsDimension) {
  failureStats(filter: $f, from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) { key points { at reported } }
}`;

/**
 * An edge hour that is mostly inside the range is read as the whole hour less the minutes
 * outside it. The minutes outside may hold the only failures of some key: that key adds up to
 * zero and must not show as a series of zeros (as it never did when the minutes were read).
 */
describe('failureStats over edge hours read as the hour less the minutes outside', () => {
  let t: TestApp;
  let services: string[];
  const at = (hhmm: string) => `2026-03-02T${hhmm}:00.000Z`;

  beforeAll(async () => {
    t = await startTestApp();
    services = [(await t.createService()).name, (await t.createService()).name];
    const failures = [
      { service: services[0]!, severity: 'ERROR', occurredAt: at('10:05') },
      { service: services[0]!, severity: 'ERROR', occurredAt: at('10:20') },
      // Inside hour 10 but outside [10:02, 10:45): only INFO and only the second service there.
      { service: services[1]!, severity: 'INFO', occurredAt: at('10:50') },
      { service: services[1]!, severity: 'INFO', occurredAt: at('10:01') },
      { service: services[0]!, severity: 'WARNING', occurredAt: at('11:10') },
    ].map((f, i) => report(f.service, { taskId: `edge-${i}`, severity: f.severity, occurredAt: f.occurredAt }));
    // One group over two task types (a client fingerprint): the group's task type is its first failure's.
    failures.push(
      report(services[1]!, { taskId: 'shared-1', taskType: 'import-a', fingerprint: 'shared', occurredAt: at('12:05') }),
      report(services[1]!, { taskId: 'shared-2', taskType: 'import-b', fingerprint: 'shared', occurredAt: at('12:50') }),
    );
    expectData(await t.request(REPORT_FAILURES, { input: failures }));
  }, 60_000);
  afterAll(() => t.dispose());

  const stats = async (from: string, to: string, bucket: string, groupBy: string | null) =>
    expectData(await t.request<{ failureStats: Array<{ key: string; points: Array<{ at: string; reported: number }> }> }>(STATS, { from, to, bucket, groupBy })).failureStats;

  it('leaves out a key whose failures in the edge hour all lie outside the range', async () => {
    expect(await stats(at('10:02'), at('10:45'), 'HOUR', 'SEVERITY')).toEqual([{ key: 'ERROR', points: [{ at: at('10:00'), reported: 2 }] }]);
    const byService = await stats(at('10:02'), at('10:45'), 'HOUR', 'SERVICE');
    expect(byService).toEqual([{ key: services[0], points: [{ at: at('10:00'), reported: 2 }] }]);
  });

  it('reads such an edge hour as the hour less the minutes outside, except by task type', async () => {
    const statements: string[] = [];
    const recording = { query: (sql: string, params: unknown[]) => (statements.push(sql), t.app.dataSource.query(sql, params)) };
    const reader = new RollupReader(recording as never, new Dialect(t.app.dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite'));
    const minute = (hhmm: string) => Date.parse(at(hhmm)) / 60_000;
    const rows = await reader.stats({}, minute('10:02'), minute('10:45'), 60, StatsDimension.SEVERITY);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain("s.span = 'HOUR'");
    expect(statements[0]).toContain('-SUM(s.reported)');
    const reported = new Map<string, number>();
    for (const row of rows) reported.set(String(row.k), (reported.get(String(row.k)) ?? 0) + Number(row.reported));
    expect(Object.fromEntries(reported)).toEqual({ ERROR: 2, INFO: 0 });

    statements.length = 0;
    await reader.stats({}, minute('10:02'), minute('10:45'), 60, StatsDimension.TASK_TYPE);
    expect(statements[0]).not.toContain('-SUM(');
  });

  it('does not mix task types across a group that holds several', async () => {
    // The tiers count each failure under its own task type, the minute rows under the group's:
    // the hour less the minutes would count import-b at 12:50, outside the range, and not import-a.
    expect(await stats(at('12:02'), at('12:45'), 'HOUR', 'TASK_TYPE')).toEqual([{ key: 'import-a', points: [{ at: at('12:00'), reported: 1 }] }]);
    expect(await stats(at('12:02'), at('12:45'), 'HOUR', null)).toEqual([{ key: 'all', points: [{ at: at('12:00'), reported: 1 }] }]);
  });

  it('counts what is inside both edge hours, and gives no-groupBy answers their one series', async () => {
    expect(await stats(at('10:02'), at('11:45'), 'HOUR', 'SEVERITY')).toEqual([
      { key: 'ERROR', points: [{ at: at('10:00'), reported: 2 }, { at: at('11:00'), reported: 0 }] },
      { key: 'INFO', points: [{ at: at('10:00'), reported: 1 }, { at: at('11:00'), reported: 0 }] },
      { key: 'WARNING', points: [{ at: at('10:00'), reported: 0 }, { at: at('11:00'), reported: 1 }] },
    ]);
    expect(await stats(at('10:02'), at('10:45'), 'DAY', null)).toEqual([{ key: 'all', points: [{ at: '2026-03-02T00:00:00.000Z', reported: 2 }] }]);
    expect(await stats(at('10:46'), at('10:49'), 'HOUR', null)).toEqual([{ key: 'all', points: [{ at: at('10:00'), reported: 0 }] }]);
  });
});
