import type { EntityManager } from 'typeorm';
import type { Dialect } from '../platform/db';
import { LruCache } from '../platform/lru-cache';
import { sideBySide, upsertAdding } from './rollup-upsert';
import { OTHER_VALUE } from './suspects';

/** Distinct values kept per group and attribute; the rest count as "(other)". */
export const MAX_VALUES_PER_ATTRIBUTE = 20;
/** Attributes counted per failure (by name order), besides `source`. */
export const MAX_ATTRIBUTES_PER_FAILURE = 10;
const MAX_VALUE_CHARS = 255;
/** Groups whose kept values are read in one query. */
const LOAD_CHUNK = 200;
/** The `bucket` of a group's lifetime totals (scope GROUP) in `failure_attribute_tiers`. */
export const LIFETIME = 0;

export interface AttributeObservation {
  groupId: string;
  serviceId: string;
  occurredAt: Date;
  /** The failure's attributes as stored: JSON text of a flat map of strings. */
  attributesJson: string;
  /** The failure's source, counted as the attribute `source` (over an attribute of that name). */
  source: string | null;
}

/** One group, service, hour, attribute and value as reported, and how many failures had it. */
interface SeenValue {
  groupId: string;
  serviceId: string;
  hour: number;
  attribute: string;
  value: string;
  count: number;
}

/** Observations merged (see {@link AttributeStatsWriter.prepare}) with the kept values they need. */
export interface PreparedAttributes {
  readonly seen: readonly SeenValue[];
  readonly kept: ReadonlyMap<string, Set<string>>;
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
 * Keeps the attribute rollup (`failure_attribute_tiers`) exact and bounded, in the caller's
 * transaction, with one upsert: per group and hour (GROUP_HOUR), per group over its lifetime
 * (GROUP, bucket LIFETIME: breakdowns, suspects, the kept values), per service and hour
 * (SERVICE_HOUR) and day (SERVICE_DAY: the baselines of suspects). Each failure counts with the
 * value its group keeps: a high-cardinality attribute (a
 * request id) cannot blow the tables up, because after 20 distinct values in a group further
 * values count as "(other)". The values kept per group are cached; the cache is a hint (several
 * instances may each admit a value at once, a bounded overshoot).
 */
export class AttributeStatsWriter {
  /** Per group and attribute, the values it keeps (besides "(other)"); present once read from the database. */
  private readonly known = new LruCache<string, Set<string>>(10_000);

  constructor(private readonly dialect: Dialect) {}

  async add(manager: EntityManager, observations: readonly AttributeObservation[]): Promise<void> {
    await sideBySide(this.write(manager, await this.prepare(manager, observations)));
  }

  /**
   * Merges the observations per group, service, hour, attribute and value as reported, in the
   * order each first occurred, which is all that decides whether a value is kept (values are
   * admitted in the order they first occur, and a kept set never shrinks), and gets the values
   * their groups keep (from the cache, else read from the database: all attributes of a group
   * in one go). Failures with the same group, service, hour and attributes are merged first, so
   * each distinct set of attributes is parsed and counted once, whatever the batch size.
   */
  async prepare(manager: EntityManager, observations: readonly AttributeObservation[]): Promise<PreparedAttributes> {
    const alike = new Map<string, { o: AttributeObservation; hour: number; count: number }>();
    for (const o of observations) {
      const hour = epochHour(o.occurredAt);
      // JSON text holds no raw NUL (JSON.stringify escapes it), so the source after it cannot shift the key.
      const key = `${o.groupId}\u0000${o.serviceId}\u0000${hour}\u0000${o.attributesJson}\u0000${o.source || ''}`;
      const entry = alike.get(key);
      if (entry) entry.count += 1;
      else alike.set(key, { o, hour, count: 1 });
    }
    const seen = new Map<string, SeenValue>();
    for (const { o, hour, count } of alike.values()) {
      const attributes = JSON.parse(o.attributesJson) as Record<string, string>;
      if (o.source) attributes.source = o.source;
      for (const attribute of countedAttributes(attributes)) {
        const value = storedValue(attributes[attribute]!);
        const id = `${o.groupId}\u0000${attribute}\u0000${value}\u0000${o.serviceId}\u0000${hour}`;
        const entry = seen.get(id);
        if (entry) entry.count += count;
        else seen.set(id, { groupId: o.groupId, serviceId: o.serviceId, hour, attribute, value, count });
      }
    }
    const values = [...seen.values()];
    return { seen: values, kept: await this.keptValues(manager, values) };
  }

  /**
   * Issues the upsert at once, without reading anything first (so it can travel with the other
   * statements of its transaction, see runPipelined). Admits the new values into the groups' kept sets.
   */
  write(manager: EntityManager, prepared: PreparedAttributes): Array<Promise<unknown>> {
    const tiers = new Map<string, unknown[]>();
    const count = (rows: Map<string, unknown[]>, id: string, row: () => unknown[], by: number) => {
      const existing = rows.get(id);
      if (existing) (existing[existing.length - 1] as number) += by;
      else rows.set(id, [...row(), by]);
    };
    for (const e of prepared.seen) {
      const value = admit(prepared.kept.get(`${e.groupId}\u0000${e.attribute}`)!, e.value);
      for (const [scope, subject, bucket] of [
        ['GROUP', e.groupId, LIFETIME],
        ['GROUP_HOUR', e.groupId, e.hour],
        ['SERVICE_DAY', e.serviceId, Math.floor(e.hour / 24)],
        ['SERVICE_HOUR', e.serviceId, e.hour],
      ] as const) {
        count(tiers, `${scope}\u0000${subject}\u0000${bucket}\u0000${e.attribute}\u0000${value}`, () => [scope, subject, bucket, e.attribute, value], e.count);
      }
    }
    // Rows in key order for every writer: concurrent writers wait, never deadlock.
    const rows = [...tiers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    return upsertAdding(manager, this.dialect, 'failure_attribute_tiers', ['scope', 'subject_id', 'bucket', 'attribute', 'value'], ['count'], rows);
  }

  /**
   * The kept values of each group and attribute among the entries, from the cache, else read from
   * the database (all attributes of a group in one go); the cache is updated with them.
   */
  private async keptValues(manager: EntityManager, entries: ReadonlyArray<{ groupId: string; attribute: string }>): Promise<Map<string, Set<string>>> {
    const kept = new Map<string, Set<string>>();
    const missing = new Set<string>();
    for (const { groupId, attribute } of entries) {
      const key = `${groupId}\u0000${attribute}`;
      if (kept.has(key)) continue;
      const values = this.known.get(key);
      if (values) kept.set(key, values);
      else missing.add(groupId);
    }
    if (missing.size) await this.load(manager, [...missing].sort());
    for (const { groupId, attribute } of entries) {
      const key = `${groupId}\u0000${attribute}`;
      if (kept.has(key)) continue;
      let values = this.known.get(key);
      if (!values) this.known.set(key, (values = new Set())); // nothing kept yet
      kept.set(key, values);
    }
    return kept;
  }

  /** Reads the kept values of all attributes of the groups into the cache. */
  private async load(manager: EntityManager, groups: readonly string[]): Promise<void> {
    for (let i = 0; i < groups.length; i += LOAD_CHUNK) {
      const chunk = groups.slice(i, i + LOAD_CHUNK);
      const rows: Array<{ groupId: string; attribute: string; value: string }> = await manager.query(
        `SELECT subject_id AS groupId, attribute, value FROM failure_attribute_tiers
         WHERE scope = 'GROUP' AND subject_id IN (${chunk.map(() => '?').join(', ')}) AND bucket = ? AND value <> ?`,
        [...chunk, LIFETIME, OTHER_VALUE],
      );
      const found = new Map<string, Set<string>>();
      for (const row of rows) {
        const key = `${row.groupId}\u0000${row.attribute}`;
        if (!found.has(key)) found.set(key, new Set());
        found.get(key)!.add(row.value);
      }
      for (const [key, values] of found) this.known.set(key, values);
    }
  }
}

/** The attributes a failure counts with: the first MAX_ATTRIBUTES_PER_FAILURE by name, and `source`. */
function countedAttributes(attributes: Record<string, string>): string[] {
  const names = Object.keys(attributes).filter((n) => n !== 'source').sort().slice(0, MAX_ATTRIBUTES_PER_FAILURE);
  if (attributes.source !== undefined) names.push('source');
  return names;
}

/** The value as stored: itself while the group has room for it (it is then kept), else "(other)". */
function admit(values: Set<string>, value: string): string {
  if (values.has(value)) return value;
  if (values.size >= MAX_VALUES_PER_ATTRIBUTE) return OTHER_VALUE;
  values.add(value);
  return value;
}
