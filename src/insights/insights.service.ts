import type { DataSource } from 'typeorm';
import type { FailureQueryService } from '../failures/failure-query.service';
import type { FailureFilter } from '../failures/failure.types';
import type { FailureGroupEntity } from '../grouping/failure-group.entity';
import { IncidentEntity } from '../incidents/incident.entity';
import type { IncidentFilter } from '../incidents/incident.types';
import { type Dialect, toDbTimestamp } from '../platform/db';
import { BadUserInputError, NotFoundError } from '../platform/errors';
import type { ServiceRegistry } from '../registry';
import { epochHour } from './attribute-stats';
import { laggedCorrelation } from './correlation';
import { attributeBreakdown, describeSuspect, findSuspects } from './suspects';
import { StatsDimension, TimeBucket, TopGroupsOrder, type StatsSeries } from './insights.types';
import { histogramPercentile } from './close-time-histogram';
import { STATS_COUNTERS, epochDay, epochMinute } from './minute-stats';

const BUCKET_MINUTES: Record<TimeBucket, number> = { MINUTE: 1, HOUR: 60, DAY: 1_440 };
const MAX_POINTS = 10_000; // per series
const MAX_CORRELATION_MINUTES = 7 * 1_440; // a week of minutes
const MINUTE_MS = 60_000;

type Row = Record<string, string | number | null>;

/**
 * Read-only statistics, answered from the per-minute rollup (`failure_minute_stats`) and the
 * group and incident tables, never by scanning failures. A failure counts in the minute it
 * occurred; a range [from, to) covers the minutes that intersect it.
 */
export class InsightsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: Dialect,
    private readonly registry: ServiceRegistry,
    private readonly queries: FailureQueryService,
  ) {}

  async failureStats(filter: FailureFilter | null | undefined, from: Date, to: Date, bucket: TimeBucket, groupBy?: StatsDimension | null): Promise<StatsSeries[]> {
    const { fromMinute, toMinute } = minuteRange(from, to);
    const width = BUCKET_MINUTES[bucket];
    const first = Math.floor(fromMinute / width);
    const last = Math.ceil(toMinute / width); // exclusive
    if (last - first > MAX_POINTS) throw new BadUserInputError(`That range has ${last - first} ${bucket} buckets; at most ${MAX_POINTS} are allowed`, { field: 'bucket' });

    const where = await this.where(filter, fromMinute, toMinute);
    if (!where) return groupBy ? [] : [emptySeries('all', first, last, width)];
    // Whole hours come from the hourly tier (per service, task type, pattern, severity); the
    // partial hours at the edges, MINUTE buckets and group filters from the minute rollup.
    const firstHour = Math.ceil(fromMinute / 60);
    const endHour = Math.floor(toMinute / 60);
    const hourly = bucket !== TimeBucket.MINUTE && !filter?.group && firstHour < endHour;
    const minuteRanges: Array<[number, number]> = hourly ? [[fromMinute, firstHour * 60], [endHour * 60, toMinute]] : [[fromMinute, toMinute]];
    const rows: Row[] = [];
    for (const [lo, hi] of minuteRanges) {
      if (lo >= hi) continue;
      const part = (await this.where(filter, lo, hi))!;
      rows.push(
        ...((await this.dataSource.query(
          `SELECT ${this.dialect.intDiv('s.minute', String(width))} AS b, ${groupBy ? DIMENSION_COLUMN[groupBy] : "'all'"} AS k, ${STATS_COUNTERS.map((c) => `SUM(s.${c}) AS ${c}`).join(', ')}
           FROM failure_minute_stats s ${this.dialect.orderedJoin()} failure_groups g ON g.id = s.group_id
           WHERE ${part.sql}
           GROUP BY b, k`,
          part.params,
        )) as Row[]),
      );
    }
    if (hourly) rows.push(...(await this.hourRows(filter, firstHour, endHour, width / 60, groupBy)));
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
    return [...series.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async topFailureGroups(filter: FailureFilter | null | undefined, from: Date, to: Date, limit: number, orderBy: TopGroupsOrder) {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BadUserInputError('limit must be from 1 to 100', { field: 'limit' });
    const { fromMinute, toMinute } = minuteRange(from, to);
    const previousFrom = fromMinute - (toMinute - fromMinute);
    const where = await this.where(filter, previousFrom, toMinute);
    if (!where) return [];
    const rows: Row[] = await this.dataSource.query(
      `SELECT s.group_id AS groupId,
              SUM(CASE WHEN s.minute >= ? THEN s.reported ELSE 0 END) AS current,
              SUM(CASE WHEN s.minute < ? THEN s.reported ELSE 0 END) AS previous
       FROM failure_minute_stats s ${this.dialect.orderedJoin()} failure_groups g ON g.id = s.group_id
       WHERE ${where.sql}
       GROUP BY s.group_id`,
      [fromMinute, fromMinute, ...where.params],
    );
    const active = rows.filter((r) => Number(r.current) > 0);
    const groups = await this.queries.groupsByIds(active.map((r) => String(r.groupId)));
    const entries = active.map((r, i) => {
      const group = groups[i]!;
      const count = Number(r.current);
      const previousCount = Number(r.previous);
      return {
        group,
        count,
        previousCount,
        growth: (count - previousCount) / Math.max(previousCount, 1),
        isNew: group.firstSeenAt.getTime() >= from.getTime() && group.firstSeenAt.getTime() < to.getTime(),
        regressed: group.regressed,
      };
    });
    const score = (e: (typeof entries)[number]) => (orderBy === TopGroupsOrder.COUNT ? e.count : orderBy === TopGroupsOrder.GROWTH ? e.growth : e.group.rankScore);
    return entries.sort((a, b) => score(b) - score(a) || b.count - a.count || (a.group.id < b.group.id ? -1 : 1)).slice(0, limit);
  }

  async correlatedGroups(groupId: string, from: Date, to: Date): Promise<Array<{ group: FailureGroupEntity; correlation: number; lagMinutes: number }>> {
    await this.queries.getGroup(groupId);
    const { fromMinute, toMinute } = minuteRange(from, to);
    if (toMinute - fromMinute > MAX_CORRELATION_MINUTES) throw new BadUserInputError('correlatedGroups looks at most 7 days at a time', { field: 'to' });
    const rows: Row[] = await this.dataSource.query(
      `SELECT group_id AS groupId, minute, SUM(reported) AS n FROM failure_minute_stats WHERE minute >= ? AND minute < ? GROUP BY group_id, minute`,
      [fromMinute, toMinute],
    );
    const series = new Map<string, number[]>();
    for (const row of rows) {
      let values = series.get(String(row.groupId));
      if (!values) series.set(String(row.groupId), (values = new Array<number>(toMinute - fromMinute).fill(0)));
      values[Number(row.minute) - fromMinute] = Number(row.n);
    }
    const target = series.get(groupId);
    if (!target) return [];
    const found: Array<{ id: string; correlation: number; lagMinutes: number }> = [];
    for (const [id, values] of series) {
      if (id === groupId) continue;
      const result = laggedCorrelation(target, values);
      if (result) found.push({ id, ...result });
    }
    found.sort((a, b) => b.correlation - a.correlation || a.lagMinutes - b.lagMinutes);
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

  async breakdown(groupId: string, attribute: string) {
    const { group, totals, baseline } = await this.attributeContext(groupId, attribute);
    const rows: Row[] = await this.dataSource.query('SELECT value, SUM(count) AS n FROM failure_attribute_stats WHERE group_id = ? AND attribute = ? GROUP BY value', [groupId, attribute]);
    const counts = rows.map((r) => ({ attribute, value: String(r.value), count: Number(r.n), baselineCount: baseline.get(`${attribute}\u0000${r.value}`) ?? 0 }));
    return { attribute, values: attributeBreakdown(group.count, totals, counts) };
  }

  async suspects(groupId: string) {
    const { group, totals, baseline } = await this.attributeContext(groupId, null);
    const rows: Row[] = await this.dataSource.query('SELECT attribute, value, SUM(count) AS n FROM failure_attribute_stats WHERE group_id = ? GROUP BY attribute, value', [groupId]);
    const counts = rows.map((r) => ({ attribute: String(r.attribute), value: String(r.value), count: Number(r.n), baselineCount: baseline.get(`${r.attribute}\u0000${r.value}`) ?? 0 }));
    return findSuspects(group.count, totals, counts).map((s) => ({ ...s, description: describeSuspect(s) }));
  }

  /**
   * The group, and its service's failures over the group's lifetime (whole hours): their total
   * (from the minute rollup) and their attribute value counts (from the attribute rollup).
   */
  private async attributeContext(groupId: string, attribute: string | null) {
    const group = await this.queries.getGroup(groupId);
    const firstHour = epochHour(group.firstSeenAt);
    const lastHour = epochHour(group.lastSeenAt);
    const totalRows: Row[] = await this.dataSource.query(
      'SELECT SUM(s.reported) AS n FROM failure_minute_stats s JOIN failure_groups g ON g.id = s.group_id WHERE g.service_id = ? AND s.minute >= ? AND s.minute < ?',
      [group.serviceId, firstHour * 60, (lastHour + 1) * 60],
    );
    const baselineRows: Row[] = await this.dataSource.query(
      `SELECT attribute, value, SUM(count) AS n FROM failure_attribute_stats WHERE service_id = ? AND hour >= ? AND hour <= ?${attribute === null ? '' : ' AND attribute = ?'} GROUP BY attribute, value`,
      [group.serviceId, firstHour, lastHour, ...(attribute === null ? [] : [attribute])],
    );
    const baseline = new Map(baselineRows.map((r) => [`${r.attribute}\u0000${r.value}`, Number(r.n)]));
    return { group, totals: Number(totalRows[0]?.n ?? 0), baseline };
  }

  /** Rows of the hourly tier for hours [firstHour, endHour), bucketed by `hoursPerBucket`. */
  private async hourRows(filter: FailureFilter | null | undefined, firstHour: number, endHour: number, hoursPerBucket: number, groupBy?: StatsDimension | null): Promise<Row[]> {
    const f = filter ?? {};
    const clauses = ['h.hour >= ?', 'h.hour < ?'];
    const params: unknown[] = [firstHour, endHour];
    if (f.service) clauses.push('h.service_id = ?'), params.push((await this.registry.getByName(f.service)).id);
    if (f.pattern) clauses.push('h.pattern = ?'), params.push(f.pattern);
    if (f.taskType) clauses.push('h.task_type = ?'), params.push(f.taskType);
    if (f.severity?.length) clauses.push(`h.severity IN (${f.severity.map(() => '?').join(', ')})`), params.push(...f.severity);
    const key = groupBy ? HOUR_DIMENSION_COLUMN[groupBy] : "'all'";
    return this.dataSource.query(
      `SELECT ${this.dialect.intDiv('h.hour', String(hoursPerBucket))} AS b, ${key} AS k, ${STATS_COUNTERS.map((c) => `SUM(h.${c}) AS ${c}`).join(', ')}
       FROM failure_hour_stats h WHERE ${clauses.join(' AND ')} GROUP BY b, k`,
      params,
    );
  }

  /** The WHERE clause for a filter; null when the filter names a service that does not exist. */
  private async where(filter: FailureFilter | null | undefined, fromMinute: number, toMinute: number): Promise<{ sql: string; params: unknown[] } | null> {
    const f = filter ?? {};
    for (const field of ['status', 'errorMessage', 'occurredFrom', 'occurredTo'] as const) {
      if (f[field] !== null && f[field] !== undefined) {
        throw new BadUserInputError(`Statistics filter by service, pattern, taskType, severity and group; use from/to for time ("${field}" is not supported here)`, { field });
      }
    }
    const clauses = ['s.minute >= ?', 's.minute < ?'];
    const params: unknown[] = [fromMinute, toMinute];
    if (f.service) {
      const service = await this.registry.getByName(f.service).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
      if (!service) return null;
      clauses.push('g.service_id = ?');
      params.push(service.id);
    }
    if (f.pattern) clauses.push('s.pattern = ?'), params.push(f.pattern);
    if (f.taskType) clauses.push('g.task_type = ?'), params.push(f.taskType);
    if (f.group) clauses.push('s.group_id = ?'), params.push(f.group);
    if (f.severity?.length) {
      clauses.push(`s.severity IN (${f.severity.map(() => '?').join(', ')})`);
      params.push(...f.severity);
    }
    return { sql: clauses.join(' AND '), params };
  }

  private async serviceNames(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const services = await this.registry.getByIds(unique);
    return new Map(unique.map((id, i) => [id, services[i]?.name ?? id]));
  }
}

const DIMENSION_COLUMN: Record<StatsDimension, string> = {
  SERVICE: 'g.service_id',
  PATTERN: 's.pattern',
  TASK_TYPE: 'g.task_type',
  SEVERITY: 's.severity',
};

const HOUR_DIMENSION_COLUMN: Record<StatsDimension, string> = {
  SERVICE: 'h.service_id',
  PATTERN: 'h.pattern',
  TASK_TYPE: 'h.task_type',
  SEVERITY: 'h.severity',
};

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
