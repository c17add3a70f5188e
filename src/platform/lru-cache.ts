/**
 * A small, approximately least-recently-used map. For pure, repeated work on hot paths (the
 * same stack trace arrives with every failure of a pattern), bounded so that varied input
 * cannot grow it.
 *
 * Two generations of at most half the capacity each: a hit among the recent entries costs one
 * lookup (a strict LRU moves the entry on every hit: three lookups of a key that may be a whole
 * stack trace). An entry found among the older ones moves to the recent ones; when the recent
 * generation is full, it becomes the older one and the former older entries are dropped. So an
 * entry used since the last capacity/2 new entries is always kept, one unused for capacity new
 * entries never is.
 */
export class LruCache<K, V> {
  private recent = new Map<K, V>();
  private older = new Map<K, V>();
  private readonly generationSize: number;

  constructor(capacity: number) {
    this.generationSize = Math.max(1, Math.floor(capacity / 2));
  }

  /** The value, now among the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const hit = this.recent.get(key);
    if (hit !== undefined || this.recent.has(key)) return hit;
    return this.promote(key);
  }

  /** Stores the value as the most recently used. */
  set(key: K, value: V): void {
    if (this.recent.has(key)) {
      this.recent.set(key, value);
      return;
    }
    this.older.delete(key);
    this.add(key, value);
  }

  getOrCompute(key: K, compute: () => V): V {
    const hit = this.recent.get(key);
    if (hit !== undefined || this.recent.has(key)) return hit as V;
    if (this.older.has(key)) return this.promote(key) as V;
    const value = compute();
    this.add(key, value);
    return value;
  }

  /** Moves an older entry (if any) to the recent generation. */
  private promote(key: K): V | undefined {
    if (!this.older.has(key)) return undefined;
    const value = this.older.get(key) as V;
    this.older.delete(key);
    this.add(key, value);
    return value;
  }

  private add(key: K, value: V): void {
    if (this.recent.size >= this.generationSize) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(key, value);
  }
}
