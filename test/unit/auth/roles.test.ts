import { describe, expect, it } from '@jest/globals';
import { Role, roleSatisfies } from '../../../src/auth/roles';
import { digestsEqual, hashToken, parseBearer } from '../../../src/auth/token';

describe('roles', () => {
  it.each([
    ['ADMIN', 'OPERATOR', true],
    ['ADMIN', 'VIEWER', true],
    ['OPERATOR', 'VIEWER', true],
    ['OPERATOR', 'ADMIN', false],
    ['VIEWER', 'OPERATOR', false],
    ['REPORTER', 'REPORTER', true],
    ['REPORTER', 'VIEWER', false],
    ['ADMIN', 'REPORTER', false],
  ] as Array<[Role, Role, boolean]>)('%s satisfies %s: %s', (role, required, expected) => {
    expect(roleSatisfies(role, required)).toBe(expected);
  });
});

describe('tokens', () => {
  it('reads the token from a Bearer header only', () => {
    expect(parseBearer('Bearer abc')).toBe('abc');
    expect(parseBearer('bearer   abc ')).toBe('abc');
    expect(parseBearer('Basic abc')).toBeUndefined();
    expect(parseBearer(undefined)).toBeUndefined();
  });

  it('compares digests of equal and unequal tokens', () => {
    expect(digestsEqual(hashToken('a'), hashToken('a'))).toBe(true);
    expect(digestsEqual(hashToken('a'), hashToken('b'))).toBe(false);
    expect(digestsEqual(hashToken('a'), 'abcd')).toBe(false);
  });
});
