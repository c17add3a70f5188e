import { describe, expect, it } from '@jest/globals';
import { SPAN_MINUTES, type Span, coverMinutes, spansWithin } from '../../../src/insights/time-tiers';
import { random } from '../../helpers/seeded-random';

const DAY = 1_440;
const H = 60;

/** The minutes a cover names, as [first, end) runs merged where they touch: one run when it is gapless. */
function runsOf(ranges: ReturnType<typeof coverMinutes>): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const r of ranges) {
    const [from, to] = [r.from * SPAN_MINUTES[r.span], r.to * SPAN_MINUTES[r.span]];
    const last = runs[runs.length - 1];
    if (last && last[1] === from) last[1] = to;
    else runs.push([from, to]);
  }
  return runs;
}

describe('covering a range of minutes with rollup buckets', () => {
  const DAYS: Span[] = ['DAY', 'HOUR'];
  const QUARTERS: Span[] = ['DAY', 'QUARTER', 'HOUR'];
  it.each<[string, number, number, Span[], ReturnType<typeof coverMinutes>]>([
    ['an empty range', 100, 100, DAYS, []],
    ['a backwards range', 200, 100, DAYS, []],
    ['a range inside one hour', 61, 119, DAYS, [{ span: 'MINUTE', from: 61, to: 119 }]],
    ['one whole hour', H, 2 * H, DAYS, [{ span: 'HOUR', from: 1, to: 2 }]],
    ['a partial hour on each side of whole hours', 90, 4 * H + 5, ['HOUR'], [{ span: 'MINUTE', from: 90, to: 120 }, { span: 'HOUR', from: 2, to: 4 }, { span: 'MINUTE', from: 240, to: 245 }]],
    ['24 hours not aligned to a day', 10 * H + 37, DAY + 10 * H + 37, DAYS, [
      { span: 'MINUTE', from: 637, to: 660 },
      { span: 'HOUR', from: 11, to: 34 },
      { span: 'MINUTE', from: 2040, to: 2077 },
    ]],
    ['24 hours with quarter days', 10 * H + 37, DAY + 10 * H + 37, QUARTERS, [
      { span: 'MINUTE', from: 637, to: 660 },
      { span: 'HOUR', from: 11, to: 12 },
      { span: 'QUARTER', from: 2, to: 5 },
      { span: 'HOUR', from: 30, to: 34 },
      { span: 'MINUTE', from: 2040, to: 2077 },
    ]],
    ['days with hours and minutes at both ends', 23 * H + 59, 3 * DAY + 2 * H + 1, DAYS, [
      { span: 'MINUTE', from: 1439, to: 1440 },
      { span: 'DAY', from: 1, to: 3 },
      { span: 'HOUR', from: 72, to: 74 },
      { span: 'MINUTE', from: 4440, to: 4441 },
    ]],
    ['whole days when days are not allowed', 0, 2 * DAY, ['HOUR'], [{ span: 'HOUR', from: 0, to: 48 }]],
    ['anything, in minutes only', 0, 2 * DAY, [], [{ span: 'MINUTE', from: 0, to: 2 * DAY }]],
  ])('covers %s', (_name, from, to, spans, expected) => {
    expect(coverMinutes(from, to, spans)).toEqual(expected);
  });

  it('uses for a bucket only the spans that divide it', () => {
    expect(spansWithin(SPAN_MINUTES.HOUR, ['DAY', 'QUARTER', 'HOUR'])).toEqual(['HOUR']);
    expect(spansWithin(SPAN_MINUTES.DAY, ['DAY', 'QUARTER', 'HOUR'])).toEqual(['DAY', 'QUARTER', 'HOUR']);
    expect(spansWithin(SPAN_MINUTES.MINUTE, ['DAY', 'HOUR'])).toEqual([]);
  });

  it('covers every minute of random ranges exactly once, with the coarsest buckets that fit', () => {
    const rnd = random(20_260_301);
    for (let i = 0; i < 2_000; i++) {
      const from = Math.floor(rnd() * 10 * DAY);
      const to = from + Math.floor(rnd() * (rnd() < 0.5 ? 3 * H : 5 * DAY));
      const spans = ([[], ['HOUR'], DAYS, QUARTERS] as Span[][])[i % 4]!;
      const ranges = coverMinutes(from, to, spans);
      expect(runsOf(ranges)).toEqual(to > from ? [[from, to]] : []);
      for (const r of ranges) expect(r.to).toBeGreaterThan(r.from);
      // Never more than 59 loose minutes per side, nor 23 (with quarters 5) loose hours per side.
      const total = (span: Span) => ranges.filter((r) => r.span === span).reduce((n, r) => n + r.to - r.from, 0);
      expect(total('MINUTE')).toBeLessThanOrEqual(spans.length ? 2 * 59 : to - from);
      if (spans === QUARTERS) expect(total('HOUR')).toBeLessThanOrEqual(2 * 5 + (ranges.some((r) => r.span !== 'MINUTE' && r.span !== 'HOUR') ? 0 : 6));
      else if (spans === DAYS) expect(total('HOUR')).toBeLessThanOrEqual(2 * 23 + (ranges.some((r) => r.span === 'DAY') ? 0 : 24));
    }
  });

  it('refuses bounds that are not whole minutes', () => {
    expect(() => coverMinutes(0.5, 10, ['DAY'])).toThrow(RangeError);
  });
});
