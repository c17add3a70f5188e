import { createHmac, timingSafeEqual } from 'node:crypto';

export const RETRY_SIGNATURE_HEADER = 'x-failure-desk-signature';
export const RETRY_REQUEST_ID_HEADER = 'x-failure-desk-request-id';
/** A signed request older (or newer) than this is refused by `verifyRetrySignature`. */
export const RETRY_SIGNATURE_TOLERANCE_SECONDS = 300; // 5 minutes

/**
 * Signature header of a retry request: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
 * The timestamp is inside the signed text, so a captured request cannot be replayed later.
 */
export function signRetryRequest(secret: string, rawBody: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * What a receiving service runs on a retry request: true when the header carries a valid
 * signature of `rawBody` made within the tolerance of `nowSeconds`.
 */
export function verifyRetrySignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = RETRY_SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  const parts = new Map((header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(timestamp) || !given || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = signRetryRequest(secret, rawBody, timestamp).split('v1=')[1]!;
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(given, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
