/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Seeds for a property test: `INSIGHTS_SEED=n` replays seed n alone; otherwise `count` fresh
 * seeds. Put the seed in the test title so a failure names the seed that replays it.
 */
export function seeds(count: number): number[] {
  const fixed = process.env.INSIGHTS_SEED;
  if (fixed) return [Number(fixed)];
  const base = Date.now() % 100_000;
  return Array.from({ length: count }, (_, i) => base + i * 7_919);
}

/** Helpers over one generator: a value from a list, an integer in [lo, hi], a shuffle in place. */
export function generators(rnd: () => number) {
  return {
    pick: <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)]!,
    int: (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1)),
    shuffle<T>(values: T[]): T[] {
      for (let i = values.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [values[i], values[j]] = [values[j]!, values[i]!];
      }
      return values;
    },
  };
}
