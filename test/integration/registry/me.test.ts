import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURE, report } from '../../helpers/reports';
import { TEST_ADMIN_TOKEN, type TestApp, errorCode, expectData, startTestApp } from '../../helpers/test-app';

const ME = `query { me { role actor service { name } } }`;
type MeResult = { me: { role: string; actor: string; service: { name: string } | null } };

describe('who the caller is (me)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.dispose();
  });

  const me = async (token: string | null) => expectData(await t.request<MeResult>(ME, {}, token)).me;

  it.each(['VIEWER', 'OPERATOR', 'ADMIN'] as const)('tells a %s token its role, its audit name and no service', async (role) => {
    const token = await t.createToken(role);
    const result = await me(token);
    expect(result.role).toBe(role);
    expect(result.actor).toMatch(new RegExp(`^${role.toLowerCase()} token [0-9a-f]{8}$`));
    expect(result.service).toBeNull();
  });

  it('tells a REPORTER token the service it reports for', async () => {
    const svc = await t.createService();
    expect(await me(svc.token)).toEqual({ role: 'REPORTER', actor: `${svc.name} reporter (reporter)`, service: { name: svc.name } });
  });

  it('names the bootstrap admin token as audit entries do', async () => {
    expect(await me(TEST_ADMIN_TOKEN)).toEqual({ role: 'ADMIN', actor: 'admin (bootstrap token)', service: null });
  });

  it('gives the same actor that the audit history records for the caller', async () => {
    const svc = await t.createService();
    const { createApiToken } = expectData(await t.request<{ createApiToken: { token: string } }>(`mutation { createApiToken(input: { role: OPERATOR, label: "night shift" }) { token } }`));
    const operator = createApiToken.token;
    const { actor } = await me(operator);
    expect(actor).toBe('night shift (operator)');
    const id = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name) }, svc.token)).reportFailure.id;
    const { discardFailure } = expectData(await t.request<{ discardFailure: { history: Array<{ action: string; actor: string }> } }>(
      `mutation($id: ID!) { discardFailure(id: $id, reason: "duplicate order") { history { action actor } } }`,
      { id },
      operator,
    ));
    expect(discardFailure.history.at(-1)).toEqual({ action: 'DISCARDED', actor });
  });

  it('answers UNAUTHENTICATED without a token or with an unknown one', async () => {
    expect(errorCode(await t.request(ME, {}, null))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.request(ME, {}, 'fd_not-a-real-token'))).toBe('UNAUTHENTICATED');
  });
});
