/**
 * Which attribute values (version, host, region…) an error pattern is concentrated on, next to
 * how common they are among all failures of its service. Pure functions, no dependencies.
 */

export interface AttributeValueCount {
  attribute: string;
  value: string;
  /** Failures of the group with this value. */
  count: number;
  /** Failures of the same service in the same period with this value, the group's own included. */
  baselineCount: number;
}

export interface ValueShare {
  value: string;
  count: number;
  /** count / groupTotal, rounded to 4 decimals. */
  share: number;
  /** baselineCount / baselineTotal, rounded to 4 decimals. */
  baselineShare: number;
  /** share / baselineShare (from the unrounded shares), rounded to 4 decimals; 0 when baselineShare is 0. */
  lift: number;
}

export interface Suspect {
  attribute: string;
  value: string;
  share: number;
  baselineShare: number;
  lift: number;
  count: number;
}

export interface SuspectOptions {
  /** Fewest failures of the group with the value. Default 5. */
  minCount?: number;
  /** Smallest lift (share / baselineShare). Default 2. */
  minLift?: number;
  /** Smallest share of the group. Default 0.3. */
  minShare?: number;
  /** Most suspects returned; a non-negative integer. Default 10. */
  limit?: number;
}

/** The overflow bucket of an attribute capped to its most common values; never a suspect. */
export const OTHER_VALUE = '(other)';
export const DEFAULT_SUSPECT_MIN_COUNT = 5;
export const DEFAULT_SUSPECT_MIN_LIFT = 2;
export const DEFAULT_SUSPECT_MIN_SHARE = 0.3;
export const DEFAULT_SUSPECT_LIMIT = 10;

/**
 * Shares of one attribute's values in the group next to the service baseline, one row per
 * entry of `counts`, sorted by count desc then value. share = count / groupTotal, baselineShare =
 * baselineCount / baselineTotal, lift = share / baselineShare; a zero denominator gives 0 (the
 * baseline includes the group, so it cannot be 0 for a counted value; guarded anyway). Values are
 * rounded to 4 decimals. Throws RangeError when the counts name more than one attribute.
 */
export function attributeBreakdown(
  groupTotal: number,
  baselineTotal: number,
  counts: readonly AttributeValueCount[],
): ValueShare[] {
  const attributes = new Set(counts.map((c) => c.attribute));
  if (attributes.size > 1) {
    throw new RangeError(`attributeBreakdown takes one attribute, got ${[...attributes].join(', ')}`);
  }
  return counts
    .map((c) => ({ value: c.value, count: c.count, ...shares(groupTotal, baselineTotal, c) }))
    .sort((x, y) => y.count - x.count || compare(x.value, y.value));
}

/**
 * Attribute values over-represented in the group (e.g. "92% of this pattern is on version 2.0.1,
 * which carries 18% of the service's failures"): count ≥ minCount, share ≥ minShare and
 * lift ≥ minLift, compared on the rounded values that are returned. Strongest first: lift desc,
 * then share desc, then attribute, then value; at most `limit`. The value "(other)"
 * ({@link OTHER_VALUE}) is never a suspect. Counts may mix attributes.
 * Throws RangeError when limit is not a non-negative integer.
 */
export function findSuspects(
  groupTotal: number,
  baselineTotal: number,
  counts: readonly AttributeValueCount[],
  options: SuspectOptions = {},
): Suspect[] {
  const minCount = options.minCount ?? DEFAULT_SUSPECT_MIN_COUNT;
  const minLift = options.minLift ?? DEFAULT_SUSPECT_MIN_LIFT;
  const minShare = options.minShare ?? DEFAULT_SUSPECT_MIN_SHARE;
  const limit = options.limit ?? DEFAULT_SUSPECT_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
  return counts
    .filter((c) => c.value !== OTHER_VALUE && c.count >= minCount)
    .map(
      (c): Suspect => ({
        attribute: c.attribute,
        value: c.value,
        count: c.count,
        ...shares(groupTotal, baselineTotal, c),
      }),
    )
    .filter((s) => s.share >= minShare && s.lift >= minLift)
    .sort(
      (x, y) =>
        y.lift - x.lift ||
        y.share - x.share ||
        compare(x.attribute, y.attribute) ||
        compare(x.value, y.value),
    )
    .slice(0, limit);
}

/**
 * Human sentence for a suspect, e.g. "92% of this pattern's failures have version=2.0.1, which
 * carries 18% of the service's failures (5.1× lift)". Percentages are whole numbers; a share
 * that would round to 0% or 100% without being exactly that reads "<1%" or ">99%".
 */
export function describeSuspect(s: Suspect): string {
  return (
    `${percent(s.share)} of this pattern's failures have ${s.attribute}=${s.value}, ` +
    `which carries ${percent(s.baselineShare)} of the service's failures (${s.lift.toFixed(1)}× lift)`
  );
}

function shares(
  groupTotal: number,
  baselineTotal: number,
  c: AttributeValueCount,
): { share: number; baselineShare: number; lift: number } {
  const share = ratio(c.count, groupTotal);
  const baselineShare = ratio(c.baselineCount, baselineTotal);
  const lift = ratio(share, baselineShare);
  return { share: round4(share), baselineShare: round4(baselineShare), lift: round4(lift) };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function percent(fraction: number): string {
  const whole = Math.round(fraction * 100);
  if (whole === 0 && fraction > 0) return '<1%';
  if (whole === 100 && fraction < 1) return '>99%';
  return `${whole}%`;
}

// Code-point order, so the result does not depend on the runtime's locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round4(value: number): number {
  // `|| 0` turns -0 into 0.
  return Math.round(value * 10_000) / 10_000 || 0;
}
