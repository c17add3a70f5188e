import { describe, expect, it } from '@jest/globals';
import { formatAgo, formatBucket, formatCount, formatDuration, formatShare, formatUtc, groupActionQuestion, plural, prettyJson, truncate } from '../../../src/console/lib/format';
import { capabilitiesOf } from '../../../src/console/lib/roles';

describe('console formatting', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [9999, '9,999'],
    [12_345, '12.3k'],
    [100_000, '100k'],
    [2_500_000, '2.5M'],
    [3_000_000, '3M'],
  ])('counts: %d → %s', (n, text) => expect(formatCount(n)).toBe(text));

  it('writes how long ago, coarsely, and never "in the future"', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(formatAgo('2026-11-28T12:00:03Z', now)).toBe('just now');
    expect(formatAgo('2026-11-28T11:59:58Z', now)).toBe('just now');
    expect(formatAgo('2026-11-28T11:59:18Z', now)).toBe('42 s ago');
    expect(formatAgo('2026-11-28T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2026-11-28T09:00:01Z', now)).toBe('2 h ago');
    expect(formatAgo('2026-11-25T12:00:00Z', now)).toBe('3 d ago');
  });

  it.each<[number | null, string]>([
    [null, '—'],
    [0, '0 s'],
    [45, '45 s'],
    [200, '3 min 20 s'],
    [7205, '2 h 0 min'],
    [7500, '2 h 5 min'],
    [86_400 * 3 + 3600 * 4 + 59, '3 d 4 h'],
  ])('durations: %p → %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));

  it('writes instants and bucket labels in UTC', () => {
    expect(formatUtc('2026-11-28T21:10:56.789Z')).toBe('2026-11-28 21:10:56 UTC');
    expect(formatBucket('2026-11-28T21:00:00Z', 'HOUR')).toBe('11-28 21:00');
    expect(formatBucket('2026-11-28T21:07:00Z', 'MINUTE')).toBe('21:07');
    expect(formatBucket('2026-11-28T00:00:00Z', 'DAY')).toBe('2026-11-28');
  });

  it('writes shares as percentages, keeping small ones visible', () => {
    expect(formatShare(0.923)).toBe('92%');
    expect(formatShare(0.004)).toBe('0.4%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(1)).toBe('100%');
  });

  it('pretty-prints payloads and names their absence', () => {
    expect(prettyJson({ a: 1, b: [2] })).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}');
    expect(prettyJson(null)).toBe('(none)');
  });

  it('truncates at a word with an ellipsis', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('connection refused by upstream host', 20)).toBe('connection refused…');
    expect(truncate('abcdefghijklmnopqrstuvwxyz', 10)).toBe('abcdefghi…');
  });

  it('says how many failures a group action touches', () => {
    expect(plural(1, 'failure')).toBe('1 failure');
    expect(plural(1200, 'failure')).toBe('1,200 failures');
    expect(groupActionQuestion('retry', 3)).toBe('This will retry 3 failed failures of this group.');
    expect(groupActionQuestion('discard', 1)).toBe('This will discard 1 open failure of this group.');
    expect(groupActionQuestion('resolve', 12)).toBe('This will resolve by hand 12 open failures of this group.');
    expect(groupActionQuestion('retry', 0)).toMatch(/No failure/);
    expect(groupActionQuestion('discard', 0)).toMatch(/no open failure/);
  });

  it('offers actions to operators and admins only, and refuses reporters', () => {
    expect(capabilitiesOf('ADMIN')).toEqual({ read: true, act: true });
    expect(capabilitiesOf('OPERATOR')).toEqual({ read: true, act: true });
    expect(capabilitiesOf('VIEWER')).toEqual({ read: true, act: false });
    expect(capabilitiesOf('REPORTER')).toEqual({ read: false, act: false });
  });
});
