import type { DataSource } from 'typeorm';
import { GROUP_SPANS } from './minute-stats';
import { SPAN_MINUTES, type SpanRange, coverMinutes } from './time-tiers';

const HOUR = SPAN_MINUTES.HOUR;
const SUBJECT_CHUNK = 500; // group ids per read of their service and task type

type Row = Record<string, string | number | null>;

/**
 * One bucket of the per-group rollup in memory, as of the bucket total it was read at: row by
 * row, the group (an index into the cache's ids), the minute (for an hour's minutes; -1 for a
 * whole hour, quarter day or day) and the failures.
 */
interface Bucket {
  /** The overall failures of the bucket (scope ALL) read before its rows: what checks it is current. */
  total: number;
  group: Int32Array;
  minute: Int32Array;
  n: Int32Array;
}

/** A group's failures per minute: `counts[i]` in minute `minutes[i]` (from the range's first minute), for minutes with any. */
export interface MinuteCounts {
  minutes: number[];
  counts: number[];
}

/** What a filter may ask of a group. */
interface Subject {
  serviceId: string;
  taskType: string;
}

/** A bucket a range needs: a whole one, or the minutes [from, to) of one hour. */
interface Piece {
  key: string;
  range: number;
  from: number;
  to: number;
}

/**
 * Failures reported per group over consecutive ranges of minutes (what topFailureGroups ranks
 * over every group, or over one service's or task type's groups) and per group and minute (what
 * correlatedGroups compares), from the
 * per-group rollup buckets kept in memory between queries. An ops screen asks the same windows
 * again and again, and every bucket but the newest is done changing; reading them once instead
 * of at every refresh is most of the work saved.
 *
 * A bucket is used only while it is current, checked at every query with one small read of the
 * overall totals (scope ALL: a few rows per hour or day, written in the same statement as the
 * per-group rows). That check is exact: every counter of the rollup only ever grows (failures
 * are counted once, where they occurred, and no rollup row is ever deleted), and a bucket's
 * per-group rows add up to its overall total, so an unchanged total means no per-group row of it
 * changed. A bucket's total is read before its rows, so rows that include a later commit are kept
 * under an older total and read again at the next query, never the reverse. Whichever instance
 * committed a change, every instance sees the total move. Anything that ever decrements or
 * deletes rollup rows (a re-grouping tool, a rollup purge) breaks that: it must make every
 * instance drop what it keeps (INSIGHTS_CACHE_ROWS=0 until then is the blunt way).
 *
 * Buckets that are not current, and the minutes at the edges of a range (kept per hour, checked
 * by that hour's total), are read in one more statement. Bounded by rows held, least recently
 * used first out.
 */
export class GroupCountCache {
  private readonly buckets = new Map<string, Bucket>();
  private held = 0;
  /** Group ids and their indexes in the buckets. */
  private ids: string[] = [];
  private indexes = new Map<string, number>();
  /** Queries between their first read and their sums: the ids they hold indexes of must stay. */
  private inFlight = 0;
  /** Each group's service and task type, for filters; dropped with the ids. */
  private subjects = new Map<string, Subject>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly maxRows: number,
  ) {}

  /**
   * Failures reported per group in each of the consecutive minute ranges [boundaries[i],
   * boundaries[i + 1]): a map from group id to one count per range, for groups with any; only the
   * groups of a service, or of a task type, when `of` says so.
   */
  async groupCounts(boundaries: readonly number[], of: { serviceId?: string; taskType?: string } = {}): Promise<Map<string, number[]>> {
    const counts = await this.reading(() => this.count(boundaries));
    if (of.serviceId === undefined && of.taskType === undefined) return counts;
    const subjects = await this.subjectsOf([...counts.keys()]);
    for (const id of counts.keys()) {
      const subject = subjects.get(id);
      // A group gone from failure_groups is in no service; the rollup's join would not find it either.
      if (!subject || (of.serviceId !== undefined && subject.serviceId !== of.serviceId) || (of.taskType !== undefined && subject.taskType !== of.taskType)) counts.delete(id);
    }
    return counts;
  }

  /**
   * The service and task type of each group, read once per group: a group's are those of its
   * first failure and never change (the rollup's filters join failure_groups for the same columns).
   */
  private async subjectsOf(ids: readonly string[]): Promise<Map<string, Subject>> {
    const unknown = ids.filter((id) => !this.subjects.has(id));
    for (let i = 0; i < unknown.length; i += SUBJECT_CHUNK) {
      const chunk = unknown.slice(i, i + SUBJECT_CHUNK);
      const rows: Row[] = await this.dataSource.query(`SELECT id, service_id AS serviceId, task_type AS taskType FROM failure_groups WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const row of rows) this.subjects.set(String(row.id), { serviceId: String(row.serviceId), taskType: String(row.taskType) });
    }
    return this.subjects;
  }

  /** Failures reported per minute by each group over [fromMinute, toMinute), for the minutes with any (see MinuteCounts). */
  async minuteSeries(fromMinute: number, toMinute: number): Promise<Map<string, MinuteCounts>> {
    return this.reading(async () => {
      const pieces = piecesOf(fromMinute < toMinute ? [{ span: 'MINUTE', from: fromMinute, to: toMinute }] : [], 0);
      const buckets = await this.current(pieces);
      const byIndex = new Map<number, MinuteCounts>();
      for (const piece of pieces) {
        const { group, minute, n } = buckets.get(piece.key)!;
        for (let i = 0; i < group.length; i++) {
          if (minute[i]! < piece.from || minute[i]! >= piece.to) continue;
          let mine = byIndex.get(group[i]!);
          if (!mine) byIndex.set(group[i]!, (mine = { minutes: [], counts: [] }));
          mine.minutes.push(minute[i]! - fromMinute);
          mine.counts.push(n[i]!);
        }
      }
      return new Map([...byIndex].map(([index, counts]) => [this.ids[index]!, counts]));
    });
  }

  /** Runs a read; the ids its buckets refer to stay until it is done. */
  private async reading<T>(read: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await read();
    } finally {
      this.inFlight -= 1;
      this.evict();
    }
  }

  /** The buckets of the pieces, each current: kept ones whose total has not moved, the others read now. */
  private async current(pieces: readonly Piece[]): Promise<Map<string, Bucket>> {
    const keys = [...new Set(pieces.map((p) => p.key))];
    const totals = await this.totals(keys);
    // Taken now: another query may drop them from the cache while this one reads the rest.
    const buckets = new Map<string, Bucket>();
    const stale: string[] = [];
    for (const key of keys) {
      const kept = this.buckets.get(key);
      if (kept && kept.total === totals.get(key)) buckets.set(key, kept);
      else stale.push(key);
    }
    if (stale.length) for (const [key, bucket] of await this.read(stale, totals)) buckets.set(key, bucket);
    for (const [key, bucket] of buckets) this.keep(key, bucket);
    return buckets;
  }

  private async count(boundaries: readonly number[]): Promise<Map<string, number[]>> {
    const ranges = boundaries.length - 1;
    const pieces = boundaries.slice(1).flatMap((to, i) => piecesOf(coverMinutes(boundaries[i]!, to, GROUP_SPANS), i));
    const buckets = await this.current(pieces);

    const sums = Array.from({ length: ranges }, () => new Float64Array(this.ids.length));
    for (const piece of pieces) {
      const { group, minute, n } = buckets.get(piece.key)!;
      const sum = sums[piece.range]!;
      for (let i = 0; i < group.length; i++) if (minute[i]! >= piece.from && minute[i]! < piece.to) sum[group[i]!]! += n[i]!;
    }
    const counts = new Map<string, number[]>();
    for (let g = 0; g < this.ids.length; g++) {
      if (sums.some((sum) => sum[g] !== 0)) counts.set(this.ids[g]!, sums.map((sum) => sum[g]!));
    }
    return counts;
  }

  /** The overall total of each bucket (0 for one without failures), in one statement. */
  private async totals(keys: readonly string[]): Promise<Map<string, number>> {
    const days = new Set<number>();
    const hours = new Set<number>();
    for (const key of keys) {
      const { span, bucket } = parseKey(key);
      if (span === 'DAY') days.add(bucket);
      else for (const h of hoursOf(span, bucket)) hours.add(h);
    }
    const clauses: string[] = [];
    const params: number[] = [];
    if (days.size) clauses.push(`(span = 'DAY' AND bucket IN (${[...days].map(() => '?').join(', ')}))`), params.push(...days);
    if (hours.size) clauses.push(`(span = 'HOUR' AND bucket IN (${[...hours].map(() => '?').join(', ')}))`), params.push(...hours);
    const rows: Row[] = clauses.length
      ? await this.dataSource.query(`SELECT span, bucket, SUM(reported) AS n FROM failure_stats_tiers WHERE scope = 'ALL' AND (${clauses.join(' OR ')}) GROUP BY span, bucket`, params)
      : [];
    const overall = new Map(rows.map((r) => [`${r.span}:${Number(r.bucket)}`, Number(r.n ?? 0)]));
    return new Map(
      keys.map((key) => {
        const { span, bucket } = parseKey(key);
        const parts = span === 'DAY' ? [`DAY:${bucket}`] : hoursOf(span, bucket).map((h) => `HOUR:${h}`);
        return [key, parts.reduce((sum, part) => sum + (overall.get(part) ?? 0), 0)];
      }),
    );
  }

  /** Reads the given buckets' rows (one statement), each under the total read before it. */
  private async read(keys: readonly string[], totals: ReadonlyMap<string, number>): Promise<Map<string, Bucket>> {
    const wholes = new Map<string, number[]>();
    const minuteHours: number[] = [];
    for (const key of keys) {
      if (totals.get(key) === 0) continue; // nothing counted there: nothing to read
      const { span, bucket } = parseKey(key);
      if (span === 'MINUTES') minuteHours.push(bucket);
      else if (wholes.has(span)) wholes.get(span)!.push(bucket);
      else wholes.set(span, [bucket]);
    }
    const parts: string[] = [];
    const params: number[] = [];
    if (wholes.size) {
      const spans = [...wholes].map(([span, buckets]) => `(s.span = '${span}' AND s.bucket IN (${buckets.map(() => '?').join(', ')}))`);
      parts.push(`SELECT s.span AS span, s.bucket AS bucket, s.subject_id AS g, SUM(s.reported) AS n FROM failure_stats_tiers s
        WHERE s.scope = 'GROUP' AND (${spans.join(' OR ')}) GROUP BY s.span, s.bucket, s.subject_id`);
      params.push(...[...wholes.values()].flat());
    }
    if (minuteHours.length) {
      parts.push(`SELECT 'MINUTE' AS span, s.minute AS bucket, s.group_id AS g, SUM(s.reported) AS n FROM failure_minute_stats s
        WHERE ${minuteHours.map(() => '(s.minute >= ? AND s.minute < ?)').join(' OR ')} GROUP BY s.minute, s.group_id`);
      params.push(...minuteHours.flatMap((h) => [h * HOUR, (h + 1) * HOUR]));
    }
    const rows: Row[] = parts.length ? await this.dataSource.query(parts.join(' UNION ALL '), params) : [];
    const read = new Map<string, { group: number[]; minute: number[]; n: number[] }>();
    for (const row of rows) {
      const n = Number(row.n ?? 0);
      if (n === 0) continue;
      const minute = row.span === 'MINUTE' ? Number(row.bucket) : -1;
      const key = minute >= 0 ? `MINUTES:${Math.floor(minute / HOUR)}` : `${row.span}:${Number(row.bucket)}`;
      let bucket = read.get(key);
      if (!bucket) read.set(key, (bucket = { group: [], minute: [], n: [] }));
      bucket.group.push(this.indexOf(String(row.g)));
      bucket.minute.push(minute);
      bucket.n.push(n);
    }
    return new Map(
      keys.map((key) => {
        const rows = read.get(key);
        return [key, { total: totals.get(key)!, group: Int32Array.from(rows?.group ?? []), minute: Int32Array.from(rows?.minute ?? []), n: Int32Array.from(rows?.n ?? []) }];
      }),
    );
  }

  /** Keeps a bucket as the most recently used. */
  private keep(key: string, bucket: Bucket): void {
    const old = this.buckets.get(key);
    if (old) this.held -= rowsOf(old);
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    this.held += rowsOf(bucket);
  }

  /** The least recently used buckets out, down to the bound; the ids too once nothing refers to them. */
  private evict(): void {
    for (const [key, bucket] of this.buckets) {
      if (this.held <= this.maxRows) break;
      this.buckets.delete(key);
      this.held -= rowsOf(bucket);
    }
    if (this.inFlight > 0) return;
    if (this.ids.length > this.maxRows) this.buckets.clear(), (this.held = 0); // groups come and go: start over now and then
    if (!this.buckets.size) (this.ids = []), (this.indexes = new Map()), (this.subjects = new Map());
  }

  private indexOf(id: string): number {
    let index = this.indexes.get(id);
    if (index === undefined) this.indexes.set(id, (index = this.ids.push(id) - 1));
    return index;
  }
}

/** A bucket's weight for the bound: its rows, and one for the bucket. */
function rowsOf(bucket: Bucket): number {
  return 1 + bucket.group.length;
}

/** The buckets that make up a range's cover, minutes grouped per hour. */
function piecesOf(cover: readonly SpanRange[], range: number): Piece[] {
  const pieces: Piece[] = [];
  for (const r of cover) {
    if (r.span !== 'MINUTE') {
      for (let b = r.from; b < r.to; b++) pieces.push({ key: `${r.span}:${b}`, range, from: -1, to: 0 }); // every row (minute -1)
      continue;
    }
    for (let hour = Math.floor(r.from / HOUR); hour * HOUR < r.to; hour++) {
      pieces.push({ key: `MINUTES:${hour}`, range, from: Math.max(r.from, hour * HOUR), to: Math.min(r.to, (hour + 1) * HOUR) });
    }
  }
  return pieces;
}

function parseKey(key: string): { span: string; bucket: number } {
  const at = key.indexOf(':');
  return { span: key.slice(0, at), bucket: Number(key.slice(at + 1)) };
}

/** The hours whose overall totals add up to a bucket's (a quarter has six; an hour, or its minutes, one). */
function hoursOf(span: string, bucket: number): number[] {
  const hours = span === 'QUARTER' ? SPAN_MINUTES.QUARTER / HOUR : 1;
  return Array.from({ length: hours }, (_, i) => bucket * hours + i);
}
