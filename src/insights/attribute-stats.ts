import type { EntityManager } from 'typeorm';
import type { Dialect } from '../platform/db';
import { LruCache } from '../platform/lru-cache';
import { OTHER_VALUE } from './suspects';

/** Distinct values kept per group and attribute; the rest count as "(other)". */
export const MAX_VALUES_PER_ATTRIBUTE = 20;
/** Attributes counted per failure (by name order), besides `source`. */
export const MAX_ATTRIBUTES_PER_FAILURE = 10;
const MAX_VALUE_CHARS = 255;
const UPSERT_CHUNK = 200;

export interface AttributeObservation {
  groupId: string;
  serviceId: string;
  occurredAt: Date;
  /** The failure's attributes, plus its source as `source`. */
  attributes: Record<string, string>;
}

/**
 * The value cut to MAX_VALUE_CHARS characters: code points, as a varchar(255) counts them. A cut
 * by UTF-16 units could keep half a surrogate pair (an emoji), stored and read back as U+FFFD.
 */
function storedValue(value: string): string {
  return value.length <= MAX_VALUE_CHARS ? value : Array.from(value).slice(0, MAX_VALUE_CHARS).join('');
}

/** Hours since the Unix epoch (UTC). */
export function epochHour(date: Date): number {
  return Math.floor(date.getTime() / 3_600_000);
}

/**
 * Keeps `failure_attribute_stats` exact and bounded, in the caller's transaction. A
 * high-cardinality attribute (a request id) cannot blow the table up: after 20 distinct values
 * in a group, further values count as "(other)". The values known per group are cached; the
 * cache is a hint (several instances may each admit a value at once, a bounded overshoot).
 */
export class AttributeStatsWriter {
  private readonly known = new LruCache<string, Set<string>>(10_000);
  private readonly loaded = new Set<string>();

  constructor(private readonly dialect: Dialect) {}

  async add(manager: EntityManager, observations: readonly AttributeObservation[]): Promise<void> {
    const rows = new Map<string, { groupId: string; serviceId: string; hour: number; attribute: string; value: string; count: number }>();
    for (const o of observations) {
      const names = Object.keys(o.attributes).filter((n) => n !== 'source').sort().slice(0, MAX_ATTRIBUTES_PER_FAILURE);
      if (o.attributes.source !== undefined) names.push('source');
      for (const attribute of names) {
        const value = await this.admit(manager, o.groupId, attribute, storedValue(o.attributes[attribute]!));
        const hour = epochHour(o.occurredAt);
        const key = `${o.groupId}\u0000${attribute}\u0000${value}\u0000${hour}`;
        const row = rows.get(key);
        if (row) row.count += 1;
        else rows.set(key, { groupId: o.groupId, serviceId: o.serviceId, hour, attribute, value, count: 1 });
      }
    }
    const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    const d = this.dialect;
    for (let i = 0; i < sorted.length; i += UPSERT_CHUNK) {
      const chunk = sorted.slice(i, i + UPSERT_CHUNK);
      await manager.query(
        `INSERT INTO failure_attribute_stats (group_id, service_id, hour, attribute, value, count)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}
         ${d.onConflictUpdate(['group_id', 'attribute', 'value', 'hour'])} count = count + ${d.inserted('count')}`,
        chunk.flatMap((r) => [r.groupId, r.serviceId, r.hour, r.attribute, r.value, r.count]),
      );
    }
  }

  /** The value as stored: itself while the group has room for it, else "(other)". */
  private async admit(manager: EntityManager, groupId: string, attribute: string, value: string): Promise<string> {
    const key = `${groupId}\u0000${attribute}`;
    const values = this.known.getOrCompute(key, () => new Set<string>());
    if (!this.loaded.has(key)) {
      const rows: Array<{ value: string }> = await manager.query(
        `SELECT DISTINCT value FROM failure_attribute_stats WHERE group_id = ? AND attribute = ? AND value <> ? LIMIT ${MAX_VALUES_PER_ATTRIBUTE + 1}`,
        [groupId, attribute, OTHER_VALUE],
      );
      for (const row of rows) values.add(row.value);
      this.loaded.add(key);
      if (this.loaded.size > 50_000) this.loaded.clear();
    }
    if (values.has(value)) return value;
    if (values.size >= MAX_VALUES_PER_ATTRIBUTE) return OTHER_VALUE;
    values.add(value);
    return value;
  }
}
