import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor, pageSize } from '../../../src/platform/graphql/pagination';

describe('cursors and page sizes', () => {
  it('round-trips the sort key through an opaque cursor', () => {
    const cursor = encodeCursor(['2026-11-28 10:00:00.123', 'abc']);
    expect(cursor).not.toContain('abc');
    expect(decodeCursor(cursor, 2)).toEqual(['2026-11-28 10:00:00.123', 'abc']);
  });

  it.each(['not-a-cursor', encodeCursor(['only-one']), Buffer.from('{"a":1}').toString('base64url'), encodeCursor([{} as never, 'x'])])(
    'refuses the forged cursor %s as BAD_USER_INPUT',
    (cursor) => {
      expect(() => decodeCursor(cursor, 2)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    },
  );

  it('defaults, accepts and caps "first"', () => {
    expect(pageSize(undefined, 100)).toBe(20);
    expect(pageSize(null, 10)).toBe(10);
    expect(pageSize(100, 100)).toBe(100);
    expect(() => pageSize(101, 100)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => pageSize(-1, 100)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
