/**
 * What a delivery handler throws to tell the worker whether trying again can help: network
 * errors, timeouts, 429 and 5xx can; other 4xx and invalid data cannot.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The receiver asked for at least this pause (Retry-After), in milliseconds. */
    readonly retryAfterMs?: number,
    /** Nothing was attempted (e.g. paced under a rate limit): reschedule without counting an attempt. */
    readonly deferOnly = false,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
