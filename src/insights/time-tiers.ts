/**
 * The time tiers of the rollups (UTC minutes, hours, quarter days and days since the Unix epoch)
 * and how a range of minutes is covered by as few of their buckets as possible. Pure functions.
 */

/** A quarter is a quarter of a UTC day: 00–06, 06–12, 12–18, 18–24. */
export type Span = 'MINUTE' | 'HOUR' | 'QUARTER' | 'DAY';

/** Minutes per bucket of each span; each divides the next. */
export const SPAN_MINUTES: Readonly<Record<Span, number>> = { MINUTE: 1, HOUR: 60, QUARTER: 360, DAY: 1_440 };

/** Whole buckets [from, to) of one span, in that span's units (minutes, hours, quarters or days since the epoch). */
export interface SpanRange {
  span: Span;
  from: number;
  to: number;
}

const COARSER_FIRST: readonly Span[] = ['DAY', 'QUARTER', 'HOUR', 'MINUTE'];

/**
 * The minutes [fromMinute, toMinute) as whole buckets of the given spans (minutes are always
 * allowed): the coarsest buckets that fit in the middle, finer ones beside them, single minutes
 * at the edges. The ranges are non-empty, disjoint, in time order, and together cover exactly the
 * given minutes; none when the range is empty. Throws RangeError for bounds that are not integers.
 */
export function coverMinutes(fromMinute: number, toMinute: number, spans: readonly Span[]): SpanRange[] {
  if (!Number.isInteger(fromMinute) || !Number.isInteger(toMinute)) throw new RangeError(`minute bounds must be integers, got ${fromMinute} and ${toMinute}`);
  return cover(fromMinute, toMinute, COARSER_FIRST.filter((s) => s === 'MINUTE' || spans.includes(s)));
}

/** The spans no wider than a bucket of `width` minutes (those that divide it), from `available`. */
export function spansWithin(width: number, available: readonly Span[]): Span[] {
  return available.filter((s) => width % SPAN_MINUTES[s] === 0);
}

function cover(from: number, to: number, spans: readonly Span[]): SpanRange[] {
  if (from >= to) return [];
  const [span, ...finer] = spans as [Span, ...Span[]];
  if (!finer.length) return [{ span, from, to }]; // minutes: the finest span covers anything
  const width = SPAN_MINUTES[span];
  const first = Math.ceil(from / width);
  const end = Math.floor(to / width);
  if (first >= end) return cover(from, to, finer);
  return [...cover(from, first * width, finer), { span, from: first, to: end }, ...cover(end * width, to, finer)];
}
