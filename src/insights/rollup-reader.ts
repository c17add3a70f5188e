import type { DataSource } from 'typeorm';
import type { Dialect } from '../platform/db';
import type { GroupCountCache, MinuteCounts } from './group-count-cache';
import { StatsDimension } from './insights.types';
import { GROUP_SPANS, STATS_COUNTERS, type StatsScope, TIER_SPANS } from './minute-stats';
import { SPAN_MINUTES, type Span, type SpanRange, coverMinutes, spansWithin } from './time-tiers';

export type Row = Record<string, string | number | null>;

/** What statistics are filtered by, resolved (a service by its id). */
export interface RollupFilter {
  serviceId?: string;
  pattern?: string;
  taskType?: string;
  groupId?: string;
  /** Only these groups (internal: the second step of a COUNT ranking). */
  groupIds?: readonly string[];
  severities?: readonly string[];
}

/** A SELECT over one table and span, as SQL and its parameters in order. */
interface Part {
  sql: string;
  params: unknown[];
}

/** A table read for one span: its alias is always `s`; `time` is its time column in `span` units. */
interface Source {
  from: string;
  time: string;
  span: Span;
  /** The column that holds the group id (on a table read per group). */
  group: string;
  /** The condition selecting this span's rows, when the table holds several. */
  spanClause?: string;
  /** How a dimension reads on this table's rows, without a join when it can. */
  dimension(d: StatsDimension): string;
}

const GROUP_DIMENSION: Record<StatsDimension, string> = { SERVICE: 'g.service_id', TASK_TYPE: 'g.task_type', PATTERN: 's.pattern', SEVERITY: 's.severity' };
const TIER_DIMENSION: Record<StatsDimension, string> = { SERVICE: 's.subject_id', TASK_TYPE: 's.task_type', PATTERN: 's.pattern', SEVERITY: 's.severity' };
const ALL_SPANS: readonly Span[] = ['MINUTE', 'HOUR', 'QUARTER', 'DAY'];

/**
 * Reads the rollups for the insights queries: a range of minutes is covered by whole days, whole
 * hours and single minutes (coverMinutes), each read from the narrowest table that answers it —
 * overall, per service, per task type or per group (`failure_stats_tiers`), per group and minute
 * (`failure_minute_stats`) — in one statement.
 */
export class RollupReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: Dialect,
    /** Answers the per-group counts over every group (no filter) from buckets kept in memory. */
    private readonly cache?: GroupCountCache,
  ) {}

  /**
   * failureStats rows over the minutes [fromMinute, toMinute): `b` the bucket (minutes since the
   * epoch divided by `width`), `k` the groupBy value ('all' without one), and the five counters.
   * Several rows may share a bucket and key (one per table read); the caller adds them up. Rows
   * of minutes subtracted from an edge hour (see edgeHoursByComplement) carry negative counters,
   * so a key may add up to zero everywhere: the caller leaves such a series out.
   */
  async stats(filter: RollupFilter, fromMinute: number, toMinute: number, width: number, groupBy: StatsDimension | null): Promise<Row[]> {
    const spans = spansWithin(width, filter.groupId ? GROUP_SPANS : TIER_SPANS);
    const cover = coverMinutes(fromMinute, toMinute, spans);
    // The service tiers keep each failure's own task type, the minute rows their group's (a custom
    // fingerprint may group several task types): an hour less minutes would mix the two.
    const tierTaskTypes = !filter.groupId && (filter.taskType !== undefined || groupBy === StatsDimension.TASK_TYPE);
    const { add, subtract } = tierTaskTypes ? { add: cover, subtract: [] } : edgeHoursByComplement(cover, spans);
    const scope = scopeFor(filter, groupBy);
    const parts: Part[] = [];
    for (const [ranges, sign] of [[add, ''], [subtract, '-']] as const) {
      const counters = STATS_COUNTERS.map((c) => `${sign}SUM(s.${c}) AS ${c}`).join(', ');
      for (const span of ALL_SPANS) {
        const mine = ranges.filter((r) => r.span === span);
        if (!mine.length) continue;
        const source = span === 'MINUTE' ? minuteSource() : filter.groupId ? groupSource(span) : tierSource(span, scope);
        const where = this.where(source, mine, filter, groupBy);
        const perBucket = width / SPAN_MINUTES[span];
        const bucket = perBucket === 1 ? source.time : this.dialect.intDiv(source.time, String(perBucket));
        const key = groupBy ? source.dimension(groupBy) : "'all'";
        parts.push({ sql: `SELECT ${bucket} AS b, ${key} AS k, ${counters} FROM ${where.from} WHERE ${where.sql} GROUP BY ${bucket}, ${key}`, params: where.params });
      }
    }
    return this.union(parts);
  }

  /**
   * Failures reported per group in each of the consecutive minute ranges [boundaries[i],
   * boundaries[i + 1]): a map from group id to one count per range, for groups with any.
   */
  async groupCounts(filter: RollupFilter, boundaries: readonly number[]): Promise<Map<string, number[]>> {
    if (this.countsInMemory(filter)) return this.cache!.groupCounts(boundaries, { serviceId: filter.serviceId, taskType: filter.taskType });
    const ranges = boundaries.slice(1);
    const counts = new Map<string, number[]>();
    for (const row of await this.union(this.groupCountParts(filter, boundaries))) {
      const id = String(row.groupId);
      let mine = counts.get(id);
      if (!mine) counts.set(id, (mine = ranges.map(() => 0)));
      ranges.forEach((_, i) => (mine![i]! += Number(row[`n${i}`] ?? 0)));
    }
    for (const [id, n] of counts) if (n.every((x) => x === 0)) counts.delete(id);
    return counts;
  }

  /**
   * Whether groupCounts answers this filter from buckets kept in memory: they hold every group's
   * failures over all patterns and severities, so a filter by service or task type (a group's
   * own, see GroupCountCache) can be applied to them, one by pattern or severity cannot.
   */
  countsInMemory(filter: RollupFilter): boolean {
    return this.cache !== undefined && !filter.pattern && !filter.groupId && !filter.groupIds && !filter.severities?.length;
  }

  /** Per table and span, a SELECT of `groupId` and `n0`, `n1`… (failures per range): rows to add up per group. */
  private groupCountParts(filter: RollupFilter, boundaries: readonly number[]): Part[] {
    const ranges = boundaries.slice(1).map((to, i) => coverMinutes(boundaries[i]!, to, GROUP_SPANS));
    const parts: Part[] = [];
    for (const span of ALL_SPANS) {
      const mine = ranges.flat().filter((r) => r.span === span);
      if (!mine.length) continue;
      const source = span === 'MINUTE' ? minuteSource() : groupSource(span);
      const where = this.where(source, mine, filter, null);
      // A row belongs to range i when its bucket starts in [boundaries[i], boundaries[i + 1]).
      const width = SPAN_MINUTES[span];
      const sums = ranges.map((_, i) => `SUM(CASE WHEN ${source.time} >= ${Math.ceil(boundaries[i]! / width)} AND ${source.time} < ${Math.ceil(boundaries[i + 1]! / width)} THEN s.reported ELSE 0 END) AS n${i}`);
      parts.push({ sql: `SELECT ${source.group} AS groupId, ${sums.join(', ')} FROM ${where.from} WHERE ${where.sql} GROUP BY ${source.group}`, params: where.params });
    }
    return parts;
  }

  /**
   * The `limit` groups with failures in [fromMinute, toMinute) that rank highest by their count
   * there (COUNT) or by its growth over the window of the same length just before (GROWTH:
   * (count − previous) ÷ max(previous, 1), in double precision as JavaScript computes it); ties by
   * count, then id. Ranked by the database, so only those groups come back.
   */
  async topGroups(filter: RollupFilter, fromMinute: number, toMinute: number, order: 'COUNT' | 'GROWTH', limit: number): Promise<Array<{ id: string; count: number; previousCount: number }>> {
    const previousFrom = fromMinute - (toMinute - fromMinute);
    if (order === 'COUNT') return this.topGroupsByCount(filter, previousFrom, fromMinute, toMinute, limit);
    const parts = this.groupCountParts(filter, [previousFrom, fromMinute, toMinute]);
    if (!parts.length) return [];
    const d = this.dialect;
    const score = `${d.toDouble('SUM(t.n1) - SUM(t.n0)')} / ${d.greatest('SUM(t.n0)', '1')}`;
    const rows: Row[] = await this.dataSource.query(
      `SELECT t.groupId AS groupId, SUM(t.n0) AS previous, SUM(t.n1) AS count FROM (${parts.map((p) => p.sql).join(' UNION ALL ')}) t
       GROUP BY t.groupId HAVING SUM(t.n1) > 0 ORDER BY ${score} DESC, SUM(t.n1) DESC, t.groupId ASC LIMIT ${Math.floor(limit)}`,
      parts.flatMap((p) => p.params),
    );
    return rows.map((r) => ({ id: String(r.groupId), count: Number(r.count), previousCount: Number(r.previous) }));
  }

  /**
   * COUNT in two steps: the ranking reads only the current window; the previous window is read
   * for the `limit` groups shown, through the per-group indexes (half the rows of reading both
   * windows for every group).
   */
  private async topGroupsByCount(filter: RollupFilter, previousFrom: number, fromMinute: number, toMinute: number, limit: number) {
    const parts = this.groupCountParts(filter, [fromMinute, toMinute]);
    if (!parts.length) return [];
    const rows: Row[] = await this.dataSource.query(
      `SELECT t.groupId AS groupId, SUM(t.n0) AS count FROM (${parts.map((p) => p.sql).join(' UNION ALL ')}) t
       GROUP BY t.groupId HAVING SUM(t.n0) > 0 ORDER BY SUM(t.n0) DESC, t.groupId ASC LIMIT ${Math.floor(limit)}`,
      parts.flatMap((p) => p.params),
    );
    const ids = rows.map((r) => String(r.groupId));
    const previous = ids.length ? await this.groupCounts({ ...filter, groupIds: ids }, [previousFrom, fromMinute]) : new Map<string, number[]>();
    return rows.map((r, i) => ({ id: ids[i]!, count: Number(r.count), previousCount: previous.get(ids[i]!)?.[0] ?? 0 }));
  }

  /** Failures reported per minute by each group over [fromMinute, toMinute), for the minutes with any (see MinuteCounts). */
  async minuteSeries(fromMinute: number, toMinute: number): Promise<Map<string, MinuteCounts>> {
    if (this.cache) return this.cache.minuteSeries(fromMinute, toMinute);
    const rows: Row[] = await this.dataSource.query(
      'SELECT group_id AS groupId, minute, SUM(reported) AS n FROM failure_minute_stats WHERE minute >= ? AND minute < ? GROUP BY group_id, minute',
      [fromMinute, toMinute],
    );
    const series = new Map<string, MinuteCounts>();
    for (const row of rows) {
      const n = Number(row.n ?? 0);
      if (n === 0) continue;
      const id = String(row.groupId);
      let mine = series.get(id);
      if (!mine) series.set(id, (mine = { minutes: [], counts: [] }));
      mine.minutes.push(Number(row.minute) - fromMinute);
      mine.counts.push(n);
    }
    return series;
  }

  /** Failures of a service that occurred in the whole hours [fromHour, toHour). */
  async serviceTotal(serviceId: string, fromHour: number, toHour: number): Promise<number> {
    const parts = coverMinutes(fromHour * 60, toHour * 60, TIER_SPANS).map((r) => ({
      sql: "SELECT SUM(reported) AS n FROM failure_stats_tiers WHERE scope = 'TOTAL' AND span = ? AND subject_id = ? AND bucket >= ? AND bucket < ?",
      params: [r.span, serviceId, r.from, r.to],
    }));
    return (await this.union(parts)).reduce((n, r) => n + Number(r.n ?? 0), 0);
  }

  /**
   * Attribute value counts of a service's failures that occurred in the whole hours [fromHour,
   * toHour), each failure counted with the value its group keeps; one attribute or all.
   * Whole days (SERVICE_DAY) and the hours beside them (SERVICE_HOUR) from `failure_attribute_tiers`.
   */
  async serviceAttributeCounts(serviceId: string, fromHour: number, toHour: number, attribute: string | null): Promise<Map<string, number>> {
    const parts: Part[] = [];
    const only = attribute === null ? '' : ' AND attribute = ?';
    for (const r of coverMinutes(fromHour * 60, toHour * 60, ['DAY', 'HOUR'])) {
      parts.push({
        sql: `SELECT attribute, value, SUM(count) AS n FROM failure_attribute_tiers WHERE scope = ? AND subject_id = ? AND bucket >= ? AND bucket < ?${only} GROUP BY attribute, value`,
        params: [r.span === 'DAY' ? 'SERVICE_DAY' : 'SERVICE_HOUR', serviceId, r.from, r.to, ...(attribute === null ? [] : [attribute])],
      });
    }
    const counts = new Map<string, number>();
    for (const row of await this.union(parts)) {
      const key = `${row.attribute}\u0000${row.value}`;
      counts.set(key, (counts.get(key) ?? 0) + Number(row.n));
    }
    return counts;
  }

  /** The FROM and WHERE of one source over its ranges, with the filter (a join to the groups only when needed). */
  private where(source: Source, ranges: readonly SpanRange[], filter: RollupFilter, groupBy: StatsDimension | null): { from: string; sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const clauses: string[] = [];
    if (source.spanClause) clauses.push(source.spanClause);
    clauses.push(`(${ranges.map(() => `(${source.time} >= ? AND ${source.time} < ?)`).join(' OR ')})`);
    params.push(...ranges.flatMap((r) => [r.from, r.to]));
    const onGroups = (d: StatsDimension) => source.dimension(d).startsWith('g.');
    let join = false;
    const add = (clause: string, ...values: unknown[]) => {
      clauses.push(clause);
      params.push(...values);
    };
    if (filter.groupId) add(`${source.group} = ?`, filter.groupId);
    if (filter.groupIds) add(`${source.group} IN (${filter.groupIds.map(() => '?').join(', ')})`, ...filter.groupIds);
    if (filter.serviceId) add(`${source.dimension(StatsDimension.SERVICE)} = ?`, filter.serviceId), (join ||= onGroups(StatsDimension.SERVICE));
    if (filter.taskType) add(`${source.dimension(StatsDimension.TASK_TYPE)} = ?`, filter.taskType), (join ||= onGroups(StatsDimension.TASK_TYPE));
    if (filter.pattern) add('s.pattern = ?', filter.pattern);
    if (filter.severities?.length) add(`s.severity IN (${filter.severities.map(() => '?').join(', ')})`, ...filter.severities);
    if (groupBy && onGroups(groupBy)) join = true;
    // The rollup drives the join: its time range is the selective condition.
    const from = join ? `${source.from} ${this.dialect.orderedJoin()} failure_groups g ON g.id = ${source.group}` : source.from;
    return { from, sql: clauses.join(' AND '), params };
  }

  /** One statement for all parts (one round trip); rows of every part, unmerged. */
  private async union(parts: readonly Part[]): Promise<Row[]> {
    if (!parts.length) return [];
    return this.dataSource.query(parts.map((p) => p.sql).join(' UNION ALL '), parts.flatMap((p) => p.params));
  }
}

/**
 * The least detailed tier that still has every dimension the filter and groupBy need. (A service
 * with a pattern or severity reads TASK: with a service filter through its index, a few rows per
 * bucket; a tier per service, pattern and severity cost more to write than it saved.)
 */
function scopeFor(filter: RollupFilter, groupBy: StatsDimension | null): StatsScope {
  const bySeverityOrPattern = Boolean(filter.pattern || filter.severities?.length || groupBy === StatsDimension.PATTERN || groupBy === StatsDimension.SEVERITY);
  const byService = Boolean(filter.serviceId || groupBy === StatsDimension.SERVICE);
  if (filter.taskType || groupBy === StatsDimension.TASK_TYPE || (byService && bySeverityOrPattern)) return 'TASK';
  return byService ? 'TOTAL' : 'ALL';
}

/**
 * A cover's single minutes at an edge lie inside one hour. When more than half of that hour is
 * in the range, and hours are a span here (so a bucket holds whole hours), the hour's own row
 * less the minutes outside the range reads fewer per-group minute rows than the minutes inside:
 * an hour row is the sum of its minutes' rows, written in the same statement, and the whole
 * answer is read in one statement, so the difference is exact. On average it halves the minute
 * rows an HOUR or DAY answer reads (the minute table holds a row per group, pattern and severity).
 */
export function edgeHoursByComplement(cover: readonly SpanRange[], spans: readonly Span[]): { add: SpanRange[]; subtract: SpanRange[] } {
  if (!spans.includes('HOUR')) return { add: [...cover], subtract: [] };
  const hour = SPAN_MINUTES.HOUR;
  const add: SpanRange[] = [];
  const subtract: SpanRange[] = [];
  for (const r of cover) {
    const h = Math.floor(r.from / hour);
    if (r.span !== 'MINUTE' || r.to > (h + 1) * hour || 2 * (r.to - r.from) <= hour) {
      add.push(r);
      continue;
    }
    add.push({ span: 'HOUR', from: h, to: h + 1 });
    if (r.from > h * hour) subtract.push({ span: 'MINUTE', from: h * hour, to: r.from });
    if (r.to < (h + 1) * hour) subtract.push({ span: 'MINUTE', from: r.to, to: (h + 1) * hour });
  }
  return { add, subtract };
}

function minuteSource(): Source {
  return { from: 'failure_minute_stats s', time: 's.minute', span: 'MINUTE', group: 's.group_id', dimension: (d) => GROUP_DIMENSION[d] };
}

function groupSource(span: Span): Source {
  return { from: 'failure_stats_tiers s', time: 's.bucket', span, group: 's.subject_id', spanClause: `s.scope = 'GROUP' AND s.span = '${span}'`, dimension: (d) => GROUP_DIMENSION[d] };
}

function tierSource(span: Span, scope: StatsScope): Source {
  return { from: 'failure_stats_tiers s', time: 's.bucket', span, group: "''", spanClause: `s.scope = '${scope}' AND s.span = '${span}'`, dimension: (d) => TIER_DIMENSION[d] };
}
