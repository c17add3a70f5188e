import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { graphql } from 'graphql';
import { type Principal, Role } from '../../../src/auth';
import type { GraphQLContext } from '../../../src/context';
import { IngestionResolver } from '../../../src/ingestion';
import type { IngestionService } from '../../../src/ingestion';
import { FailureReportInput } from '../../../src/ingestion/ingestion.types';
import type { RawReport } from '../../../src/ingestion/report-normalizer';
import type { AppError } from '../../../src/platform/errors';
import { buildAppSchema } from '../../../src/schema';

// reportFailure(s) run without type-graphql's argument conversion (see buildAppSchema): the
// service gets graphql-js's coerced input, defaults applied, and the role check still comes first.
function setUp() {
  const calls: Array<{ principal: Principal; reports: RawReport[]; asBatch: boolean }> = [];
  const service = {
    report: async (principal: Principal, reports: RawReport[], asBatch: boolean) => {
      calls.push({ principal, reports, asBatch });
      const failures = reports.map((_, i) => ({ id: `f${i}`, status: 'FAILED' }));
      return { accepted: reports.length, duplicates: 0, failures, stored: failures };
    },
  } as unknown as IngestionService;
  const schema = buildAppSchema(new Map<unknown, unknown>([[IngestionResolver, new IngestionResolver(service)]]));
  const run = (principal: Principal | null, source: string, variableValues: Record<string, unknown>) =>
    graphql({ schema, source, variableValues, contextValue: { principal, requestId: 'r' } as unknown as GraphQLContext });
  return { calls, run };
}

const reporter: Principal = { role: Role.REPORTER, tokenId: 't', serviceId: 's', actor: 'token:t' };
const viewer: Principal = { role: Role.VIEWER, tokenId: 'v', serviceId: null, actor: 'token:v' };
const BATCH = 'mutation($input: [FailureReportInput!]!) { reportFailures(input: $input) { accepted duplicates failures { id } } }';
const SINGLE = 'mutation($input: FailureReportInput!) { reportFailure(input: $input) { id } }';
const report = { service: 'billing', taskType: 'send', taskId: '1', errorType: 'E', errorMessage: 'boom', occurredAt: '2026-01-02T03:04:05.000Z', payload: { a: [1] } };

describe('reportFailure(s) resolvers', () => {
  it('hand the coerced input to the service, defaults applied, Date parsed, no input class instances', async () => {
    const { calls, run } = setUp();
    const batch = await run(reporter, BATCH, { input: [report, { ...report, taskId: '2', attempt: 3, severity: 'CRITICAL', pattern: 'EVENT_BUS' }] });
    expect(batch.errors).toBeUndefined();
    expect(batch.data).toEqual({ reportFailures: { accepted: 2, duplicates: 0, failures: [{ id: 'f0' }, { id: 'f1' }] } });
    const single = await run(reporter, SINGLE, { input: report });
    expect(single.errors).toBeUndefined();
    expect(single.data).toEqual({ reportFailure: { id: 'f0' } });

    expect(calls.map((c) => [c.principal, c.asBatch, c.reports.length])).toEqual([[reporter, true, 2], [reporter, false, 1]]);
    const [first, second] = calls[0]!.reports;
    expect({ ...first }).toEqual({ ...report, pattern: 'OTHER', attempt: 1, severity: 'ERROR', occurredAt: new Date('2026-01-02T03:04:05.000Z') });
    expect({ ...second }).toMatchObject({ taskId: '2', attempt: 3, severity: 'CRITICAL', pattern: 'EVENT_BUS' });
    expect({ ...calls[1]!.reports[0] }).toEqual({ ...first });
    for (const input of [first, second, calls[1]!.reports[0]]) expect(input).not.toBeInstanceOf(FailureReportInput);
  });

  it('check the role before the service is called', async () => {
    const { calls, run } = setUp();
    for (const [source, input] of [[BATCH, [report]], [SINGLE, report]] as const) {
      const anonymous = await run(null, source, { input });
      expect(anonymous.errors?.map((e) => (e.originalError as AppError).code)).toEqual(['UNAUTHENTICATED']);
      const forbidden = await run(viewer, source, { input });
      expect(forbidden.errors?.map((e) => [(e.originalError as AppError).code, e.message])).toEqual([['FORBIDDEN', 'This operation needs one of the roles REPORTER, ADMIN; the token has VIEWER']]);
    }
    expect(calls).toEqual([]);
  });
});
