import type { EntityManager } from 'typeorm';
import type { Dialect } from '../platform/db';
import { closeTimeBucket } from './close-time-histogram';

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

const UPSERT_CHUNK = 200;
export const STATS_COUNTERS: readonly StatsCounter[] = ['reported', 'retried', 'succeeded', 'discarded', 'resolved'];

/** Days since the Unix epoch (UTC). */
export function epochDay(date: Date): number {
  return Math.floor(date.getTime() / 86_400_000);
}

/** Minutes since the Unix epoch (UTC): the time key of the rollup. */
export function epochMinute(date: Date): number {
  return Math.floor(date.getTime() / 60_000);
}

/**
 * Keeps `failure_minute_stats` exact: called inside the transaction that changes the failures,
 * so the rollup commits (or rolls back) with them. Increments are merged per row and applied
 * as single-statement upserts, exact under concurrency on both engines.
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

  /** The hourly tier: per service, task type, pattern and severity (what failureStats groups by). */
  private async addHours(manager: EntityManager, increments: readonly StatsIncrement[]): Promise<void> {
    const rows = new Map<string, { hour: number; serviceId: string; taskType: string; pattern: string; severity: string; counts: Record<StatsCounter, number> }>();
    for (const inc of increments) {
      const hour = Math.floor(epochMinute(inc.occurredAt) / 60);
      const key = `${hour}|${inc.serviceId}|${inc.taskType}|${inc.pattern}|${inc.severity}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { hour, serviceId: inc.serviceId, taskType: inc.taskType, pattern: inc.pattern, severity: inc.severity, counts: { reported: 0, retried: 0, succeeded: 0, discarded: 0, resolved: 0 } }));
      row.counts[inc.counter] += inc.by;
    }
    const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    const d = this.dialect;
    for (let i = 0; i < sorted.length; i += UPSERT_CHUNK) {
      const chunk = sorted.slice(i, i + UPSERT_CHUNK);
      await manager.query(
        `INSERT INTO failure_hour_stats (hour, service_id, task_type, pattern, severity, ${STATS_COUNTERS.join(', ')})
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ${d.onConflictUpdate(['hour', 'service_id', 'task_type', 'pattern', 'severity'])}
         ${STATS_COUNTERS.map((c) => `${c} = ${c} + ${d.inserted(c)}`).join(', ')}`,
        chunk.flatMap((r) => [r.hour, r.serviceId, r.taskType, r.pattern, r.severity, ...STATS_COUNTERS.map((c) => r.counts[c])]),
      );
    }
  }

  async add(manager: EntityManager, increments: readonly StatsIncrement[]): Promise<void> {
    const rows = new Map<string, { groupId: string; minute: number; pattern: string; severity: string; counts: Record<StatsCounter, number> }>();
    for (const inc of increments) {
      const minute = epochMinute(inc.occurredAt);
      const key = `${inc.groupId}|${minute}|${inc.pattern}|${inc.severity}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { groupId: inc.groupId, minute, pattern: inc.pattern, severity: inc.severity, counts: { reported: 0, retried: 0, succeeded: 0, discarded: 0, resolved: 0 } }));
      row.counts[inc.counter] += inc.by;
    }
    // One lock order for all writers (as for group counters) keeps concurrent upserts from deadlocking.
    const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    const d = this.dialect;
    await this.addHours(manager, increments);
    for (let i = 0; i < sorted.length; i += UPSERT_CHUNK) {
      const chunk = sorted.slice(i, i + UPSERT_CHUNK);
      await manager.query(
        `INSERT INTO failure_minute_stats (group_id, minute, pattern, severity, ${STATS_COUNTERS.join(', ')})
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ${d.onConflictUpdate(['group_id', 'minute', 'pattern', 'severity'])}
         ${STATS_COUNTERS.map((c) => `${c} = ${c} + ${d.inserted(c)}`).join(', ')}`,
        chunk.flatMap((r) => [r.groupId, r.minute, r.pattern, r.severity, ...STATS_COUNTERS.map((c) => r.counts[c])]),
      );
    }
  }
}
