import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { generators, random, seeds } from '../../helpers/seeded-random';
import { type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';
import type { TestDatabase } from '../../helpers/test-database';

/**
 * correlatedGroups against a brute force over the failures the test reported. Random series:
 * some groups follow a common cause at lags −2…+2 (some with noise, some too sparse, one in
 * another service), one at lag 3, others are independent noise or constant. The documented rule:
 * per-minute counts of every group with a failure in the minutes [from, to) touches; Pearson at
 * lags 0–2 either way over the overlapping minutes (at least 3), the best lag winning; reported
 * when, rounded to 4 decimals, it is ≥ 0.8 and both series have ≥ 5 non-zero minutes.
 */

const MINUTE = 60_000;
const MINUTES = 90;
// The window crosses midnight UTC.
const W0 = Date.parse('2026-02-02T23:15:00Z');
const MIN_CORRELATION = 0.8;
const MIN_NON_ZERO = 5;
const MAX_LAG = 2;

interface SeriesSpec {
  key: string;
  service: 'main' | 'other';
  /** Failures per minute, index 0 = the minute starting at W0. */
  counts: number[];
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 3) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  if (x.every((v) => v === x[0]) || y.every((v) => v === y[0])) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Every lag's correlation (positive: `other` trails), and the best one. */
function lagged(target: readonly number[], other: readonly number[]) {
  const n = target.length;
  const byLag = new Map<number, number>();
  for (let lag = 0; lag <= MAX_LAG && n - lag >= 3; lag++) {
    const trailing = pearson(target.slice(0, n - lag), other.slice(lag));
    const leading = lag === 0 ? null : pearson(target.slice(lag), other.slice(0, n - lag));
    if (trailing !== null) byLag.set(lag, trailing);
    if (leading !== null) byLag.set(-lag, leading);
  }
  let best: { r: number; lag: number } | null = null;
  for (const [lag, r] of byLag) if (!best || r > best.r) best = { r, lag: Math.abs(lag) };
  return { best, byLag };
}

function generate(rnd: () => number): SeriesSpec[] {
  const { int, pick } = generators(rnd);
  const cause = Array.from({ length: MINUTES + 6 }, () => (rnd() < 0.15 ? int(3, 9) : rnd() < 0.3 ? 1 : 0));
  const follow = (lag: number, scale: number, noise: number) =>
    Array.from({ length: MINUTES }, (_, m) => scale * cause[m + 3 - lag]! + (rnd() < noise ? int(1, 3) : 0));
  const specs: SeriesSpec[] = [
    { key: 'target', service: 'main', counts: follow(0, 1, 0.05) },
    ...Array.from({ length: int(4, 6) }, (_, i): SeriesSpec => ({ key: `driven-${i}`, service: 'main', counts: follow(int(-MAX_LAG, MAX_LAG), pick([1, 2]), pick([0, 0.1, 0.5, 0.9])) })),
    { key: 'other-service', service: 'other', counts: follow(int(-1, 1), 1, 0.1) },
    { key: 'lag-3', service: 'main', counts: follow(3, 1, 0) },
    ...Array.from({ length: 3 }, (_, i): SeriesSpec => ({ key: `noise-${i}`, service: 'main', counts: Array.from({ length: MINUTES }, () => (rnd() < 0.4 ? int(1, 4) : 0)) })),
    { key: 'constant', service: 'main', counts: new Array<number>(MINUTES).fill(1) },
    // The target's minutes but too few of them; and a group that starts late.
    { key: 'sparse', service: 'main', counts: follow(0, 1, 0).map((n, m) => (m % 23 === 0 ? n : 0)) },
    { key: 'late', service: 'main', counts: follow(1, 1, 0.1).map((n, m) => (m >= 60 ? n : 0)) },
    // Four and five spiking minutes, each echoed a minute later: only five are enough.
    ...[4, 5].flatMap((spikes): SeriesSpec[] => {
      const minutes = new Set<number>();
      while (minutes.size < spikes) minutes.add(int(0, MINUTES - 2));
      const counts = Array.from({ length: MINUTES }, (_, m) => (minutes.has(m) ? int(1, 5) : 0));
      return [
        { key: `spikes-${spikes}`, service: 'main', counts },
        { key: `echo-${spikes}`, service: 'main', counts: counts.map((_, m) => (m === 0 ? 0 : counts[m - 1]!)) },
      ];
    }),
  ];
  // Failures before the window only: never a candidate inside it.
  specs.push({ key: 'before', service: 'main', counts: [] });
  return specs;
}

describe.each(seeds(3))('correlatedGroups equals a brute-force Pearson over the same failures (seed %i)', (seed) => {
  let t: TestApp & { db: TestDatabase };
  /** The same service on the same database with nothing kept between queries: it reads the minutes with SQL. */
  let off: TestApp;
  const rnd = random(seed);
  const { int, shuffle } = generators(rnd);
  let specs: SeriesSpec[] = [];
  const occurred: Array<{ key: string; at: number }> = [];
  const groupIds = new Map<string, string>();
  const keyOf = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp();
    const services = { main: await t.createService(), other: await t.createService() };
    specs = generate(rnd);
    for (const spec of specs) spec.counts.forEach((n, m) => {
      for (let i = 0; i < n; i++) occurred.push({ key: spec.key, at: W0 + m * MINUTE + int(0, MINUTE - 1) });
    });
    for (let i = 0; i < 8; i++) occurred.push({ key: 'before', at: W0 - int(1, 120) * MINUTE });
    shuffle(occurred);
    const serviceOf = new Map(specs.map((s) => [s.key, services[s.service].name]));
    for (let i = 0; i < occurred.length; i += 500) {
      const chunk = occurred.slice(i, i + 500);
      const input = chunk.map((f, j) => report(serviceOf.get(f.key)!, { taskId: `t-${i + j}`, fingerprint: `${seed}-${f.key}`, occurredAt: new Date(f.at).toISOString() }));
      const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ group: { id: string } }> } }>(REPORT_FAILURES, { input }));
      reportFailures.failures.forEach((f, j) => groupIds.set(chunk[j]!.key, f.group.id));
    }
    for (const [key, id] of groupIds) keyOf.set(id, key);
    off = await startTestApp({ database: t.db, env: { INSIGHTS_CACHE_ROWS: '0' } });
  }, 60_000);
  afterAll(async () => {
    await off?.stop();
    await t.dispose();
  });

  /** What the documented rule answers, and the groups it weighed. */
  function bruteForce(targetKey: string, from: number, to: number) {
    const fromMinute = Math.floor(from / MINUTE);
    const toMinute = Math.ceil(to / MINUTE);
    const series = new Map<string, number[]>();
    for (const f of occurred) {
      const minute = Math.floor(f.at / MINUTE);
      if (minute < fromMinute || minute >= toMinute) continue;
      if (!series.has(f.key)) series.set(f.key, new Array<number>(toMinute - fromMinute).fill(0));
      series.get(f.key)![minute - fromMinute]! += 1;
    }
    const target = series.get(targetKey);
    const weighed = new Map<string, ReturnType<typeof lagged>>();
    if (!target) return { expected: [], weighed };
    const nonZero = (s: number[]) => s.filter((n) => n !== 0).length;
    const expected: Array<{ key: string; correlation: number; lagMinutes: number }> = [];
    for (const [key, values] of series) {
      if (key === targetKey) continue;
      const result = nonZero(target) >= MIN_NON_ZERO && nonZero(values) >= MIN_NON_ZERO ? lagged(target, values) : { best: null, byLag: new Map<number, number>() };
      weighed.set(key, result);
      if (result.best && round4(result.best.r) >= MIN_CORRELATION) expected.push({ key, correlation: round4(result.best.r), lagMinutes: result.best.lag });
    }
    return { expected, weighed };
  }

  async function expectBruteForce(targetKey: string, from: number, to: number) {
    const ask = async (app: TestApp) =>
      expectData(await app.request<{ correlatedGroups: Array<{ group: { id: string }; correlation: number; lagMinutes: number }> }>(
        `query($id: ID!, $from: DateTime!, $to: DateTime!) { correlatedGroups(id: $id, from: $from, to: $to) { group { id } correlation lagMinutes } }`,
        { id: groupIds.get(targetKey), from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      )).correlatedGroups;
    const correlatedGroups = await ask(t);
    // From minutes kept in memory or read with SQL: the same answer.
    expect(await ask(off)).toEqual(correlatedGroups);
    const { expected, weighed } = bruteForce(targetKey, from, to);
    const answer = correlatedGroups.map((c) => ({ key: keyOf.get(c.group.id)!, correlation: c.correlation, lagMinutes: c.lagMinutes }));
    const where = `${targetKey} over [${new Date(from).toISOString()}, ${new Date(to).toISOString()})`;
    // A correlation within floating-point noise of the 0.8 cut could fall either way.
    const borderline = (key: string) => Math.abs((weighed.get(key)?.best?.r ?? 0) - (MIN_CORRELATION - 0.00005)) < 1e-9;
    const sortedKeys = (list: Array<{ key: string }>) => list.map((c) => c.key).filter((k) => !borderline(k)).sort();
    expect({ where, groups: sortedKeys(answer) }).toEqual({ where, groups: sortedKeys(expected) });
    for (const found of answer.filter((c) => !borderline(c.key))) {
      const { best, byLag } = weighed.get(found.key)!;
      expect(Math.abs(found.correlation - round4(best!.r))).toBeLessThanOrEqual(1.0001e-4);
      expect(found.correlation).toBe(round4(found.correlation));
      // The brute force's lag, or one whose correlation ties with it.
      const atLag = Math.max(byLag.get(found.lagMinutes) ?? -2, byLag.get(-found.lagMinutes) ?? -2);
      if (best!.r - atLag > 1e-9) expect({ where, key: found.key, lagMinutes: found.lagMinutes }).toEqual({ where, key: found.key, lagMinutes: best!.lag });
    }
    // Strongest first, the smaller lag first on a tie.
    for (let i = 1; i < answer.length; i++) {
      const [a, b] = [answer[i - 1]!, answer[i]!];
      expect(a.correlation > b.correlation || (a.correlation === b.correlation && a.lagMinutes <= b.lagMinutes)).toBe(true);
    }
    return { expected, weighed };
  }

  it('finds, over the whole window, exactly the groups the brute force finds, at their lags', async () => {
    const { expected, weighed } = await expectBruteForce('target', W0, W0 + MINUTES * MINUTE);
    // The generator made both kinds: groups found and candidates turned down.
    expect(expected.length).toBeGreaterThan(0);
    expect(weighed.size).toBeGreaterThan(expected.length);
    expect(expected.map((c) => c.key)).not.toContain('constant');
    expect(expected.map((c) => c.key)).not.toContain('sparse');
  });

  it('answers as the brute force with every other group as the target, one without failures in the window included', async () => {
    // (A sparse series may have drawn no failure at all, and so has no group.)
    for (const spec of specs) if (spec.key !== 'target' && groupIds.has(spec.key)) await expectBruteForce(spec.key, W0, W0 + MINUTES * MINUTE);
    expect((await expectBruteForce('spikes-5', W0, W0 + MINUTES * MINUTE)).expected.map((c) => c.key)).toContain('echo-5');
    expect((await expectBruteForce('spikes-4', W0, W0 + MINUTES * MINUTE)).expected).toEqual([]);
  });

  it('counts a partly covered minute whole, on random unaligned ranges', async () => {
    for (let i = 0; i < 4; i++) {
      const from = W0 + int(0, MINUTES * MINUTE * 0.6);
      const to = from + int(10 * MINUTE, MINUTES * MINUTE * 0.5);
      await expectBruteForce(i % 2 ? 'target' : 'driven-0', from, to);
    }
    // The late group has no failure in the first hour: nothing to correlate with.
    const { expected } = await expectBruteForce('late', W0, W0 + 55 * MINUTE);
    expect(expected).toEqual([]);
  });

  it('weighs the same candidates as the brute force over ranges of whole hours and days', async () => {
    // Whole hours around the window; then a day and a half on each side of it (whole days, hours and minutes).
    await expectBruteForce('target', W0 - 15 * MINUTE - 2 * 60 * MINUTE, W0 + 105 * MINUTE);
    const { weighed } = await expectBruteForce('target', W0 - 36 * 60 * MINUTE, W0 + 36 * 60 * MINUTE);
    expect(weighed.has('before')).toBe(true);
  });

  it('answers an empty list for a range without failures, and refuses ranges it cannot answer', async () => {
    const { expected } = await expectBruteForce('target', W0 - 6 * 60 * MINUTE, W0 - 3 * 60 * MINUTE);
    expect(expected).toEqual([]);
    const query = `query($id: ID!, $from: DateTime!, $to: DateTime!) { correlatedGroups(id: $id, from: $from, to: $to) { correlation } }`;
    const id = groupIds.get('target');
    expect(errorCode(await t.request(query, { id, from: new Date(W0 - 8 * 1_440 * MINUTE).toISOString(), to: new Date(W0).toISOString() }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.request(query, { id, from: new Date(W0 + MINUTE).toISOString(), to: new Date(W0).toISOString() }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.request(query, { id: '00000000-0000-0000-0000-000000000000', from: new Date(W0).toISOString(), to: new Date(W0 + MINUTE).toISOString() }))).toBe('NOT_FOUND');
  });
});
