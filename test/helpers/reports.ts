import { randomUUID } from 'node:crypto';

/** A valid report for `service`; override any field. */
export function report(service: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    service,
    taskType: 'send-invoice-email',
    taskId: `task-${randomUUID()}`,
    pattern: 'MESSAGE_QUEUE',
    source: 'invoices.email',
    attempt: 1,
    errorType: 'SmtpConnectionError',
    errorMessage: 'connect ECONNREFUSED 10.0.0.12:587',
    severity: 'ERROR',
    attributes: { host: 'worker-1', version: '2.0.1' },
    payload: { invoiceId: 42 },
    ...overrides,
  };
}

export const REPORT_FAILURE = `mutation($input: FailureReportInput!) {
  reportFailure(input: $input) { id status attempt errorMessage stackTrace payload attributes idempotencyKey group { id count openCount status regressed } }
}`;

export const REPORT_FAILURES = `mutation($input: [FailureReportInput!]!) {
  reportFailures(input: $input) { accepted duplicates failures { id group { id } } }
}`;
