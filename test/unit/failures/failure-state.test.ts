import { describe, expect, it } from '@jest/globals';
import { FAILURE_TRANSITIONS, FailureStatus, assertFailureTransition, canTransitionFailure, isOpenFailureStatus } from '../../../src/failures/failure.state';
import { ErrorCode } from '../../../src/platform/errors';

const ALL = Object.values(FailureStatus);
const ALLOWED: Array<[FailureStatus, FailureStatus]> = [
  ['FAILED', 'RETRYING'],
  ['FAILED', 'DISCARDED'],
  ['FAILED', 'RESOLVED'],
  ['RETRYING', 'SUCCEEDED'],
  ['RETRYING', 'FAILED'],
  ['RETRYING', 'DISCARDED'],
  ['RETRYING', 'RESOLVED'],
];
const pairs = ALL.flatMap((from) => ALL.map((to) => [from, to] as [FailureStatus, FailureStatus]));
const isAllowed = (from: FailureStatus, to: FailureStatus) => ALLOWED.some(([f, t]) => f === from && t === to);

describe('the failure lifecycle', () => {
  it.each(pairs.filter(([f, t]) => isAllowed(f, t)))('allows %s → %s', (from, to) => {
    expect(canTransitionFailure(from, to)).toBe(true);
    expect(() => assertFailureTransition('f-1', from, to)).not.toThrow();
  });

  it.each(pairs.filter(([f, t]) => !isAllowed(f, t)))('refuses %s → %s with a CONFLICT naming both states', (from, to) => {
    expect(canTransitionFailure(from, to)).toBe(false);
    try {
      assertFailureTransition('f-1', from, to);
      throw new Error('expected a conflict');
    } catch (error) {
      expect((error as { code: string }).code).toBe(ErrorCode.CONFLICT);
      expect((error as Error).message).toContain(from);
      expect((error as Error).message).toContain(to);
    }
  });

  it('treats only FAILED and RETRYING as open', () => {
    expect(ALL.filter(isOpenFailureStatus)).toEqual(['FAILED', 'RETRYING']);
  });

  it('has no way out of a closed state', () => {
    for (const status of ALL.filter((s) => !isOpenFailureStatus(s))) expect(FAILURE_TRANSITIONS[status]).toEqual([]);
  });
});
