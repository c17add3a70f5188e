/**
 * The insights benchmark's queries: each GraphQL query (answered by the app from the rollups)
 * next to a naive brute force over the raw `failures` table that must give the same numbers.
 */
import { laggedCorrelation } from '../../src/insights/correlation';
import { OTHER_VALUE, attributeBreakdown, describeSuspect, findSuspects } from '../../src/insights/suspects';
import { MAX_VALUES_PER_ATTRIBUTE } from '../../src/insights/attribute-stats';
import { GROUP_SPANS } from '../../src/insights/minute-stats';
import { type Span, coverMinutes } from '../../src/insights/time-tiers';
import { HOUR_MS, MINUTE_MS, type Query, type SeedData, dbTime } from './insights-seed';

export interface BenchQuery {
  name: string;
  /** GraphQL query and variables; `pick` extracts the comparable answer. */
  gql: string;
  variables: Record<string, unknown>;
  pick(data: Record<string, unknown>): unknown;
  /** The same answer from the raw failures; undefined when there is no raw equivalent. */
  naive(query: Query): Promise<unknown>;
  /** The SQL the app runs for it, for EXPLAIN when the target is missed. */
  explain?: Array<{ sql: string; params: unknown[] }>;
  /** No rollup involved (the naive side is the same kind of query): the speed-up target does not apply. */
  noSpeedupTarget?: boolean;
}

const WIDTH = { MINUTE: 1, HOUR: 60, DAY: 1440 } as const;
const EPOCH_MINUTE = "TIMESTAMPDIFF(MINUTE, '1970-01-01 00:00:00', occurred_at)";
type Row = Record<string, unknown>;

/** Rounds floats so that both sides compare on the same printed digits. */
function normalize(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Row).map(([k, v]) => [k, normalize(v)]));
  return value;
}

export function sameAnswer(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

const STATS = `query($f: FailureFilter, $from: DateTime!, $to: DateTime!, $bucket: TimeBucket!, $groupBy: StatsDimension) {
  failureStats(filter: $f, from: $from, to: $to, bucket: $bucket, groupBy: $groupBy) { key points { at reported retried succeeded discarded resolved } }
}`;

function statsQuery(name: string, data: SeedData, from: number, to: number, bucket: keyof typeof WIDTH, groupBy: 'SERVICE' | 'SEVERITY' | null): BenchQuery {
  const width = WIDTH[bucket];
  const fromMinute = Math.floor(from / MINUTE_MS);
  const toMinute = Math.ceil(to / MINUTE_MS);
  const first = Math.floor(fromMinute / width);
  const last = Math.ceil(toMinute / width);
  const names = new Map(data.plan.services.map((s) => [s.id, s.name]));
  const keyExpr = groupBy === 'SERVICE' ? 'service_id' : groupBy === 'SEVERITY' ? 'severity' : "'all'";
  return {
    name,
    gql: STATS,
    variables: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket, groupBy },
    pick: (d) =>
      (d.failureStats as Array<{ key: string; points: Array<Row & { at: string }> }>).map((s) => ({ key: s.key, points: s.points.map((p) => ({ ...p, at: Date.parse(p.at) })) })),
    async naive(query) {
      const rows = await query<Row[]>(
        `SELECT ${EPOCH_MINUTE} DIV ${width} AS b, ${keyExpr} AS k, COUNT(*) AS reported, SUM(status IN ('RETRYING', 'SUCCEEDED')) AS retried,
                SUM(status = 'SUCCEEDED') AS succeeded, SUM(status = 'DISCARDED') AS discarded, SUM(status = 'RESOLVED') AS resolved
         FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY b, k`,
        [dbTime(fromMinute * MINUTE_MS), dbTime(toMinute * MINUTE_MS)],
      );
      const empty = () =>
        Array.from({ length: last - first }, (_, i) => ({ at: (first + i) * width * MINUTE_MS, reported: 0, retried: 0, succeeded: 0, discarded: 0, resolved: 0 }));
      const series = new Map<string, ReturnType<typeof empty>>();
      if (!groupBy) series.set('all', empty());
      for (const r of rows) {
        const key = groupBy === 'SERVICE' ? (names.get(String(r.k)) ?? String(r.k)) : String(r.k);
        if (!series.has(key)) series.set(key, empty());
        const p = series.get(key)![Number(r.b) - first]!;
        for (const c of ['reported', 'retried', 'succeeded', 'discarded', 'resolved'] as const) p[c] += Number(r[c]);
      }
      return [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, points]) => ({ key, points }));
    },
    explain: coverMinutes(fromMinute, toMinute, bucket === 'MINUTE' ? [] : bucket === 'HOUR' ? ['HOUR'] : ['DAY', 'HOUR']).filter((r) => r.span !== 'MINUTE').map((r) => ({
      sql: `SELECT s.bucket, ${groupBy === 'SERVICE' ? 's.subject_id' : groupBy === 'SEVERITY' ? 's.severity' : "'all'"} AS k, SUM(s.reported), SUM(s.retried), SUM(s.succeeded), SUM(s.discarded), SUM(s.resolved)
            FROM failure_stats_tiers s WHERE s.scope = '${groupBy === 'SERVICE' ? 'TOTAL' : 'ALL'}' AND s.span = '${r.span}' AND s.bucket >= ? AND s.bucket < ? GROUP BY s.bucket, k`,
      params: [r.from, r.to],
    })),
  };
}

function topQuery(name: string, from: number, to: number, orderBy: 'COUNT' | 'GROWTH'): BenchQuery {
  const fromMinute = Math.floor(from / MINUTE_MS);
  const toMinute = Math.ceil(to / MINUTE_MS);
  const previousFrom = fromMinute - (toMinute - fromMinute);
  return {
    name,
    gql: `query($from: DateTime!, $to: DateTime!, $orderBy: TopGroupsOrder) { topFailureGroups(from: $from, to: $to, limit: 10, orderBy: $orderBy) { group { id } count previousCount growth isNew } }`,
    variables: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), orderBy },
    pick: (d) =>
      (d.topFailureGroups as Array<{ group: { id: string }; count: number; previousCount: number; growth: number; isNew: boolean }>).map((g) => ({
        id: g.group.id,
        count: g.count,
        previousCount: g.previousCount,
        growth: g.growth,
        isNew: g.isNew,
      })),
    async naive(query) {
      const rows = await query<Row[]>(
        `SELECT group_id AS id, SUM(occurred_at >= ?) AS current, SUM(occurred_at < ?) AS previous
         FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY group_id HAVING current > 0`,
        [dbTime(fromMinute * MINUTE_MS), dbTime(fromMinute * MINUTE_MS), dbTime(previousFrom * MINUTE_MS), dbTime(toMinute * MINUTE_MS)],
      );
      const entries = rows.map((r) => {
        const count = Number(r.current);
        const previousCount = Number(r.previous);
        return { id: String(r.id), count, previousCount, growth: (count - previousCount) / Math.max(previousCount, 1) };
      });
      const score = (e: (typeof entries)[number]) => (orderBy === 'COUNT' ? e.count : e.growth);
      const top = entries.sort((a, b) => score(b) - score(a) || b.count - a.count || (a.id < b.id ? -1 : 1)).slice(0, 10);
      // isNew: the group's first failure is inside the window; first_seen_at is a group attribute, not a
      // statistic, so the naive side reads it from failure_groups too (a MIN over the failures of the
      // biggest groups would cost seconds and is checked once by the seed verification).
      const firsts = top.length
        ? await query<Row[]>(`SELECT id, first_seen_at AS first FROM failure_groups WHERE id IN (${top.map(() => '?').join(', ')})`, top.map((e) => e.id))
        : [];
      const firstById = new Map(firsts.map((r) => [String(r.id), (r.first as Date).getTime()]));
      return top.map((e) => ({ ...e, isNew: firstById.get(e.id)! >= from && firstById.get(e.id)! < to }));
    },
    explain: groupTierExplain([...coverMinutes(previousFrom, fromMinute, GROUP_SPANS), ...coverMinutes(fromMinute, toMinute, GROUP_SPANS)]),
  };
}

/** The statements that read per-group counts from the hourly and daily group tier over these ranges. */
function groupTierExplain(ranges: ReadonlyArray<{ span: Span; from: number; to: number }>): Array<{ sql: string; params: unknown[] }> {
  return GROUP_SPANS.flatMap((span) => {
    const mine = ranges.filter((r) => r.span === span);
    if (!mine.length) return [];
    return [{
      sql: `SELECT s.subject_id, SUM(s.reported) FROM failure_stats_tiers s WHERE s.scope = 'GROUP' AND s.span = '${span}' AND (${mine.map(() => '(s.bucket >= ? AND s.bucket < ?)').join(' OR ')}) GROUP BY s.subject_id`,
      params: mine.flatMap((r) => [r.from, r.to]),
    }];
  });
}

/**
 * The brute-force attribute context of a group: its failures and its service's failures over
 * the group's lifetime (whole hours), each failure's value counted as the attribute rollup
 * would (the first 20 distinct values of a group and attribute by first occurrence, then "(other)").
 */
/**
 * A group's attribute counts and its service's baseline, from the raw failures: over the group's
 * lifetime (whole hours), or over the whole hours `range` touches. The values a group keeps
 * depend on the order values first occurred in, so every failure of the service is read.
 */
async function naiveAttributes(query: Query, groupId: string, attributes: readonly string[], range?: { from: number; to: number }) {
  const [g] = await query<Row[]>('SELECT service_id AS s, COUNT(*) AS n, MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM failures WHERE group_id = ? GROUP BY service_id', [groupId]);
  const serviceId = String(g!.s);
  const firstHour = range ? Math.floor(range.from / HOUR_MS) : Math.floor((g!.first as Date).getTime() / HOUR_MS);
  const endHour = range ? Math.ceil(range.to / HOUR_MS) : Math.floor((g!.last as Date).getTime() / HOUR_MS) + 1;
  const lo = dbTime(firstHour * HOUR_MS);
  const hi = dbTime(endHour * HOUR_MS);
  const expr = (a: string) => (a === 'source' ? 'source' : `JSON_VALUE(attributes, '$.${a}')`);
  const rows = await query<Row[]>(
    `SELECT group_id AS g, ${attributes.map((a, i) => `${expr(a)} AS a${i}`).join(', ')}, MIN(occurred_at) AS first, COUNT(*) AS n, SUM(occurred_at >= ? AND occurred_at < ?) AS inRange
     FROM failures WHERE service_id = ? GROUP BY g, ${attributes.map((_, i) => `a${i}`).join(', ')}`,
    [lo, hi, serviceId],
  );
  let totals = 0;
  for (const r of rows) totals += Number(r.inRange);
  const counts = new Map<string, number>(); // attribute \0 value → the group's count
  const baseline = new Map<string, number>(); // attribute \0 value → the service's count in range
  attributes.forEach((attribute, i) => {
    // Per group: value → first occurrence, all-time count, in-range count.
    const perGroup = new Map<string, Map<string, { first: number; n: number; inRange: number }>>();
    for (const r of rows) {
      if (r[`a${i}`] === null) continue;
      const value = String(r[`a${i}`]).slice(0, 255);
      let values = perGroup.get(String(r.g));
      if (!values) perGroup.set(String(r.g), (values = new Map()));
      const v = values.get(value) ?? { first: Infinity, n: 0, inRange: 0 };
      v.first = Math.min(v.first, (r.first as Date).getTime());
      v.n += Number(r.n);
      v.inRange += Number(r.inRange);
      values.set(value, v);
    }
    for (const [gid, values] of perGroup) {
      const kept = new Set([...values.entries()].sort(([, a], [, b]) => a.first - b.first).slice(0, MAX_VALUES_PER_ATTRIBUTE).map(([value]) => value));
      for (const [value, v] of values) {
        const key = `${attribute}\u0000${kept.has(value) ? value : OTHER_VALUE}`;
        baseline.set(key, (baseline.get(key) ?? 0) + v.inRange);
        if (gid === groupId) counts.set(key, (counts.get(key) ?? 0) + (range ? v.inRange : v.n));
      }
    }
  });
  const list = [...counts.entries()].map(([key, count]) => {
    const [attribute, value] = key.split('\u0000') as [string, string];
    return { attribute, value, count, baselineCount: baseline.get(key) ?? 0 };
  });
  const [inRange] = range ? await query<Row[]>('SELECT COUNT(*) AS n FROM failures WHERE group_id = ? AND occurred_at >= ? AND occurred_at < ?', [groupId, lo, hi]) : [g];
  return { groupTotal: Number(inRange!.n), totals, list: list.filter((v) => v.count > 0) };
}

function breakdownQuery(name: string, groupId: string, attribute: string, range?: { from: number; to: number }): BenchQuery {
  return {
    name,
    gql: `query($id: ID!, $attribute: String!, $from: DateTime, $to: DateTime) { failureGroupBreakdown(id: $id, attribute: $attribute, from: $from, to: $to) { attribute values { value count share baselineShare lift } } }`,
    variables: { id: groupId, attribute, from: range ? new Date(range.from).toISOString() : null, to: range ? new Date(range.to).toISOString() : null },
    pick: (d) => d.failureGroupBreakdown,
    async naive(query) {
      const { groupTotal, totals, list } = await naiveAttributes(query, groupId, [attribute], range);
      return { attribute, values: attributeBreakdown(groupTotal, totals, list) };
    },
    explain: [{ sql: "SELECT value, count FROM failure_attribute_tiers WHERE scope = 'GROUP' AND subject_id = ? AND bucket = 0 AND attribute = ?", params: [groupId, attribute] }],
  };
}

function suspectsQuery(name: string, groupId: string): BenchQuery {
  return {
    name,
    gql: `query($id: ID!) { failureGroupSuspects(id: $id) { attribute value count share baselineShare lift description } }`,
    variables: { id: groupId },
    pick: (d) => d.failureGroupSuspects,
    async naive(query) {
      const { groupTotal, totals, list } = await naiveAttributes(query, groupId, ['host', 'region', 'version', 'source']);
      return findSuspects(groupTotal, totals, list).map((s) => ({ ...s, description: describeSuspect(s) }));
    },
  };
}

function correlatedQuery(name: string, groupId: string, from: number, to: number): BenchQuery {
  const fromMinute = Math.floor(from / MINUTE_MS);
  const toMinute = Math.ceil(to / MINUTE_MS);
  return {
    name,
    gql: `query($id: ID!, $from: DateTime!, $to: DateTime!) { correlatedGroups(id: $id, from: $from, to: $to) { group { id } correlation lagMinutes } }`,
    variables: { id: groupId, from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    pick: (d) => (d.correlatedGroups as Array<{ group: { id: string }; correlation: number; lagMinutes: number }>).map((c) => ({ id: c.group.id, correlation: c.correlation, lagMinutes: c.lagMinutes })),
    async naive(query) {
      const rows = await query<Row[]>(
        `SELECT group_id AS g, ${EPOCH_MINUTE} AS m, COUNT(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY g, m`,
        [dbTime(fromMinute * MINUTE_MS), dbTime(toMinute * MINUTE_MS)],
      );
      const series = new Map<string, number[]>();
      for (const r of rows) {
        let values = series.get(String(r.g));
        if (!values) series.set(String(r.g), (values = new Array<number>(toMinute - fromMinute).fill(0)));
        values[Number(r.m) - fromMinute] = Number(r.n);
      }
      const target = series.get(groupId);
      if (!target) return [];
      const found: Array<{ id: string; correlation: number; lagMinutes: number }> = [];
      for (const [id, values] of series) {
        if (id === groupId) continue;
        const result = laggedCorrelation(target, values);
        if (result) found.push({ id, ...result });
      }
      return found.sort((a, b) => b.correlation - a.correlation || a.lagMinutes - b.lagMinutes || (a.id < b.id ? -1 : 1));
    },
    explain: groupTierExplain(coverMinutes(fromMinute, toMinute, GROUP_SPANS)),
  };
}

function incidentQuery(name: string, from: number, to: number): BenchQuery {
  return {
    name,
    gql: `query($from: DateTime!, $to: DateTime!) { incidentMetrics(from: $from, to: $to) { incidents acknowledged resolved mttaSeconds mttrSeconds p90ResolveSeconds } }`,
    variables: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    pick: (d) => d.incidentMetrics,
    noSpeedupTarget: true,
    async naive(query) {
      const [agg] = await query<Row[]>(
        `SELECT COUNT(*) AS incidents, COUNT(acknowledged_at) AS acknowledged, COUNT(resolved_at) AS resolved,
                AVG(TIMESTAMPDIFF(MICROSECOND, triggered_at, acknowledged_at)) / 1e6 AS mtta, AVG(TIMESTAMPDIFF(MICROSECOND, triggered_at, resolved_at)) / 1e6 AS mttr
         FROM incidents WHERE triggered_at >= ? AND triggered_at < ?`,
        [dbTime(from), dbTime(to)],
      );
      const resolved = await query<Row[]>(
        'SELECT TIMESTAMPDIFF(MICROSECOND, triggered_at, resolved_at) / 1e6 AS s FROM incidents WHERE triggered_at >= ? AND triggered_at < ? AND resolved_at IS NOT NULL ORDER BY s',
        [dbTime(from), dbTime(to)],
      );
      const p90 = resolved.length ? Number(resolved[Math.max(0, Math.ceil(0.9 * resolved.length) - 1)]!.s) : null;
      return {
        incidents: Number(agg!.incidents),
        acknowledged: Number(agg!.acknowledged),
        resolved: Number(agg!.resolved),
        mttaSeconds: agg!.mtta === null ? null : Number(agg!.mtta),
        mttrSeconds: agg!.mttr === null ? null : Number(agg!.mttr),
        p90ResolveSeconds: p90,
      };
    },
  };
}

/** The benchmark's query set over the seeded month ending at `data.plan.end`. */
export function benchQueries(data: SeedData): BenchQuery[] {
  const { end, start } = data.plan;
  const largest = data.plan.groups[data.plan.largestGroup]!.id;
  const correlated = data.plan.groups[data.plan.correlatedTarget]!.id;
  return [
    statsQuery('failureStats 30d DAY by SERVICE', data, start, end, 'DAY', 'SERVICE'),
    statsQuery('failureStats 24h HOUR by SEVERITY', data, end - 24 * HOUR_MS, end, 'HOUR', 'SEVERITY'),
    statsQuery('failureStats 1h MINUTE', data, end - HOUR_MS, end, 'MINUTE', null),
    topQuery('topFailureGroups 24h COUNT', end - 24 * HOUR_MS, end, 'COUNT'),
    topQuery('topFailureGroups 24h GROWTH', end - 24 * HOUR_MS, end, 'GROWTH'),
    breakdownQuery('failureGroupBreakdown largest, version', largest, 'version'),
    breakdownQuery('failureGroupBreakdown largest, version, last 24h', largest, 'version', { from: end - 24 * HOUR_MS, to: end }),
    suspectsQuery('failureGroupSuspects largest', largest),
    correlatedQuery('correlatedGroups cluster group, 3h', correlated, end - 3 * HOUR_MS, end),
    incidentQuery('incidentMetrics 30d', start, end),
  ];
}
