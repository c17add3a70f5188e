import type { EntityManager } from 'typeorm';
import { SEVERITY_RANK, type Severity } from '../failures/failure.entity';
import { toDbTimestamp } from '../platform/db';
import type { RankInput } from './ranking';

const MINUTE = 60_000;
const BASELINE_WINDOW_MS = 24 * 60 * MINUTE; // the usual rate is measured over the last day…
const RECENT_WINDOW_MS = 15 * MINUTE; // …before the last 15 minutes
const BASELINE_SLOTS = (BASELINE_WINDOW_MS - RECENT_WINDOW_MS) / (5 * MINUTE);
const HOST_SAMPLE = 500; // recent failures read for the distinct-host count
const GROUPS_PER_STATEMENT = 50; // each group is one UNION ALL member with ~15 parameters

/** What to count for one group: its policy's threshold (or the defaults) and its last incident's end. */
export interface ActivityQuery {
  groupId: string;
  minSeverity: Severity;
  windowSeconds: number;
  /** Only failures after this (the group's last resolved incident) count towards a new incident. */
  after: Date | null;
}

/** A group's recent failures, as ranking and policy evaluation see them. */
export interface GroupStats {
  qualifyingInWindow: number;
  criticalInWindow: number;
  rankInput: Pick<RankInput, 'failuresLast5m' | 'failuresLast15m' | 'baselinePer5m' | 'distinctTasksLast15m' | 'distinctHostsLast15m'>;
}

/**
 * Counts over the recent failures of many groups in two statements per 50 groups: one UNION ALL
 * member per group, each exactly the query one group alone would run (an index range over
 * idx_failures_group_received), so a tick of groups costs two round trips instead of two per
 * group, and the counts are the same however many groups are read together.
 */
export async function readGroupStats(manager: EntityManager, queries: readonly ActivityQuery[], now: Date): Promise<Map<string, GroupStats>> {
  const result = new Map<string, GroupStats>();
  for (let i = 0; i < queries.length; i += GROUPS_PER_STATEMENT) {
    const chunk = queries.slice(i, i + GROUPS_PER_STATEMENT);
    const counts = countsStatement(chunk, now);
    const hosts = hostSampleStatement(chunk, now);
    const [countRows, hostRows] = await Promise.all([
      manager.query(counts.sql, counts.params) as Promise<Array<Record<string, string | number | null>>>,
      manager.query(hosts.sql, hosts.params) as Promise<Array<{ group_id: string; attributes: string }>>,
    ]);
    const hostsByGroup = new Map<string, Set<string>>();
    for (const row of hostRows) {
      // Told apart byte for byte ('w1', 'W1' and 'w1 ' are three hosts); an empty or missing host is none.
      const host = (JSON.parse(row.attributes) as Record<string, string>).host;
      let set = hostsByGroup.get(row.group_id);
      if (!set) hostsByGroup.set(row.group_id, (set = new Set()));
      if (host) set.add(host);
    }
    for (const row of countRows) {
      const groupId = String(row.group_id);
      const n = (key: string) => Number(row[key] ?? 0);
      result.set(groupId, {
        qualifyingInWindow: n('qualifying'),
        criticalInWindow: n('critical'),
        rankInput: {
          failuresLast5m: n('last5m'),
          failuresLast15m: n('last15m'),
          baselinePer5m: n('baseline') / BASELINE_SLOTS,
          distinctTasksLast15m: n('tasks15m'),
          distinctHostsLast15m: hostsByGroup.get(groupId)?.size ?? 0,
        },
      });
    }
  }
  return result;
}

const at = (ms: number) => toDbTimestamp(new Date(ms));

function countsStatement(queries: readonly ActivityQuery[], now: Date): { sql: string; params: unknown[] } {
  const t = now.getTime();
  const members: string[] = [];
  const params: unknown[] = [];
  for (const q of queries) {
    const windowStart = Math.max(t - q.windowSeconds * 1000, q.after ? q.after.getTime() + 1 : 0);
    const qualifying = Object.entries(SEVERITY_RANK)
      .filter(([, rank]) => rank >= SEVERITY_RANK[q.minSeverity])
      .map(([s]) => s);
    members.push(
      `SELECT ? AS group_id,
         SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END) AS last5m,
         SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END) AS last15m,
         SUM(CASE WHEN received_at < ? THEN 1 ELSE 0 END) AS baseline,
         SUM(CASE WHEN received_at >= ? AND severity IN (${qualifying.map(() => '?').join(', ')}) THEN 1 ELSE 0 END) AS qualifying,
         SUM(CASE WHEN received_at >= ? AND severity = 'CRITICAL' THEN 1 ELSE 0 END) AS critical,
         COUNT(DISTINCT CASE WHEN received_at >= ? THEN task_id END) AS tasks15m
       FROM failures WHERE group_id = ? AND received_at >= ?`,
    );
    params.push(
      q.groupId,
      at(t - 5 * MINUTE),
      at(t - RECENT_WINDOW_MS),
      at(t - RECENT_WINDOW_MS),
      at(windowStart),
      ...qualifying,
      at(windowStart),
      at(t - RECENT_WINDOW_MS),
      q.groupId,
      at(Math.min(t - BASELINE_WINDOW_MS, windowStart)),
    );
  }
  return { sql: members.join(' UNION ALL '), params };
}

/** The attributes of each group's 500 most recent failures of the last 15 minutes. */
function hostSampleStatement(queries: readonly ActivityQuery[], now: Date): { sql: string; params: unknown[] } {
  const since = at(now.getTime() - RECENT_WINDOW_MS);
  const member = 'SELECT group_id, attributes FROM failures WHERE group_id = ? AND received_at >= ? ORDER BY received_at DESC LIMIT ?';
  const params = queries.flatMap((q) => [q.groupId, since, HOST_SAMPLE]);
  // A member with its own ORDER BY and LIMIT must be a derived table to stand in a UNION on SQLite.
  const sql = queries.length === 1 ? member : queries.map((_, i) => `SELECT * FROM (${member}) h${i}`).join(' UNION ALL ');
  return { sql, params };
}
