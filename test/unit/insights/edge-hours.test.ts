import { describe, expect, it } from '@jest/globals';
import { edgeHoursByComplement } from '../../../src/insights/rollup-reader';
import { type Span, type SpanRange, coverMinutes } from '../../../src/insights/time-tiers';
import { random } from '../../helpers/seeded-random';

const H = 60;
const DAYS: Span[] = ['DAY', 'HOUR'];

/** How many times each minute of [0, end) is counted: +1 per range that adds it, -1 per range that subtracts it. */
function weights(add: readonly SpanRange[], subtract: readonly SpanRange[], end: number): number[] {
  const w = new Array<number>(end).fill(0);
  const width = { MINUTE: 1, HOUR: H, QUARTER: 6 * H, DAY: 24 * H } as const;
  for (const [ranges, sign] of [[add, 1], [subtract, -1]] as const) {
    for (const r of ranges) for (let m = r.from * width[r.span]; m < r.to * width[r.span]; m++) w[m]! += sign;
  }
  return w;
}

describe('reading an edge hour as the hour less the minutes outside the range', () => {
  it.each<[string, number, number, Span[], { add: SpanRange[]; subtract: SpanRange[] }]>([
    ['most of an hour at the start', 10 * H + 5, 14 * H, DAYS, {
      add: [{ span: 'HOUR', from: 10, to: 11 }, { span: 'HOUR', from: 11, to: 14 }],
      subtract: [{ span: 'MINUTE', from: 600, to: 605 }],
    }],
    ['a few minutes at the end stay minutes', 10 * H, 12 * H + 20, DAYS, {
      add: [{ span: 'HOUR', from: 10, to: 12 }, { span: 'MINUTE', from: 720, to: 740 }],
      subtract: [],
    }],
    ['exactly half an hour stays minutes', 10 * H + 30, 12 * H, DAYS, {
      add: [{ span: 'MINUTE', from: 630, to: 660 }, { span: 'HOUR', from: 11, to: 12 }],
      subtract: [],
    }],
    ['a range inside one hour, minutes outside on both sides', 10 * H + 5, 10 * H + 50, DAYS, {
      add: [{ span: 'HOUR', from: 10, to: 11 }],
      subtract: [{ span: 'MINUTE', from: 600, to: 605 }, { span: 'MINUTE', from: 650, to: 660 }],
    }],
    ['no hours among the spans (MINUTE buckets): unchanged', 10 * H + 5, 12 * H + 50, [], {
      add: [{ span: 'MINUTE', from: 605, to: 770 }],
      subtract: [],
    }],
  ])('%s', (_name, from, to, spans, expected) => {
    expect(edgeHoursByComplement(coverMinutes(from, to, spans), spans)).toEqual(expected);
  });

  it('counts every minute of the range once and no other minute, for random ranges and spans', () => {
    const rnd = random(20261129);
    for (let i = 0; i < 2_000; i++) {
      const from = Math.floor(rnd() * 5 * 24 * H);
      const to = from + Math.floor(rnd() * 3 * 24 * H);
      const spans = ([['DAY', 'HOUR'], ['DAY', 'QUARTER', 'HOUR'], ['HOUR'], ['DAY'], []] as Span[][])[i % 5]!;
      const { add, subtract } = edgeHoursByComplement(coverMinutes(from, to, spans), spans);
      const w = weights(add, subtract, 9 * 24 * H);
      const wrong = w.findIndex((n, m) => n !== (m >= from && m < to ? 1 : 0));
      expect({ from, to, spans, wrong }).toEqual({ from, to, spans, wrong: -1 });
      // Never more minutes read than the plain cover reads.
      const minutes = (ranges: readonly SpanRange[]) => ranges.filter((r) => r.span === 'MINUTE').reduce((n, r) => n + r.to - r.from, 0);
      expect(minutes(add) + minutes(subtract)).toBeLessThanOrEqual(minutes(coverMinutes(from, to, spans)));
    }
  });
});
