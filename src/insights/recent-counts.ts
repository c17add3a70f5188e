import type { DataSource } from 'typeorm';
import { BadUserInputError } from '../platform/errors';
import { epochMinute } from './minute-stats';

/** The longest window `FailureGroup.recentCounts` serves: one day of minutes. */
export const RECENT_COUNTS_MAX_MINUTES = 1_440;

/** One group's window: its last `minutes` UTC minutes, the current one included. */
export interface RecentCountsKey {
  groupId: string;
  minutes: number;
}

type Row = { groupId: string; minute: number | string; n: number | string | null };

/**
 * Failures per group per UTC minute (the minute they occurred) over the last few minutes, for
 * sparklines on lists of groups. Reads only the minute rollup, with one query per batch of keys
 * whatever their windows: the widest window is read and each key takes its own part.
 */
export class RecentCountsReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * For a DataLoader: per key, in key order, the counts oldest first ending with the current
   * minute (zeros included), or a BAD_USER_INPUT error for a window outside 1..1440 minutes.
   */
  async load(keys: readonly RecentCountsKey[]): Promise<Array<number[] | BadUserInputError>> {
    const current = epochMinute(this.now());
    const valid = keys.filter((k) => isValidWindow(k.minutes));
    const counts = new Map<string, number>();
    if (valid.length) {
      const widest = Math.max(...valid.map((k) => k.minutes));
      const groupIds = [...new Set(valid.map((k) => k.groupId))];
      const rows: Row[] = await this.dataSource.query(
        `SELECT group_id AS groupId, minute, SUM(reported) AS n FROM failure_minute_stats
         WHERE group_id IN (${groupIds.map(() => '?').join(', ')}) AND minute > ? AND minute <= ?
         GROUP BY group_id, minute`,
        [...groupIds, current - widest, current],
      );
      for (const row of rows) counts.set(`${row.groupId}|${Number(row.minute)}`, Number(row.n ?? 0));
    }
    return keys.map((k) => {
      if (!isValidWindow(k.minutes)) return new BadUserInputError(`minutes must be from 1 to ${RECENT_COUNTS_MAX_MINUTES}`, { field: 'minutes' });
      const first = current - k.minutes + 1;
      return Array.from({ length: k.minutes }, (_, i) => counts.get(`${k.groupId}|${first + i}`) ?? 0);
    });
  }
}

function isValidWindow(minutes: number): boolean {
  return Number.isInteger(minutes) && minutes >= 1 && minutes <= RECENT_COUNTS_MAX_MINUTES;
}
