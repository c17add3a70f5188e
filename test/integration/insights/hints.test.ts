import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';

const HOUR = Date.parse('2026-04-01T10:00:00Z');
const at = (minute: number, second = 0) => new Date(HOUR + minute * 60_000 + second * 1000).toISOString();

describe('root-cause hints', () => {
  let t: TestApp;
  let service: { name: string; token: string };
  const groupOf = new Map<string, string>();

  /** Reports `count` failures of one fingerprint; returns the group id. */
  const reportMany = async (fingerprint: string, count: number, overrides: (i: number) => Record<string, unknown>) => {
    const input = Array.from({ length: count }, (_, i) => report(service.name, { taskId: `${fingerprint}-${i}`, fingerprint, ...overrides(i) }));
    for (let i = 0; i < input.length; i += 500) {
      const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input: input.slice(i, i + 500) }, service.token));
      groupOf.set(fingerprint, reportFailures.failures[0]!.group.id);
    }
    return groupOf.get(fingerprint)!;
  };

  beforeAll(async () => {
    t = await startTestApp();
    service = await t.createService();
    // One pattern that lives on the new version; the rest of the service runs the old one.
    const everyday = (i: number) => ({ version: '1.9.0', host: `w${i % 4}` });
    await reportMany('on-new-version', 20, (i) => ({ occurredAt: at(5 + (i % 40)), attributes: { ...everyday(i), version: i < 18 ? '2.0.1' : '1.9.0' } }));
    await reportMany('everyday-noise', 80, (i) => ({ occurredAt: at(i % 50), attributes: { ...everyday(i), requestId: `req-${i}` } }));
    // Two patterns spiking in the same minutes, one trailing by a minute, and one that does not.
    const spikes = [3, 9, 14, 22, 31, 38, 47, 55];
    const perMinute = (minute: number) => (spikes.includes(minute) ? 12 : minute % 7 === 0 ? 1 : 0);
    const series = (shift: number) => Array.from({ length: 60 }, (_, m) => Array.from({ length: perMinute(m) }, () => m + shift)).flat();
    const cause = series(0);
    const effect = series(1);
    await reportMany('db-down-writer', cause.length, (i) => ({ occurredAt: at(cause[i]!, i % 60), attributes: everyday(i) }));
    await reportMany('db-down-reader', effect.length, (i) => ({ occurredAt: at(effect[i]!, i % 60), attributes: everyday(i) }));
    await reportMany('unrelated', 40, (i) => ({ occurredAt: at((i * 17) % 60, 5), attributes: everyday(i) }));
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('breaks a group down by an attribute next to the service baseline', async () => {
    const { failureGroupBreakdown } = expectData(await t.request<{ failureGroupBreakdown: { attribute: string; values: Array<Record<string, unknown>> } }>(
      `query($id: ID!) { failureGroupBreakdown(id: $id, attribute: "version") { attribute values { value count share baselineShare lift } } }`,
      { id: groupOf.get('on-new-version') },
    ));
    // The service's failures in the group's hour: 20 of this group (18 on 2.0.1), the others all on 1.9.0.
    const inService = 20 + 80 + (await totalOf(['db-down-writer', 'db-down-reader', 'unrelated']));
    expect(failureGroupBreakdown.attribute).toBe('version');
    expect(failureGroupBreakdown.values[0]).toEqual({ value: '2.0.1', count: 18, share: 0.9, baselineShare: round(18 / inService), lift: round(0.9 / (18 / inService)) });
    expect(failureGroupBreakdown.values[1]).toMatchObject({ value: '1.9.0', count: 2, share: 0.1 });
  });

  it('names the over-represented value as a suspect, in a sentence', async () => {
    const { failureGroupSuspects } = expectData(await t.request<{ failureGroupSuspects: Array<{ attribute: string; value: string; lift: number; description: string }> }>(
      `query($id: ID!) { failureGroupSuspects(id: $id) { attribute value lift description } }`,
      { id: groupOf.get('on-new-version') },
    ));
    expect(failureGroupSuspects.map((s) => `${s.attribute}=${s.value}`)).toEqual(['version=2.0.1']);
    expect(failureGroupSuspects[0]!.description).toMatch(/^90% of this pattern's failures have version=2\.0\.1/);
    const noise = expectData(await t.request<{ failureGroupSuspects: unknown[] }>(`query($id: ID!) { failureGroupSuspects(id: $id) { value } }`, { id: groupOf.get('everyday-noise') }));
    expect(noise.failureGroupSuspects).toEqual([]);
  });

  it('keeps at most 20 values of a high-cardinality attribute and counts the rest as (other)', async () => {
    const { failureGroupBreakdown } = expectData(await t.request<{ failureGroupBreakdown: { values: Array<{ value: string; count: number }> } }>(
      `query($id: ID!) { failureGroupBreakdown(id: $id, attribute: "requestId") { values { value count } } }`,
      { id: groupOf.get('everyday-noise') },
    ));
    // 80 distinct request ids: the first 20 are kept, the other 60 count as one "(other)".
    expect(failureGroupBreakdown.values[0]).toEqual({ value: '(other)', count: 60 });
    expect(failureGroupBreakdown.values.slice(1)).toHaveLength(20);
    expect(failureGroupBreakdown.values.slice(1).every((v) => v.count === 1 && v.value.startsWith('req-'))).toBe(true);
    const rows: Array<{ n: number | string }> = await t.app.dataSource.query("SELECT COUNT(DISTINCT value) AS n FROM failure_attribute_tiers WHERE attribute = 'requestId'");
    expect(Number(rows[0]!.n)).toBe(21);
  });

  it('finds the group that rises and falls with another, at its lag, and not the unrelated one', async () => {
    const { correlatedGroups } = expectData(await t.request<{ correlatedGroups: Array<{ group: { id: string }; correlation: number; lagMinutes: number }> }>(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { correlatedGroups(id: $id, from: $from, to: $to) { group { id } correlation lagMinutes } }`,
      { id: groupOf.get('db-down-writer'), from: at(0), to: at(62) },
    ));
    expect(correlatedGroups.map((c) => c.group.id)).toEqual([groupOf.get('db-down-reader')]);
    expect(correlatedGroups[0]!.lagMinutes).toBe(1);
    expect(correlatedGroups[0]!.correlation).toBeGreaterThan(0.95);
  });

  it('breaks a group down over part of its life: what changed lately, at most 7 days of it at a time', async () => {
    // Alive eleven days (after the hour the other groups live in): on 1.9.0, then on 2.0.1 for its last three.
    const day = (d: number) => new Date(HOUR + (d + 1) * 86_400_000).toISOString();
    const id = await reportMany('long-running', 22, (i) => ({ occurredAt: day(i % 11), attributes: { version: i % 11 >= 8 ? '2.0.1' : '1.9.0' } }));
    const breakdown = async (from: string | null, to: string | null) =>
      t.request<{ failureGroupBreakdown: { values: Array<{ value: string; count: number; share: number }> } }>(
        `query($id: ID!, $from: DateTime, $to: DateTime) { failureGroupBreakdown(id: $id, attribute: "version", from: $from, to: $to) { values { value count share } } }`,
        { id, from, to },
      );
    const whole = expectData(await breakdown(null, null)).failureGroupBreakdown.values;
    expect(whole.map(({ value, count }) => [value, count])).toEqual([['1.9.0', 16], ['2.0.1', 6]]);
    // Its last three days (up to now): only the new version.
    const lately = expectData(await breakdown(day(8), null)).failureGroupBreakdown.values;
    expect(lately).toEqual([{ value: '2.0.1', count: 6, share: 1 }]);
    // Six days of its life hour by hour; eight are too many; its whole life and more is one read.
    expect(expectData(await breakdown(day(2), day(8))).failureGroupBreakdown.values.map(({ value, count }) => [value, count])).toEqual([['1.9.0', 12]]);
    expect(errorCode(await breakdown(day(1), day(9)))).toBe('BAD_USER_INPUT');
    expect(expectData(await breakdown(day(-5), day(20))).failureGroupBreakdown.values.map(({ value, count }) => [value, count])).toEqual([['1.9.0', 16], ['2.0.1', 6]]);
  });

  async function totalOf(fingerprints: string[]): Promise<number> {
    let total = 0;
    for (const fp of fingerprints) {
      const { failureGroup } = expectData(await t.request<{ failureGroup: { count: number } }>(`query($id: ID!) { failureGroup(id: $id) { count } }`, { id: groupOf.get(fp) }));
      total += failureGroup.count;
    }
    return total;
  }
});

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
