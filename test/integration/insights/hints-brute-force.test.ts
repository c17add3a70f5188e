import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../helpers/deferred';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { generators, random, seeds } from '../../helpers/seeded-random';
import { type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';

/**
 * failureGroupBreakdown and failureGroupSuspects against a brute force over the failures the test
 * itself reported: random groups, times, attributes and sources, then half the groups closed and
 * purged by a one-day retention (the data is four days old), so answers come from the rollups
 * alone. The brute force applies the documented rules, not the service's helpers:
 * - a failure counts its first 10 attribute names (code-point order) plus its source, each value
 *   cut to 255 characters and compared exactly (case, trailing spaces);
 * - per group and attribute, the first 20 distinct values reported are kept, later ones are "(other)";
 * - the period is the group's lifetime in whole UTC hours; the baseline is the service's failures
 *   that occurred then (each counted with the value its own group kept);
 * - share = count / group size, baselineShare = baseline count / baseline total,
 *   lift = share / baselineShare, each rounded to 4 decimals;
 * - a suspect: not "(other)", count ≥ 5, share ≥ 0.3, lift ≥ 2, strongest first, at most 10.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEPT_VALUES = 20;
const COUNTED_ATTRIBUTES = 10;
const OTHER = '(other)';
const T0 = Math.floor((Date.now() - 4 * DAY) / HOUR) * HOUR;

const VERSIONS = ['1.9.0', '2.0.1', '2.1.0', '3.0.0-β'];
const REGIONS = ['eu-west', 'EU-WEST', 'us-east'];
const TIERS = ['gold', 'gold ', 'Gold', 'silver'];
const SOURCES = ['billing.worker', 'mail.worker', null];
// Values past 255 characters are cut there: the first two become one; the emoji is not split.
const NOTES = [`${'n'.repeat(300)}-a`, `${'n'.repeat(300)}-b`, `${'n'.repeat(254)}😀tail`, 'short'];
const STORED_CHARS = 255;
const CROWD = Array.from({ length: COUNTED_ATTRIBUTES }, (_, i) => `a${String(i).padStart(2, '0')}`);
const QUERIED = ['version', 'host', 'region', 'tier', 'note', 'source', 'requestId', 'a03', 'never-sent'];

interface GroupSpec {
  key: string;
  service: string;
  startHour: number;
  hours: number;
  size: number;
  hot: string;
  hotShare: number;
  hosts: number;
  regionShare: number;
  crowdedShare: number;
  requestIds: boolean;
  notes: boolean;
}

interface Sent {
  groupKey: string;
  service: string;
  occurredAt: number;
  attributes: Record<string, string>;
  source: string | null;
}

interface Hours {
  from: number;
  to: number;
}

interface ValueShare {
  value: string;
  count: number;
  share: number;
  baselineShare: number;
  lift: number;
}

interface SuspectAnswer extends ValueShare {
  attribute: string;
  description: string;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The groups of one seed: edge cases by name, then random ones, and a second service alike. */
function specs(rnd: () => number, main: string, other: string): GroupSpec[] {
  const { pick, int } = generators(rnd);
  const randomSpec = (key: string, service: string): GroupSpec => ({
    key,
    service,
    startHour: int(0, 8),
    hours: int(0, 3),
    size: pick([2, 6, 15, 40, 70]),
    hot: pick(VERSIONS),
    hotShare: rnd(),
    hosts: pick([1, 3, 8, 21, 30]),
    regionShare: pick([0, 0.5, 1]),
    crowdedShare: pick([0, 0, 0.3]),
    requestIds: rnd() < 0.3,
    notes: rnd() < 0.5,
  });
  // A version only this group has, over the hours of a group twice its size: lift ≥ 3.
  const hot = { ...randomSpec('hot', main), hot: '2.0.2', hotShare: 0.9, size: 30 };
  return [
    { ...randomSpec('lone', main), size: 1 },
    { ...randomSpec('single-value', main), hot: '3.0.0-β', hotShare: 1, hosts: 1, regionShare: 0, crowdedShare: 0 },
    { ...randomSpec('wide', main), hosts: 30, requestIds: true, size: 60, startHour: hot.startHour, hours: hot.hours },
    hot,
    { ...randomSpec('crowded', main), crowdedShare: 0.5, size: 25 },
    // Alive for two and a half days: its baseline spans whole UTC days and the hours beside them.
    { ...randomSpec('long-lived', main), startHour: 0, hours: 60, size: 50 },
    // A version no other group of the service has: it shows in the others' baselines only.
    { ...randomSpec('baseline-only', main), hot: '9.9.9', hotShare: 1, size: 12 },
    ...Array.from({ length: int(2, 4) }, (_, i) => randomSpec(`random-${i}`, main)),
    // The same hours and values in another service: never part of this service's baseline.
    ...Array.from({ length: 2 }, (_, i) => ({ ...randomSpec(`elsewhere-${i}`, other), startHour: 0, hours: 8 })),
  ];
}

function failuresOf(rnd: () => number, spec: GroupSpec): Sent[] {
  const { pick, int } = generators(rnd);
  const start = T0 + spec.startHour * HOUR;
  const span = (spec.hours + 1) * HOUR;
  return Array.from({ length: spec.size }, (_, i) => {
    // The first and last failures sit on the hour boundaries (UTC) of the group's lifetime.
    const occurredAt = i === 0 ? start : i === 1 ? start + span - 1 : start + int(0, span - 1);
    const attributes: Record<string, string> = {
      version: rnd() < spec.hotShare ? spec.hot : pick(VERSIONS),
      host: `w${int(0, spec.hosts - 1)}`,
      tier: pick(TIERS),
    };
    if (rnd() < spec.regionShare) attributes.region = pick(REGIONS);
    if (spec.requestIds) attributes.requestId = `req-${spec.key}-${i}`;
    if (spec.notes) attributes.note = pick(NOTES);
    // Ten more names that sort first push host, region, tier and version out of the counted ten.
    if (rnd() < spec.crowdedShare) for (const name of CROWD) attributes[name] = pick(['x', 'y']);
    return { groupKey: spec.key, service: spec.service, occurredAt, attributes, source: pick(SOURCES) };
  });
}

/** Each failure's attribute values as the documented rules store them. */
function storedValues(sent: readonly Sent[]): Array<Map<string, string>> {
  const kept = new Map<string, Set<string>>();
  return sent.map((f) => {
    const names: Array<[string, string]> = Object.keys(f.attributes)
      .sort(byCodePoint)
      .slice(0, COUNTED_ATTRIBUTES)
      .map((name) => [name, Array.from(f.attributes[name]!).slice(0, STORED_CHARS).join('')]);
    if (f.source !== null) names.push(['source', f.source]);
    const values = new Map<string, string>();
    for (const [name, value] of names) {
      const key = `${f.service}/${f.groupKey}/${name}`;
      if (!kept.has(key)) kept.set(key, new Set());
      const set = kept.get(key)!;
      if (!set.has(value) && set.size < KEPT_VALUES) set.add(value);
      values.set(name, set.has(value) ? value : OTHER);
    }
    return values;
  });
}

describe.each(seeds(3))('root-cause hints equal a brute force over the same failures (seed %i)', (seed) => {
  let t: TestApp;
  let operator: string;
  const rnd = random(seed);
  const sent: Sent[] = [];
  const groupIds = new Map<string, string>();
  let stored: Array<Map<string, string>> = [];
  let groupKeys: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { RETENTION_DAYS: '1', RETENTION_INTERVAL_MS: '200' } });
    operator = await t.createToken('OPERATOR');
    const main = await t.createService();
    const other = await t.createService();
    const groups = specs(rnd, main.name, other.name);
    groupKeys = groups.filter((g) => g.service === main.name).map((g) => g.key);
    sent.push(...generators(rnd).shuffle(groups.flatMap((g) => failuresOf(rnd, g))));

    for (let i = 0; i < sent.length; i += 250) {
      const chunk = sent.slice(i, i + 250);
      const input = chunk.map((f, j) =>
        report(f.service, { taskId: `t-${i + j}`, fingerprint: `${f.service}-${f.groupKey}`, occurredAt: new Date(f.occurredAt).toISOString(), attributes: f.attributes, source: f.source }),
      );
      const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input }));
      reportFailures.failures.forEach((f, j) => groupIds.set(chunk[j]!.groupKey, f.group.id));
    }
    stored = storedValues(sent);

    // Close half the groups: the retention purge deletes their failures; the rollups stay.
    let closed = 0;
    for (const key of [...groupIds.keys()].filter((_, i) => i % 2 === 0)) {
      const { discardFailureGroup } = expectData(await t.request<{ discardFailureGroup: { affected: number } }>(`mutation($id: ID!) { discardFailureGroup(id: $id, reason: "test") { affected } }`, { id: groupIds.get(key) }, operator));
      closed += discardFailureGroup.affected;
    }
    expect(closed).toBeGreaterThan(0);
    await eventually(async () => {
      const { retentionStatus } = expectData(await t.request<{ retentionStatus: { purgedTotal: number } }>(`{ retentionStatus { purgedTotal } }`));
      return retentionStatus.purgedTotal >= closed ? true : undefined;
    });
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  /** The group's whole UTC hours [from, to): from its first failure's hour to its last one's, inclusive. */
  function lifetime(groupKey: string): Hours {
    const times = sent.filter((f) => f.groupKey === groupKey).map((f) => f.occurredAt);
    return { from: Math.floor(Math.min(...times) / HOUR), to: Math.floor(Math.max(...times) / HOUR) + 1 };
  }

  /** The group's failures and their stored values, and the service's, in the hours (default: the group's lifetime). */
  function context(groupKey: string, hours = lifetime(groupKey)) {
    const inHours = (f: Sent) => Math.floor(f.occurredAt / HOUR) >= hours.from && Math.floor(f.occurredAt / HOUR) < hours.to;
    const all = sent.map((f, i) => ({ f, values: stored[i]! }));
    const service = all.find(({ f }) => f.groupKey === groupKey)!.f.service;
    const mine = all.filter(({ f }) => f.groupKey === groupKey && inHours(f));
    const baseline = all.filter(({ f }) => f.service === service && inHours(f));
    return { mine, baseline };
  }

  function shares(groupKey: string, attribute: string, hours?: Hours): ValueShare[] {
    const { mine, baseline } = context(groupKey, hours);
    const counts = new Map<string, number>();
    for (const { values } of mine) if (values.has(attribute)) counts.set(values.get(attribute)!, (counts.get(values.get(attribute)!) ?? 0) + 1);
    return [...counts.entries()]
      .map(([value, count]) => {
        const share = count / mine.length;
        const baselineShare = ratio(baseline.filter(({ values }) => values.get(attribute) === value).length, baseline.length);
        return { value, count, share: round4(share), baselineShare: round4(baselineShare), lift: round4(ratio(share, baselineShare)) };
      })
      .sort((a, b) => b.count - a.count || byCodePoint(a.value, b.value));
  }

  function suspects(groupKey: string, hours?: Hours): Array<Omit<SuspectAnswer, 'description'>> {
    const attributes = new Set(context(groupKey, hours).mine.flatMap(({ values }) => [...values.keys()]));
    return [...attributes]
      .flatMap((attribute) => shares(groupKey, attribute, hours).map((s) => ({ attribute, ...s })))
      .filter((s) => s.value !== OTHER && s.count >= 5 && s.share >= 0.3 && s.lift >= 2)
      .sort((a, b) => b.lift - a.lift || b.share - a.share || byCodePoint(a.attribute, b.attribute) || byCodePoint(a.value, b.value))
      .slice(0, 10);
  }

  it('breaks every group down by every attribute as the brute force does', async () => {
    for (const key of groupKeys) {
      for (const attribute of QUERIED) {
        const { failureGroupBreakdown } = expectData(await t.request<{ failureGroupBreakdown: { attribute: string; values: ValueShare[] } }>(
          `query($id: ID!, $a: String!) { failureGroupBreakdown(id: $id, attribute: $a) { attribute values { value count share baselineShare lift } } }`,
          { id: groupIds.get(key), a: attribute },
        ));
        expect(failureGroupBreakdown.attribute).toBe(attribute);
        expectShares(failureGroupBreakdown.values, shares(key, attribute), `${key}.${attribute}`);
      }
    }
    // The generator reached the cases it is for.
    expect(shares('wide', 'requestId').map((v) => v.value)).toContain(OTHER);
    expect(shares('single-value', 'version')).toHaveLength(1);
    expect(shares('lone', 'never-sent')).toEqual([]);
  });

  it('names the suspects the brute force names, strongest first, each in a sentence', async () => {
    let found = 0;
    for (const key of groupKeys) {
      const { failureGroupSuspects } = expectData(await t.request<{ failureGroupSuspects: SuspectAnswer[] }>(
        `query($id: ID!) { failureGroupSuspects(id: $id) { attribute value count share baselineShare lift description } }`,
        { id: groupIds.get(key) },
      ));
      const expected = suspects(key);
      expect(failureGroupSuspects.map((s) => `${s.attribute}=${s.value}`)).toEqual(expected.map((s) => `${s.attribute}=${s.value}`));
      failureGroupSuspects.forEach((s, i) => {
        expectShares([s], [expected[i]!], `${key} suspect ${i}`);
        expect(s.description).toBe(`${percent(s.share)} of this pattern's failures have ${s.attribute}=${s.value}, which carries ${percent(s.baselineShare)} of the service's failures (${s.lift.toFixed(1)}× lift)`);
      });
      found += expected.length;
    }
    expect(found).toBeGreaterThan(0);
  });

  it('breaks groups down over part of their life, and names its suspects, as the brute force does', async () => {
    const { int } = generators(rnd);
    const now = Math.ceil(Date.now() / HOUR);
    let partial = 0;
    let nonEmpty = 0;
    for (const key of groupKeys) {
      const life = lifetime(key);
      const ranges: Array<{ from?: number; to?: number }> = [
        { from: life.from + int(0, life.to - life.from - 1), to: life.from + int(1, life.to - life.from) + 1 }, // part of its life (maybe all)
        { from: life.to - 1 }, // its last hour, up to now
        { to: life.from + 1 }, // from its first hour, its first hour only
        { from: life.from - int(1, 5), to: life.to + int(0, 5) }, // its whole life and more: a wider baseline
        { from: life.to + 2, to: life.to + 4 }, // after it: nothing
      ];
      for (const r of ranges) {
        if (r.from !== undefined && r.to !== undefined && r.from >= r.to) continue;
        const hours = { from: r.from ?? life.from, to: r.to ?? now };
        const variables = { id: groupIds.get(key), from: r.from === undefined ? null : new Date(r.from * HOUR).toISOString(), to: r.to === undefined ? null : new Date(r.to * HOUR - 1).toISOString() };
        for (const attribute of ['version', 'host', 'source', 'requestId']) {
          const { failureGroupBreakdown } = expectData(await t.request<{ failureGroupBreakdown: { values: ValueShare[] } }>(
            `query($id: ID!, $a: String!, $from: DateTime, $to: DateTime) { failureGroupBreakdown(id: $id, attribute: $a, from: $from, to: $to) { values { value count share baselineShare lift } } }`,
            { ...variables, a: attribute },
          ));
          const expected = shares(key, attribute, hours);
          expectShares(failureGroupBreakdown.values, expected, `${key}.${attribute} ${JSON.stringify(r)}`);
          if (expected.length) nonEmpty++;
        }
        const { failureGroupSuspects } = expectData(await t.request<{ failureGroupSuspects: SuspectAnswer[] }>(
          `query($id: ID!, $from: DateTime, $to: DateTime) { failureGroupSuspects(id: $id, from: $from, to: $to) { attribute value count share baselineShare lift } }`,
          variables,
        ));
        const expected = suspects(key, hours);
        expect(failureGroupSuspects.map((s) => `${s.attribute}=${s.value}`)).toEqual(expected.map((s) => `${s.attribute}=${s.value}`));
        failureGroupSuspects.forEach((s, i) => expectShares([s], [expected[i]!], `${key} suspect ${i} ${JSON.stringify(r)}`));
        if (hours.from > life.from || hours.to < life.to) partial++;
      }
    }
    // Ranges that cut a group's life short were asked, and answers with values came back.
    expect(partial).toBeGreaterThan(groupKeys.length);
    expect(nonEmpty).toBeGreaterThan(groupKeys.length);
  });

  it('refuses a backwards range', async () => {
    const id = groupIds.get('long-lived');
    const from = new Date(T0 + 2 * HOUR).toISOString();
    expect(errorCode(await t.request(`query($id: ID!, $from: DateTime, $to: DateTime) { failureGroupBreakdown(id: $id, attribute: "version", from: $from, to: $to) { attribute } }`, { id, from, to: from }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.request(`query($id: ID!, $to: DateTime) { failureGroupSuspects(id: $id, to: $to) { value } }`, { id, to: new Date(T0 - DAY).toISOString() }))).toBe('BAD_USER_INPUT');
  });

  it('answers NOT_FOUND for a group that does not exist', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    expect(errorCode(await t.request(`query($id: ID!) { failureGroupBreakdown(id: $id, attribute: "version") { attribute } }`, { id }))).toBe('NOT_FOUND');
    expect(errorCode(await t.request(`query($id: ID!) { failureGroupSuspects(id: $id) { value } }`, { id }))).toBe('NOT_FOUND');
  });
});

function expectShares(actual: readonly ValueShare[], expected: readonly ValueShare[], where: string): void {
  const exact = (v: ValueShare) => `${v.value}:${v.count}`;
  expect({ where, values: actual.map(exact) }).toEqual({ where, values: expected.map(exact) });
  actual.forEach((a, i) => {
    const e = expected[i]!;
    for (const field of ['share', 'baselineShare', 'lift'] as const) {
      expect({ where, field, value: a[field] }).toEqual({ where, field, value: round4(a[field]) });
      // Rounded to 4 decimals on both sides: equal, or one step apart on a rounding tie.
      if (Math.abs(a[field] - e[field]) > 1.0001e-4) expect({ where, value: a.value, field, actual: a[field] }).toEqual({ where, value: a.value, field, actual: e[field] });
    }
  });
}

function percent(fraction: number): string {
  const whole = Math.round(fraction * 100);
  if (whole === 0 && fraction > 0) return '<1%';
  if (whole === 100 && fraction < 1) return '>99%';
  return `${whole}%`;
}
