import { describe, expect, it } from '@jest/globals';

import {
  attributeBreakdown,
  type AttributeValueCount,
  describeSuspect,
  findSuspects,
  type Suspect,
} from '../../../src/insights/suspects';

function row(attribute: string, value: string, count: number, baselineCount: number): AttributeValueCount {
  return { attribute, value, count, baselineCount };
}

// A pattern of 50 failures in a service with 500 (the pattern's own included): 46 of them (92%)
// on version 2.0.1, which carries 90 of the service's failures (18%).
const GROUP_TOTAL = 50;
const BASELINE_TOTAL = 500;
const VERSIONS = [row('version', '2.0.1', 46, 90), row('version', '2.0.0', 4, 410)];
const REGIONS = [row('region', 'eu-west-1', 25, 250), row('region', 'us-east-1', 25, 250)];

describe('findSuspects', () => {
  it('finds a value the group is concentrated on, with its lift over the baseline', () => {
    expect(findSuspects(GROUP_TOTAL, BASELINE_TOTAL, [...VERSIONS, ...REGIONS])).toEqual([
      { attribute: 'version', value: '2.0.1', count: 46, share: 0.92, baselineShare: 0.18, lift: 5.1111 },
    ]);
  });

  it('does not name a value as common in the group as in the baseline', () => {
    expect(findSuspects(GROUP_TOTAL, BASELINE_TOTAL, REGIONS)).toEqual([]);
  });

  // Each row fails exactly one threshold: lowering that one lets it through.
  it.each<[string, number, AttributeValueCount, object]>([
    ['fewer failures than minCount', 10, row('host', 'web-7', 4, 10), { minCount: 4 }],
    ['a share below minShare', 50, row('host', 'web-7', 10, 10), { minShare: 0.2 }],
    ['a lift below minLift', 50, row('host', 'web-7', 30, 190), { minLift: 1.5 }],
  ])('does not name a value with %s, however strong otherwise', (_title, groupTotal, count, options) => {
    expect(findSuspects(groupTotal, BASELINE_TOTAL, [count])).toEqual([]);
    expect(findSuspects(groupTotal, BASELINE_TOTAL, [count], options)).toHaveLength(1);
  });

  it('never names "(other)", even with every threshold at zero', () => {
    const counts = [row('host', '(other)', 45, 50), row('host', 'web-7', 5, 450)];
    const options = { minCount: 0, minLift: 0, minShare: 0 };

    expect(findSuspects(GROUP_TOTAL, BASELINE_TOTAL, counts)).toEqual([]);
    expect(findSuspects(GROUP_TOTAL, BASELINE_TOTAL, counts, options).map((s) => s.value)).toEqual(['web-7']);
  });

  it('orders by lift, then share, then attribute and value', () => {
    const counts = [
      row('region', 'eu-west-1', 40, 50), // share 0.4, lift 4
      row('version', '2.0.1', 92, 100), // share 0.92, lift 4.6
      row('host', 'web-7', 80, 100), // share 0.8, lift 4
      row('az', 'b', 40, 50), // share 0.4, lift 4: ties region on lift and share
    ];

    expect(findSuspects(100, 500, counts).map((s) => `${s.attribute}=${s.value}`)).toEqual([
      'version=2.0.1',
      'host=web-7',
      'az=b',
      'region=eu-west-1',
    ]);
  });

  it('returns at most limit suspects, the strongest', () => {
    const counts = [row('host', 'web-7', 80, 100), row('version', '2.0.1', 92, 100)];

    expect(findSuspects(100, 500, counts).map((s) => s.value)).toEqual(['2.0.1', 'web-7']);
    expect(findSuspects(100, 500, counts, { limit: 1 }).map((s) => s.value)).toEqual(['2.0.1']);
    expect(findSuspects(100, 500, counts, { limit: 0 })).toEqual([]);
  });

  it('throws a RangeError for a negative limit', () => {
    expect(() => findSuspects(GROUP_TOTAL, BASELINE_TOTAL, VERSIONS, { limit: -1 })).toThrow(RangeError);
  });

  it('gives no lift, so no suspect, when the baseline is empty', () => {
    const counts = [row('version', '2.0.1', 46, 0)];

    expect(findSuspects(GROUP_TOTAL, 0, counts, { minLift: 0 })).toEqual([
      { attribute: 'version', value: '2.0.1', count: 46, share: 0.92, baselineShare: 0, lift: 0 },
    ]);
    expect(findSuspects(GROUP_TOTAL, 0, counts)).toEqual([]);
  });
});

describe('attributeBreakdown', () => {
  it('lists shares next to the baseline, by count then value', () => {
    const counts = [
      row('host', 'web-2', 3, 150),
      row('host', 'web-9', 5, 100),
      row('host', 'web-1', 3, 50),
      row('host', 'web-7', 9, 200),
    ];

    expect(attributeBreakdown(20, 500, counts)).toEqual([
      { value: 'web-7', count: 9, share: 0.45, baselineShare: 0.4, lift: 1.125 },
      { value: 'web-9', count: 5, share: 0.25, baselineShare: 0.2, lift: 1.25 },
      { value: 'web-1', count: 3, share: 0.15, baselineShare: 0.1, lift: 1.5 },
      { value: 'web-2', count: 3, share: 0.15, baselineShare: 0.3, lift: 0.5 },
    ]);
  });

  it.each<[string, number, number, AttributeValueCount[]]>([
    ['versions', GROUP_TOTAL, BASELINE_TOTAL, VERSIONS],
    ['regions', GROUP_TOTAL, BASELINE_TOTAL, REGIONS],
    [
      'thirds that do not divide evenly',
      3,
      7,
      [row('az', 'a', 1, 2), row('az', 'b', 1, 2), row('az', 'c', 1, 3)],
    ],
  ])('has shares that sum to 1 for complete data (%s)', (_title, groupTotal, baselineTotal, counts) => {
    const breakdown = attributeBreakdown(groupTotal, baselineTotal, counts);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

    expect(sum(breakdown.map((v) => v.share))).toBeCloseTo(1, 3);
    expect(sum(breakdown.map((v) => v.baselineShare))).toBeCloseTo(1, 3);
  });

  it('rounds to 4 decimals', () => {
    expect(attributeBreakdown(3, 7, [row('az', 'a', 1, 2)])).toEqual([
      { value: 'a', count: 1, share: 0.3333, baselineShare: 0.2857, lift: 1.1667 },
    ]);
  });

  it('gives 0 rather than dividing by zero', () => {
    expect(attributeBreakdown(0, 0, [row('az', 'a', 0, 0)])).toEqual([
      { value: 'a', count: 0, share: 0, baselineShare: 0, lift: 0 },
    ]);
  });

  it('returns nothing for no counts', () => {
    expect(attributeBreakdown(GROUP_TOTAL, BASELINE_TOTAL, [])).toEqual([]);
  });

  it('throws a RangeError when the counts name more than one attribute', () => {
    expect(() => attributeBreakdown(GROUP_TOTAL, BASELINE_TOTAL, [...VERSIONS, ...REGIONS])).toThrow(RangeError);
  });
});

describe('describeSuspect', () => {
  function suspect(overrides: Partial<Suspect>): Suspect {
    return { attribute: 'version', value: '2.0.1', count: 46, share: 0.92, baselineShare: 0.18, lift: 5.1111, ...overrides };
  }

  it.each<[string, Partial<Suspect>, string]>([
    [
      'names the value, both shares and the lift',
      {},
      "92% of this pattern's failures have version=2.0.1, which carries 18% of the service's failures (5.1× lift)",
    ],
    [
      'says "<1%" for a share that is not zero but rounds to it',
      { attribute: 'host', value: 'web-7', share: 0.6, baselineShare: 0.004, lift: 150 },
      "60% of this pattern's failures have host=web-7, which carries <1% of the service's failures (150.0× lift)",
    ],
    [
      'says ">99%" for a share that is not all but rounds to it',
      { share: 0.9962, baselineShare: 0.33, lift: 3.0188 },
      ">99% of this pattern's failures have version=2.0.1, which carries 33% of the service's failures (3.0× lift)",
    ],
    [
      'says "100%" only when every failure has the value',
      { share: 1, baselineShare: 0.25, lift: 4 },
      "100% of this pattern's failures have version=2.0.1, which carries 25% of the service's failures (4.0× lift)",
    ],
  ])('%s', (_title, overrides, sentence) => {
    expect(describeSuspect(suspect(overrides))).toBe(sentence);
  });

  it('describes what findSuspects returns', () => {
    const [found] = findSuspects(GROUP_TOTAL, BASELINE_TOTAL, VERSIONS);

    expect(describeSuspect(found!)).toBe(
      "92% of this pattern's failures have version=2.0.1, which carries 18% of the service's failures (5.1× lift)",
    );
  });
});
