import type { DataSource } from 'typeorm';
import type { FailureQueryService } from '../failures/failure-query.service';
import type { FailureFilter } from '../failures/failure.types';
import type { FailureGroupEntity } from '../grouping/failure-group.entity';
import { IncidentEntity } from '../incidents/incident.entity';
import type { IncidentFilter } from '../incidents/incident.types';
import { type Dialect, toDbTimestamp } from '../platform/db';
import { BadUserInputError, NotFoundError } from '../platform/errors';
import type { ServiceRegistry } from '../registry';
import { LIFETIME, epochHour } from './attribute-stats';
import { DEFAULT_MIN_NON_ZERO_MINUTES, laggedCorrelation } from './correlation';
import { attributeBreakdown, describeSuspect, findSuspects } from './suspects';
import { StatsDimension, TimeBucket, TopGroupsOrder, type StatsSeries } from './insights.types';
import { histogramPercentile } from './close-time-histogram';
import { STATS_COUNTERS, epochDay, epochMinute } from './minute-stats';
import { GroupCountCache, type MinuteCounts } from './group-count-cache';
import { RollupReader, type RollupFilter, type Row } from './rollup-reader';

const BUCKET_MINUTES: Record<TimeBucket, number> = { MINUTE: 1, HOUR: 60, DAY: 1_440 };
const MAX_POINTS = 10_000; // per series
const MAX_CORRELATION_MINUTES = 7 * 1_440; // a week of minutes
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** The most hours of a group's life a breakdown reads hour by hour (its whole life is one row per value). */
const MAX_BREAKDOWN_HOURS = 7 * 24;

export interface HourRangeInput {
  from?: Date | null;
  to?: Date | null;
}

/** The whole hours [from, to) touches: a partly covered hour counts whole; from defaults to `firstHour`, to to now. */
function hourRange(range: HourRangeInput, firstHour: number): { from: number; to: number } {
  const from = range.from ? epochHour(range.from) : firstHour;
  const to = Math.ceil((range.to ?? new Date()).getTime() / HOUR_MS);
  if (range.from && range.to && !(range.from.getTime() < range.to.getTime())) throw new BadUserInputError('"from" must be before "to"', { field: 'from' });
  if (!(from < to)) throw new BadUserInputError(range.from ? '"from" must be in the past' : `"to" must be after the group's first failure`, { field: range.from ? 'from' : 'to' });
  return { from, to };
}

/**
 * Read-only statistics, answered from the rollups (minutes, hours and days: see RollupReader)
 * and the group and incident tables, never by scanning failures. A failure counts in the minute
 * it occurred; a range [from, to) covers the minutes that intersect it.
 */
export class InsightsService {
  private readonly rollups: RollupReader;

  constructor(
    private readonly dataSource: DataSource,
    dialect: Dialect,
    private readonly registry: ServiceRegistry,
    private readonly queries: FailureQueryService,
    /** Per-group rollup rows kept between queries (GroupCountCache); 0: none. */
    cacheRows = 0,
  ) {
    this.rollups = new RollupReader(dataSource, dialect, cacheRows > 0 ? new GroupCountCache(dataSource, cacheRows) : undefined);
  }

  async failureStats(filter: FailureFilter | null | undefined, from: Date, to: Date, bucket: TimeBucket, groupBy?: StatsDimension | null): Promise<StatsSeries[]> {
    const { fromMinute, toMinute } = minuteRange(from, to);
    const width = BUCKET_MINUTES[bucket];
    const first = Math.floor(fromMinute / width);
    const last = Math.ceil(toMinute / width); // exclusive
    if (last - first > MAX_POINTS) throw new BadUserInputError(`That range has ${last - first} ${bucket} buckets; at most ${MAX_POINTS} are allowed`, { field: 'bucket' });

    const resolved = await this.filter(filter);
    if (!resolved) return groupBy ? [] : [emptySeries('all', first, last, width)];
    const rows = await this.rollups.stats(resolved, fromMinute, toMinute, width, groupBy ?? null);
    const names = groupBy === StatsDimension.SERVICE ? await this.serviceNames(rows.map((r) => String(r.k))) : null;
    const series = new Map<string, StatsSeries>();
    if (!groupBy) series.set('all', emptySeries('all', first, last, width));
    for (const row of rows) {
      const key = names ? (names.get(String(row.k)) ?? String(row.k)) : String(row.k);
      let s = series.get(key);
      if (!s) series.set(key, (s = emptySeries(key, first, last, width)));
      const point = s.points[Number(row.b) - first]!;
      for (const c of STATS_COUNTERS) point[c] += Number(row[c] ?? 0);
    }
    // A key seen only in minutes subtracted from an edge hour adds up to nothing: not a series.
    const kept = [...series.values()].filter((s) => !groupBy || s.points.some((p) => STATS_COUNTERS.some((c) => p[c] !== 0)));
    return kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async topFailureGroups(filter: FailureFilter | null | undefined, from: Date, to: Date, limit: number, orderBy: TopGroupsOrder) {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BadUserInputError('limit must be from 1 to 100', { field: 'limit' });
    const { fromMinute, toMinute } = minuteRange(from, to);
    const resolved = await this.filter(filter);
    if (!resolved) return [];
    // RANK needs every active group's rank score, and counts kept in memory are ranked here too;
    // otherwise the database ranks COUNT and GROWTH and returns only the top groups.
    const candidates =
      orderBy === TopGroupsOrder.RANK || this.rollups.countsInMemory(resolved)
        ? [...(await this.rollups.groupCounts(resolved, [fromMinute - (toMinute - fromMinute), fromMinute, toMinute]))]
            .filter(([, [, count]]) => count! > 0)
            .map(([id, [previousCount, count]]) => ({ id, count: count!, previousCount: previousCount! }))
        : await this.rollups.topGroups(resolved, fromMinute, toMinute, orderBy, limit);
    const ranks = orderBy === TopGroupsOrder.RANK ? await this.rankScores(candidates.map((c) => c.id)) : null;
    // Every group's score once, before sorting: with counts kept in memory, the candidates are every
    // group active in the window (thousands), and the comparator runs some ten times per group.
    // Plain literals, not `{ ...c, growth, score }`: with 1,922 groups, building the spread copies
    // took about 2 ms and sorting them 2 ms more, against 0.03 ms and 0.5 ms for literals.
    const entries = candidates.map(({ id, count, previousCount }) => {
      const growth = (count - previousCount) / Math.max(previousCount, 1);
      const score = orderBy === TopGroupsOrder.COUNT ? count : orderBy === TopGroupsOrder.GROWTH ? growth : ranks!.get(id)!;
      return { id, count, previousCount, growth, score };
    });
    const top = entries.sort((a, b) => b.score - a.score || b.count - a.count || (a.id < b.id ? -1 : 1)).slice(0, limit);
    // Only the groups shown are loaded.
    const groups = await this.queries.groupsByIds(top.map((e) => e.id));
    return top.map((e, i) => {
      const group = groups[i]!;
      return {
        group,
        count: e.count,
        previousCount: e.previousCount,
        growth: e.growth,
        isNew: group.firstSeenAt.getTime() >= from.getTime() && group.firstSeenAt.getTime() < to.getTime(),
        regressed: group.regressed,
      };
    });
  }

  /**
   * Other groups whose per-minute counts over the range rise and fall with this group's. One read
   * of the range's minutes; groups with fewer non-zero minutes than a correlation needs are
   * skipped before any arithmetic.
   */
  async correlatedGroups(groupId: string, from: Date, to: Date): Promise<Array<{ group: FailureGroupEntity; correlation: number; lagMinutes: number }>> {
    const { fromMinute, toMinute } = minuteRange(from, to);
    if (toMinute - fromMinute > MAX_CORRELATION_MINUTES) throw new BadUserInputError('correlatedGroups looks at most 7 days at a time', { field: 'to' });
    const [, minuteSeries] = await Promise.all([this.queries.getGroup(groupId), this.rollups.minuteSeries(fromMinute, toMinute)]);
    // Only the series that can correlate are spread over every minute of the range.
    const dense = ({ minutes, counts }: MinuteCounts) => {
      const values = new Array<number>(toMinute - fromMinute).fill(0);
      for (let i = 0; i < minutes.length; i++) values[minutes[i]!] = counts[i]!;
      return values;
    };
    const mine = minuteSeries.get(groupId);
    if (!mine || mine.minutes.length < DEFAULT_MIN_NON_ZERO_MINUTES) return [];
    const target = dense(mine);
    const found: Array<{ id: string; correlation: number; lagMinutes: number }> = [];
    for (const [id, other] of minuteSeries) {
      if (id === groupId || other.minutes.length < DEFAULT_MIN_NON_ZERO_MINUTES) continue;
      const result = laggedCorrelation(target, dense(other));
      if (result) found.push({ id, correlation: result.correlation, lagMinutes: result.lagMinutes });
    }
    found.sort((a, b) => b.correlation - a.correlation || a.lagMinutes - b.lagMinutes || (a.id < b.id ? -1 : 1));
    const groups = await this.queries.groupsByIds(found.map((f) => f.id));
    return found.map((f, i) => ({ group: groups[i]!, correlation: f.correlation, lagMinutes: f.lagMinutes }));
  }

  /**
   * Incidents triggered in [from, to), filtered by service, status (their current one), severity
   * and group; failure close times per service over the UTC days the range touches (filtered by
   * service only). Throws BAD_USER_INPUT for an empty or backwards range, or for triggeredFrom /
   * triggeredTo (from and to say the time).
   */
  async incidentMetrics(filter: IncidentFilter | null | undefined, from: Date, to: Date) {
    if (!(from.getTime() < to.getTime())) throw new BadUserInputError('"from" must be before "to"', { field: 'from' });
    for (const field of ['triggeredFrom', 'triggeredTo'] as const) {
      if (filter?.[field] !== null && filter?.[field] !== undefined) {
        throw new BadUserInputError(`incidentMetrics takes its time range from "from" and "to" ("${field}" is not supported here)`, { field });
      }
    }
    const qb = this.dataSource
      .getRepository(IncidentEntity)
      .createQueryBuilder('i')
      // Only the times are needed: a month holds thousands of incidents, each with its rank reasons.
      .select(['i.id', 'i.triggeredAt', 'i.acknowledgedAt', 'i.resolvedAt'])
      .where('i.triggered_at >= :from AND i.triggered_at < :to', { from: toDbTimestamp(from), to: toDbTimestamp(to) });
    if (filter?.service) {
      const service = await this.registry.getByName(filter.service).catch(() => null);
      if (!service) return { incidents: 0, acknowledged: 0, resolved: 0, mttaSeconds: null, mttrSeconds: null, p90ResolveSeconds: null, failureCloseTimes: [] };
      qb.andWhere('i.service_id = :serviceId', { serviceId: service.id });
    }
    if (filter?.status?.length) qb.andWhere('i.status IN (:...statuses)', { statuses: filter.status });
    if (filter?.severity?.length) qb.andWhere('i.severity IN (:...severities)', { severities: filter.severity });
    if (filter?.group) qb.andWhere('i.group_id = :groupId', { groupId: filter.group });
    const incidents = await qb.getMany();
    const failureCloseTimes = await this.closeTimes(filter?.service ? (await this.registry.getByName(filter.service)).id : null, from, to);
    const seconds = (a: Date, b: Date) => (b.getTime() - a.getTime()) / 1000;
    const toAck = incidents.filter((i) => i.acknowledgedAt).map((i) => seconds(i.triggeredAt, i.acknowledgedAt!));
    const toResolve = incidents.filter((i) => i.resolvedAt).map((i) => seconds(i.triggeredAt, i.resolvedAt!));
    return {
      incidents: incidents.length,
      acknowledged: toAck.length,
      resolved: toResolve.length,
      mttaSeconds: mean(toAck),
      mttrSeconds: mean(toResolve),
      p90ResolveSeconds: percentile(toResolve, 0.9),
      failureCloseTimes,
    };
  }

  private async closeTimes(serviceId: string | null, from: Date, to: Date) {
    const rows: Row[] = await this.dataSource.query(
      `SELECT service_id AS serviceId, bucket, SUM(count) AS n FROM failure_close_stats WHERE day >= ? AND day <= ?${serviceId ? ' AND service_id = ?' : ''} GROUP BY service_id, bucket`,
      [epochDay(from), epochDay(new Date(to.getTime() - 1)), ...(serviceId ? [serviceId] : [])],
    );
    const byService = new Map<string, Map<number, number>>();
    for (const row of rows) {
      const id = String(row.serviceId);
      if (!byService.has(id)) byService.set(id, new Map());
      byService.get(id)!.set(Number(row.bucket), Number(row.n));
    }
    const ids = [...byService.keys()].sort();
    const services = await this.registry.getByIds(ids);
    return ids.map((id, i) => {
      const histogram = byService.get(id)!;
      return {
        service: services[i]!,
        closed: [...histogram.values()].reduce((a, b) => a + b, 0),
        medianSeconds: histogramPercentile(histogram, 0.5),
        p90Seconds: histogramPercentile(histogram, 0.9),
      };
    });
  }

  async breakdown(groupId: string, attribute: string, range: HourRangeInput = {}) {
    const { groupTotal, totals, counts } = await this.attributeCounts(groupId, attribute, range);
    return { attribute, values: attributeBreakdown(groupTotal, totals, counts) };
  }

  async suspects(groupId: string, range: HourRangeInput = {}) {
    const { groupTotal, totals, counts } = await this.attributeCounts(groupId, null, range);
    return findSuspects(groupTotal, totals, counts).map((s) => ({ ...s, description: describeSuspect(s) }));
  }

  /**
   * A group's attribute value counts (one attribute or all) next to its service's, over a period
   * in whole UTC hours: the group's lifetime by default, else the hours [from, to) touches (from:
   * the group's first hour if omitted; to: now). The service side covers the period (daily and
   * hourly tiers); the group side the part of it the group was alive in (its lifetime rows when
   * that is its whole life, else its hourly rows), read side by side.
   */
  private async attributeCounts(groupId: string, attribute: string | null, range: HourRangeInput) {
    const group = await this.queries.getGroup(groupId);
    const lifetime = { from: epochHour(group.firstSeenAt), to: epochHour(group.lastSeenAt) + 1 };
    const hours = range.from || range.to ? hourRange(range, lifetime.from) : lifetime;
    const alive = { from: Math.max(hours.from, lifetime.from), to: Math.min(hours.to, lifetime.to) };
    const whole = alive.from === lifetime.from && alive.to === lifetime.to;
    if (!whole && alive.to - alive.from > MAX_BREAKDOWN_HOURS) {
      throw new BadUserInputError(`A breakdown over part of a group's life looks at most ${MAX_BREAKDOWN_HOURS / 24} days of it at a time (omit from and to for its whole life)`, { field: 'from' });
    }
    const none = alive.from >= alive.to; // the period misses the group's life
    const [totals, baseline, groupTotal, rows] = await Promise.all([
      this.rollups.serviceTotal(group.serviceId, hours.from, hours.to),
      this.rollups.serviceAttributeCounts(group.serviceId, hours.from, hours.to, attribute),
      whole ? group.count : none ? 0 : this.rollups.groupCounts({ groupId }, [alive.from * 60, alive.to * 60]).then((c) => c.get(groupId)?.[0] ?? 0),
      none ? [] : this.groupValueCounts(groupId, whole ? null : alive, attribute),
    ]);
    const counts = rows.map((r) => ({ attribute: String(r.attribute), value: String(r.value), count: Number(r.n), baselineCount: baseline.get(`${r.attribute}\u0000${r.value}`) ?? 0 }));
    return { groupTotal, totals, counts };
  }

  /** The group's value counts over its whole life (`hours` null: its lifetime rows) or over some of its hours (its hourly rows). */
  private groupValueCounts(groupId: string, hours: { from: number; to: number } | null, attribute: string | null): Promise<Row[]> {
    const only = attribute === null ? '' : ' AND attribute = ?';
    const named = attribute === null ? [] : [attribute];
    return hours
      ? this.dataSource.query(
          `SELECT attribute, value, SUM(count) AS n FROM failure_attribute_tiers WHERE scope = 'GROUP_HOUR' AND subject_id = ? AND bucket >= ? AND bucket < ?${only} GROUP BY attribute, value`,
          [groupId, hours.from, hours.to, ...named],
        )
      : this.dataSource.query(`SELECT attribute, value, count AS n FROM failure_attribute_tiers WHERE scope = 'GROUP' AND subject_id = ? AND bucket = ?${only}`, [groupId, LIFETIME, ...named]);
  }

  /** rank_score of each group, for ordering by RANK without loading every group. */
  private async rankScores(ids: readonly string[]): Promise<Map<string, number>> {
    const scores = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows: Row[] = await this.dataSource.query(`SELECT id, rank_score AS score FROM failure_groups WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const row of rows) scores.set(String(row.id), Number(row.score));
    }
    return scores;
  }

  /** The rollup filter of a FailureFilter; null when it names a service that does not exist. */
  private async filter(filter: FailureFilter | null | undefined): Promise<RollupFilter | null> {
    const f = filter ?? {};
    for (const field of ['status', 'errorMessage', 'occurredFrom', 'occurredTo'] as const) {
      if (f[field] !== null && f[field] !== undefined) {
        throw new BadUserInputError(`Statistics filter by service, pattern, taskType, severity and group; use from/to for time ("${field}" is not supported here)`, { field });
      }
    }
    const resolved: RollupFilter = {};
    if (f.service) {
      const service = await this.registry.getByName(f.service).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
      if (!service) return null;
      resolved.serviceId = service.id;
    }
    if (f.pattern) resolved.pattern = f.pattern;
    if (f.taskType) resolved.taskType = f.taskType;
    if (f.group) resolved.groupId = f.group;
    if (f.severity?.length) resolved.severities = f.severity;
    return resolved;
  }

  private async serviceNames(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const services = await this.registry.getByIds(unique);
    return new Map(unique.map((id, i) => [id, services[i]?.name ?? id]));
  }
}

/** The minutes a range [from, to) touches: a partly covered minute counts whole. */
export function minuteRange(from: Date, to: Date): { fromMinute: number; toMinute: number } {
  if (!(from.getTime() < to.getTime())) throw new BadUserInputError('"from" must be before "to"', { field: 'from' });
  return { fromMinute: epochMinute(from), toMinute: Math.ceil(to.getTime() / MINUTE_MS) };
}

function emptySeries(key: string, first: number, last: number, width: number): StatsSeries {
  return {
    key,
    points: Array.from({ length: last - first }, (_, i) => ({ at: new Date((first + i) * width * MINUTE_MS), reported: 0, retried: 0, succeeded: 0, discarded: 0, resolved: 0 })),
  };
}

function mean(values: number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}
