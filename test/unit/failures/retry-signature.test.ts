import { describe, expect, it } from '@jest/globals';
import { signRetryRequest, verifyRetrySignature } from '../../../src/failures/retry-signature';
import { parseRetryAfterMs } from '../../../src/failures/retry-webhook';

const SECRET = 'shh';
const BODY = '{"requestId":"r1","failureId":"f1"}';
const NOW = 1_800_000_000;

describe('retry request signatures', () => {
  it('verifies a fresh signature of the exact body', () => {
    expect(verifyRetrySignature(SECRET, BODY, signRetryRequest(SECRET, BODY, NOW), NOW + 10)).toBe(true);
  });

  it.each([
    ['another body', () => verifyRetrySignature(SECRET, `${BODY} `, signRetryRequest(SECRET, BODY, NOW), NOW)],
    ['another secret', () => verifyRetrySignature('other', BODY, signRetryRequest(SECRET, BODY, NOW), NOW)],
    ['a replay after the tolerance', () => verifyRetrySignature(SECRET, BODY, signRetryRequest(SECRET, BODY, NOW), NOW + 301)],
    ['a missing header', () => verifyRetrySignature(SECRET, BODY, undefined, NOW)],
    ['a garbled header', () => verifyRetrySignature(SECRET, BODY, 't=abc,v1=zz', NOW)],
    ['a moved timestamp', () => verifyRetrySignature(SECRET, BODY, signRetryRequest(SECRET, BODY, NOW).replace(`t=${NOW}`, `t=${NOW + 1}`), NOW)],
  ])('refuses %s', (_case, check) => {
    expect(check()).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('120')).toBe(120_000);
    expect(parseRetryAfterMs(new Date(1_000_000 + 5_000).toUTCString(), 1_000_000)).toBe(5_000);
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
    expect(parseRetryAfterMs('soon')).toBeUndefined();
  });
});
