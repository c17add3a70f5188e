import type { EntityManager } from 'typeorm';
import type { Dialect } from '../platform/db';
import { closeTimeBucket } from './close-time-histogram';
import { sideBySide, upsertAdding } from './rollup-upsert';
import { SPAN_MINUTES, type Span } from './time-tiers';

/** The counters of a minute row; each names what happened to failures that occurred that minute. */
export type StatsCounter = 'reported' | 'retried' | 'succeeded' | 'discarded' | 'resolved';

export interface StatsIncrement {
  groupId: string;
  serviceId: string;
  taskType: string;
  /** When the failure occurred; its UTC minute is the row. */
  occurredAt: Date;
  pattern: string;
  severity: string;
  counter: StatsCounter;
  by: number;
}

export const STATS_COUNTERS: readonly StatsCounter[] = ['reported', 'retried', 'succeeded', 'discarded', 'resolved'];

/** The spans of the GROUP scope (quarter days make a 24-hour window about 10 rows a group, not 23). */
export const GROUP_SPANS: readonly Span[] = ['DAY', 'QUARTER', 'HOUR'];
/** The spans of the other scopes. */
export const TIER_SPANS: readonly Span[] = ['DAY', 'HOUR'];

/**
 * What a row of `failure_stats_tiers` is per (its subject, and '' for what it does not keep):
 * `TASK` service, task type, pattern and severity; `TOTAL` service; `ALL` pattern and severity
 * over every service; `GROUP` group, pattern and severity.
 */
export type StatsScope = 'TASK' | 'TOTAL' | 'ALL' | 'GROUP';

/** Days since the Unix epoch (UTC). */
export function epochDay(date: Date): number {
  return Math.floor(date.getTime() / 86_400_000);
}

/** Minutes since the Unix epoch (UTC): the time key of the rollup. */
export function epochMinute(date: Date): number {
  return Math.floor(date.getTime() / 60_000);
}

type Counts = Record<StatsCounter, number>;

/** Increments merged per row key: one row per key, its counters summed. */
class CountedRows {
  readonly rows = new Map<string, { key: unknown[]; counts: Counts }>();

  add(key: unknown[], counter: StatsCounter, by: number): void {
    this.row(key).counts[counter] += by;
  }

  addAll(key: unknown[], counts: Counts): void {
    const row = this.row(key);
    for (const c of STATS_COUNTERS) row.counts[c] += counts[c];
  }

  private row(key: unknown[]): { key: unknown[]; counts: Counts } {
    const id = key.join('\u0000');
    let row = this.rows.get(id);
    if (!row) this.rows.set(id, (row = { key, counts: { reported: 0, retried: 0, succeeded: 0, discarded: 0, resolved: 0 } }));
    return row;
  }

  /** Key columns then counters, rows in key order (one lock order for every writer). */
  values(): unknown[][] {
    return [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => [...r.key, ...STATS_COUNTERS.map((c) => r.counts[c])]);
  }
}

/**
 * Keeps the failure statistics rollups exact: called inside the transaction that changes the
 * failures, so they commit (or roll back) with them. Per call, one multi-row upsert per table
 * (in chunks), both issued at once, rows in key order so concurrent writers lock them in one order:
 * - `failure_minute_stats`: group × minute × pattern × severity (edges of ranges, recent counts,
 *   correlation series);
 * - `failure_stats_tiers`: hours and days at four levels of detail (StatsScope), quarter days
 *   too per group: failureStats, top groups, correlation candidates, service totals.
 */
export class MinuteStatsWriter {
  constructor(private readonly dialect: Dialect) {}

  /** Counts one failure closed `seconds` after it was reported, on the day it occurred. */
  async addCloseTime(manager: EntityManager, serviceId: string, occurredAt: Date, seconds: number): Promise<void> {
    const d = this.dialect;
    await manager.query(
      `INSERT INTO failure_close_stats (service_id, day, bucket, count) VALUES (?, ?, ?, 1)
       ${d.onConflictUpdate(['service_id', 'day', 'bucket'])} count = count + 1`,
      [serviceId, epochDay(occurredAt), closeTimeBucket(seconds)],
    );
  }

  async add(manager: EntityManager, increments: readonly StatsIncrement[]): Promise<void> {
    // A batch has few distinct keys: merge the increments first, then spread each merged row over the tiers.
    const merged = new CountedRows();
    for (const inc of increments) merged.add([inc.groupId, epochMinute(inc.occurredAt), inc.pattern, inc.severity, inc.serviceId, inc.taskType], inc.counter, inc.by);
    const minutes = new CountedRows();
    const tiers = new CountedRows();
    for (const { key, counts } of merged.rows.values()) {
      const [groupId, minute, pattern, severity, serviceId, taskType] = key as [string, number, string, string, string, string];
      minutes.addAll([groupId, minute, pattern, severity], counts);
      for (const span of GROUP_SPANS) tiers.addAll(['GROUP', span, Math.floor(minute / SPAN_MINUTES[span]), groupId, '', pattern, severity], counts);
      for (const span of TIER_SPANS) {
        const bucket = Math.floor(minute / SPAN_MINUTES[span]);
        tiers.addAll(['TASK', span, bucket, serviceId, taskType, pattern, severity], counts);
        tiers.addAll(['TOTAL', span, bucket, serviceId, '', '', ''], counts);
        tiers.addAll(['ALL', span, bucket, '', '', pattern, severity], counts);
      }
    }
    // Issued together, in the same table order in every transaction (and rows in key order): concurrent writers wait, never deadlock.
    await sideBySide([
      ...upsertAdding(manager, this.dialect, 'failure_minute_stats', ['group_id', 'minute', 'pattern', 'severity'], STATS_COUNTERS, minutes.values()),
      ...upsertAdding(manager, this.dialect, 'failure_stats_tiers', ['scope', 'span', 'bucket', 'subject_id', 'task_type', 'pattern', 'severity'], STATS_COUNTERS, tiers.values()),
    ]);
  }
}
