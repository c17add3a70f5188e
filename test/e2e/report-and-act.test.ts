import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../helpers/reports';
import { type TestApp, errorCode, expectData, startTestApp } from '../helpers/test-app';

describe('reporting a failure and acting on it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('stores a report, groups it and shows it to a viewer', async () => {
    const svc = await t.createService();
    const created = expectData(await t.request<{ reportFailure: { id: string; status: string; group: { id: string; count: number } } }>(REPORT_FAILURE, { input: report(svc.name) }, svc.token));
    expect(created.reportFailure.status).toBe('FAILED');
    expect(created.reportFailure.group.count).toBe(1);

    const viewer = await t.createToken('VIEWER');
    const listed = expectData(
      await t.request<{ failures: { totalCount: number; edges: Array<{ node: { id: string; service: { name: string } } }> } }>(
        `query($f: FailureFilter) { failures(filter: $f) { totalCount edges { node { id service { name } } } } }`,
        { f: { service: svc.name } },
        viewer,
      ),
    );
    expect(listed.failures.totalCount).toBe(1);
    expect(listed.failures.edges[0]!.node).toEqual({ id: created.reportFailure.id, service: { name: svc.name } });
  });

  it('counts a repeated idempotency key once, in a batch and across calls', async () => {
    const svc = await t.createService();
    const one = report(svc.name, { taskId: 'same-task' });
    const first = expectData(await t.request<{ reportFailures: { accepted: number; duplicates: number; failures: Array<{ id: string }> } }>(REPORT_FAILURES, { input: [one, one, report(svc.name)] }, svc.token));
    expect(first.reportFailures.accepted).toBe(2);
    expect(first.reportFailures.duplicates).toBe(1);
    expect(first.reportFailures.failures[0]!.id).toBe(first.reportFailures.failures[1]!.id);

    const again = expectData(await t.request<{ reportFailure: { id: string; group: { count: number } } }>(REPORT_FAILURE, { input: one }, svc.token));
    expect(again.reportFailure.id).toBe(first.reportFailures.failures[0]!.id);
    expect(again.reportFailure.group.count).toBe(2);
  });

  it('refuses an illegal move with CONFLICT naming both states', async () => {
    const svc = await t.createService();
    const { reportFailure } = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name) }, svc.token));
    const operator = await t.createToken('OPERATOR');
    expectData(await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "duplicate invoice") { status } }`, { id: reportFailure.id }, operator));
    const result = await t.request(`mutation($id: ID!) { resolveFailure(id: $id, note: "fixed by hand") { status } }`, { id: reportFailure.id }, operator);
    expect(errorCode(result)).toBe('CONFLICT');
    expect(result.body.errors![0]!.message).toContain('DISCARDED');
    expect(result.body.errors![0]!.message).toContain('RESOLVED');
  });
});
