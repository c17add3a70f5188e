import { describe, expect, it } from '@jest/globals';
import { LruCache } from '../../../src/platform/lru-cache';

describe('LruCache', () => {
  it('computes a value once and answers it from the cache after', () => {
    const cache = new LruCache<string, number>(4);
    let computed = 0;
    const compute = () => ++computed;
    expect(cache.getOrCompute('a', compute)).toBe(1);
    expect(cache.getOrCompute('a', compute)).toBe(1);
    expect(computed).toBe(1);
  });

  it('never holds more entries than its capacity', () => {
    const cache = new LruCache<number, number>(10);
    for (let i = 0; i < 1_000; i++) cache.set(i, i);
    const held = Array.from({ length: 1_000 }, (_, i) => cache.get(i)).filter((v) => v !== undefined);
    expect(held.length).toBeLessThanOrEqual(10);
    expect(cache.get(999)).toBe(999);
  });

  it('keeps an entry that is used again while many others come and go', () => {
    const cache = new LruCache<string, string>(10);
    cache.set('hot', 'kept');
    for (let i = 0; i < 100; i++) {
      cache.set(`cold-${i}`, 'x');
      if (i % 4 === 0) expect(cache.get('hot')).toBe('kept');
    }
    expect(cache.get('hot')).toBe('kept');
    expect(cache.get('cold-0')).toBeUndefined();
  });

  it('drops an entry unused for as many new entries as its capacity', () => {
    const cache = new LruCache<string, number>(6);
    cache.set('old', 1);
    for (let i = 0; i < 6; i++) cache.set(`new-${i}`, i);
    expect(cache.get('old')).toBeUndefined();
  });

  it('answers the latest value set for a key, recent or older', () => {
    const cache = new LruCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // 'a' and 'b' are now the older generation
    cache.set('a', 10);
    expect(cache.get('a')).toBe(10);
    cache.set('a', 11);
    expect(cache.get('a')).toBe(11);
  });
});
