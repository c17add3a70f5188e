import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isObjectType } from 'graphql';
import { eventually } from '../helpers/deferred';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { type TestApp, TEST_ADMIN_TOKEN, errorCode, expectData, startTestApp } from '../helpers/test-app';

/** Who calls, in the column order of the matrix below. */
const CALLERS = ['no token', 'an invalid token', 'the REPORTER of the service', 'the REPORTER of another service', 'a VIEWER', 'an OPERATOR', 'an ADMIN', 'the bootstrap admin token'] as const;
type Caller = (typeof CALLERS)[number];

const OK = 'ok';
const UNAUTH = 'UNAUTHENTICATED';
const FORBID = 'FORBIDDEN';
type Expected = typeof OK | typeof UNAUTH | typeof FORBID;

type Operation =
  | 'me' | 'services' | 'service' | 'failure' | 'failures' | 'failureGroup' | 'failureGroups'
  | 'createService' | 'updateService' | 'createApiToken' | 'reportFailure' | 'reportFailures'
  | 'retryFailure' | 'discardFailure' | 'resolveFailure' | 'retryFailureGroup' | 'discardFailureGroup' | 'resolveFailureGroup' | 'completeRetry'
  | 'incident' | 'incidents' | 'escalationPolicies' | 'acknowledgeIncident' | 'resolveIncident' | 'setEscalationPolicy'
  | 'failureStats' | 'topFailureGroups' | 'correlatedGroups' | 'incidentMetrics' | 'failureGroupBreakdown' | 'failureGroupSuspects' | 'retentionStatus'
  | '_service' | '_entities';

/** The contract (DESIGN.md, "Auth"), one row per root operation, one column per caller. */
// prettier-ignore
const MATRIX: Record<Operation, readonly [Expected, Expected, Expected, Expected, Expected, Expected, Expected, Expected]> = {
  //                     none    invalid own-rep other-rep viewer  operator admin bootstrap
  me:                  [UNAUTH, UNAUTH, OK,     OK,       OK,     OK,      OK,   OK],
  services:            [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  service:             [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  failure:             [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  failures:            [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  failureGroup:        [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  failureGroups:       [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  createService:       [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, FORBID,  OK,   OK],
  updateService:       [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, FORBID,  OK,   OK],
  createApiToken:      [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, FORBID,  OK,   OK],
  reportFailure:       [UNAUTH, UNAUTH, OK,     FORBID,   FORBID, FORBID,  OK,   OK],
  reportFailures:      [UNAUTH, UNAUTH, OK,     FORBID,   FORBID, FORBID,  OK,   OK],
  retryFailure:        [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  discardFailure:      [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  resolveFailure:      [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  retryFailureGroup:   [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  discardFailureGroup: [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  resolveFailureGroup: [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  completeRetry:       [UNAUTH, UNAUTH, OK,     FORBID,   FORBID, FORBID,  OK,   OK],
  incident:            [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  incidents:           [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  escalationPolicies:  [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  acknowledgeIncident: [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  resolveIncident:     [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, OK,      OK,   OK],
  setEscalationPolicy: [UNAUTH, UNAUTH, FORBID, FORBID,   FORBID, FORBID,  OK,   OK],
  failureStats:        [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  topFailureGroups:    [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  correlatedGroups:    [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  incidentMetrics:     [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  failureGroupBreakdown: [UNAUTH, UNAUTH, FORBID, FORBID, OK,     OK,      OK,   OK],
  failureGroupSuspects:  [UNAUTH, UNAUTH, FORBID, FORBID, OK,     OK,      OK,   OK],
  retentionStatus:     [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
  // Federation: a router reads the SDL with any valid token and loads entities as a viewer.
  _service:            [UNAUTH, UNAUTH, OK,     OK,       OK,     OK,      OK,   OK],
  _entities:           [UNAUTH, UNAUTH, FORBID, FORBID,   OK,     OK,      OK,   OK],
};

interface Fixtures {
  service: { name: string; token: string };
  /** A failure and its group that no case changes, for the read operations. */
  failureId: string;
  groupId: string;
  incidentId: string;
}

interface OperationCase {
  query: string;
  /** Variables for one call; mutations get a fresh subject in a state where the action is legal. */
  variables(f: Fixtures): Promise<Record<string, unknown>>;
}

describe('who may call which operation', () => {
  let t: TestApp;
  let webhook: http.Server;
  let fixtures: Fixtures;
  const tokens = new Map<Caller, string | null>();

  /** A new failure of the service, in its own group, stored by the bootstrap admin. */
  const freshFailure = async (): Promise<{ id: string; groupId: string }> => {
    const input = report(fixtures.service.name, { fingerprint: `fp-${randomUUID()}` });
    const { reportFailure } = expectData(await t.request<{ reportFailure: { id: string; group: { id: string } } }>(REPORT_FAILURE, { input }));
    return { id: reportFailure.id, groupId: reportFailure.group.id };
  };

  /** A new incident: a CRITICAL failure in a new group pages at once under the global policy. */
  const freshIncident = async (): Promise<string> => {
    const input = report(fixtures.service.name, { fingerprint: `fp-${randomUUID()}`, severity: 'CRITICAL' });
    const { reportFailure } = expectData(await t.request<{ reportFailure: { group: { id: string } } }>(REPORT_FAILURE, { input }));
    return eventually(async () => {
      const { incidents } = expectData(await t.request<{ incidents: { edges: Array<{ node: { id: string } }> } }>(`query($g: ID) { incidents(filter: { group: $g }) { edges { node { id } } } }`, { g: reportFailure.group.id }));
      return incidents.edges[0]?.node.id;
    });
  };

  const RANGE = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T06:00:00Z' };
  const OPERATIONS: Record<Operation, OperationCase> = {
    failureStats: { query: `query($from: DateTime!, $to: DateTime!) { failureStats(from: $from, to: $to, bucket: HOUR) { key } }`, variables: async () => RANGE },
    topFailureGroups: { query: `query($from: DateTime!, $to: DateTime!) { topFailureGroups(from: $from, to: $to) { count } }`, variables: async () => RANGE },
    correlatedGroups: { query: `query($id: ID!, $from: DateTime!, $to: DateTime!) { correlatedGroups(id: $id, from: $from, to: $to) { correlation } }`, variables: async (f) => ({ id: f.groupId, ...RANGE }) },
    failureGroupBreakdown: { query: `query($id: ID!) { failureGroupBreakdown(id: $id, attribute: "host") { attribute } }`, variables: async (f) => ({ id: f.groupId }) },
    failureGroupSuspects: { query: `query($id: ID!) { failureGroupSuspects(id: $id) { value } }`, variables: async (f) => ({ id: f.groupId }) },
    retentionStatus: { query: `{ retentionStatus { retentionDays } }`, variables: async () => ({}) },
    incidentMetrics: { query: `query($from: DateTime!, $to: DateTime!) { incidentMetrics(from: $from, to: $to) { incidents } }`, variables: async () => RANGE },
    incident: { query: `query($id: ID!) { incident(id: $id) { id } }`, variables: async (f) => ({ id: f.incidentId }) },
    incidents: { query: `{ incidents(first: 1) { totalCount } }`, variables: async () => ({}) },
    escalationPolicies: { query: `{ escalationPolicies { provider } }`, variables: async () => ({}) },
    acknowledgeIncident: { query: `mutation($id: ID!) { acknowledgeIncident(id: $id) { status } }`, variables: async () => ({ id: await freshIncident() }) },
    resolveIncident: { query: `mutation($id: ID!) { resolveIncident(id: $id, note: "auth matrix") { status } }`, variables: async () => ({ id: await freshIncident() }) },
    setEscalationPolicy: {
      query: `mutation($input: EscalationPolicyInput!) { setEscalationPolicy(input: $input) { provider } }`,
      variables: async (f) => ({ input: { service: f.service.name, provider: 'PAGERDUTY', routingKey: 'r'.repeat(32), minSeverity: 'CRITICAL' } }),
    },
    me: { query: `{ me { role actor } }`, variables: async () => ({}) },
    _service: { query: `{ _service { sdl } }`, variables: async () => ({}) },
    _entities: {
      query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on FailureGroup { id } } }`,
      variables: async (f) => ({ r: [{ __typename: 'FailureGroup', id: f.groupId }] }),
    },
    services: { query: `{ services { name } }`, variables: async () => ({}) },
    service: { query: `query($name: String!) { service(name: $name) { name } }`, variables: async (f) => ({ name: f.service.name }) },
    failure: { query: `query($id: ID!) { failure(id: $id) { id } }`, variables: async (f) => ({ id: f.failureId }) },
    failures: { query: `{ failures(first: 1) { totalCount } }`, variables: async () => ({}) },
    failureGroup: { query: `query($id: ID!) { failureGroup(id: $id) { id } }`, variables: async (f) => ({ id: f.groupId }) },
    failureGroups: { query: `{ failureGroups(first: 1) { totalCount } }`, variables: async () => ({}) },
    createService: {
      query: `mutation($input: CreateServiceInput!) { createService(input: $input) { service { name } } }`,
      variables: async () => ({ input: { name: `svc-${randomUUID().slice(0, 8)}`, team: 'team-a', criticality: 2 } }),
    },
    updateService: {
      query: `mutation($input: UpdateServiceInput!) { updateService(input: $input) { name team } }`,
      variables: async (f) => ({ input: { name: f.service.name, team: `team-${randomUUID().slice(0, 4)}` } }),
    },
    createApiToken: {
      query: `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { id } }`,
      variables: async () => ({ input: { role: 'VIEWER' } }),
    },
    reportFailure: { query: `mutation($input: FailureReportInput!) { reportFailure(input: $input) { id } }`, variables: async (f) => ({ input: report(f.service.name) }) },
    reportFailures: {
      query: `mutation($input: [FailureReportInput!]!) { reportFailures(input: $input) { accepted } }`,
      variables: async (f) => ({ input: [report(f.service.name), report(f.service.name)] }),
    },
    retryFailure: { query: `mutation($id: ID!) { retryFailure(id: $id, note: "auth matrix") { status } }`, variables: async () => ({ id: (await freshFailure()).id }) },
    discardFailure: { query: `mutation($id: ID!) { discardFailure(id: $id, reason: "auth matrix") { status } }`, variables: async () => ({ id: (await freshFailure()).id }) },
    resolveFailure: { query: `mutation($id: ID!) { resolveFailure(id: $id, note: "auth matrix") { status } }`, variables: async () => ({ id: (await freshFailure()).id }) },
    retryFailureGroup: {
      query: `mutation($id: ID!) { retryFailureGroup(id: $id, note: "auth matrix") { affected } }`,
      variables: async () => ({ id: (await freshFailure()).groupId }),
    },
    discardFailureGroup: {
      query: `mutation($id: ID!) { discardFailureGroup(id: $id, reason: "auth matrix") { affected } }`,
      variables: async () => ({ id: (await freshFailure()).groupId }),
    },
    resolveFailureGroup: {
      query: `mutation($id: ID!) { resolveFailureGroup(id: $id, note: "auth matrix") { affected } }`,
      variables: async () => ({ id: (await freshFailure()).groupId }),
    },
    completeRetry: {
      query: `mutation($id: ID!) { completeRetry(failureId: $id, succeeded: true) { status } }`,
      variables: async () => {
        const { id } = await freshFailure();
        expectData(await t.request(`mutation($id: ID!) { retryFailure(id: $id) { status } }`, { id }));
        return { id };
      },
    },
  };

  beforeAll(async () => {
    webhook = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/retry`;

    // Pages go to a port where nothing listens: incidents open, their deliveries just wait.
    t = await startTestApp({ env: { CREDENTIALS_KEY: 'a'.repeat(64), PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:9/v2/enqueue' } });
    expectData(await t.request(`mutation { setEscalationPolicy(input: { provider: PAGERDUTY, routingKey: "${'g'.repeat(32)}", minSeverity: CRITICAL }) { id } }`));
    const service = await t.createService({ retryWebhookUrl: webhookUrl });
    const other = await t.createService();
    fixtures = { service, failureId: '', groupId: '', incidentId: '' };
    const shared = await freshFailure();
    fixtures = { ...fixtures, failureId: shared.id, groupId: shared.groupId, incidentId: await freshIncident() };

    tokens.set('no token', null);
    tokens.set('an invalid token', `fd_${randomUUID()}`);
    tokens.set('the REPORTER of the service', service.token);
    tokens.set('the REPORTER of another service', other.token);
    tokens.set('a VIEWER', await t.createToken('VIEWER'));
    tokens.set('an OPERATOR', await t.createToken('OPERATOR'));
    tokens.set('an ADMIN', await t.createToken('ADMIN'));
    tokens.set('the bootstrap admin token', TEST_ADMIN_TOKEN);
  });

  afterAll(async () => {
    await t.dispose();
    await new Promise((resolve) => webhook.close(resolve));
  });

  const cases = (Object.keys(MATRIX) as Operation[]).flatMap((operation) =>
    CALLERS.map((caller, column) => {
      const expected = MATRIX[operation][column]!;
      const outcome = expected === OK ? 'is allowed' : `is refused with ${expected}`;
      return [`${operation} called with ${caller} ${outcome}`, operation, caller, expected] as const;
    }),
  );

  it('covers every root query and mutation of the schema', () => {
    const roots = [t.app.schema.getQueryType()!, t.app.schema.getMutationType()!].flatMap((type) => Object.keys(type.getFields()));
    expect(Object.keys(MATRIX).sort()).toEqual(roots.sort());
  });

  it.each(cases)('%s', async (_title, operation, caller, expected) => {
    const op = OPERATIONS[operation];
    const result = await t.request(op.query, await op.variables(fixtures), tokens.get(caller));
    if (expected === OK) {
      expect(result.body.errors ?? []).toEqual([]);
      expect(result.body.data?.[operation]).toBeTruthy();
      return;
    }
    expect(result.body.errors?.map((e) => e.extensions?.code)).toEqual([expected]);
    expect(result.body.data ?? null).toBeNull();
    if (caller === 'an invalid token') expect(result.status).toBe(401);
  });

  it('leaves a failure untouched when a refused caller tries to act on it', async () => {
    const { id } = await freshFailure();
    for (const caller of ['no token', 'an invalid token', 'a VIEWER', 'the REPORTER of the service'] as const) {
      const result = await t.request(`mutation($id: ID!) { discardFailure(id: $id, reason: "not allowed") { status } }`, { id }, tokens.get(caller));
      expect(errorCode(result)).toMatch(/^(UNAUTHENTICATED|FORBIDDEN)$/);
    }
    const { failure } = expectData(await t.request<{ failure: { status: string; history: Array<{ action: string }> } }>(`query($id: ID!) { failure(id: $id) { status history { action } } }`, { id }));
    expect(failure.status).toBe('FAILED');
    expect(failure.history.map((h) => h.action)).toEqual(['REPORTED']);
  });

  it('stores only the sha256 hex of each token, never the token itself', async () => {
    const created = await t.createService();
    const issued = await t.createToken('OPERATOR');
    const rows: Array<{ token_hash: string }> = await t.app.dataSource.query('SELECT token_hash FROM api_tokens');
    const everything = JSON.stringify(await t.app.dataSource.query('SELECT * FROM api_tokens'));
    for (const token of [created.token, issued]) {
      expect(everything).not.toContain(token);
      const sha256 = createHash('sha256').update(token, 'utf8').digest('hex');
      expect(rows.map((r) => r.token_hash)).toContain(sha256);
    }
    for (const row of rows) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    // The stored hash is not itself a credential.
    const byHash = await t.request(`{ services { name } }`, {}, rows[0]!.token_hash);
    expect(errorCode(byHash)).toBe('UNAUTHENTICATED');
  });

  it('shows a token only in the payloads that create it', () => {
    const withToken = Object.values(t.app.schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__') && 'token' in type.getFields())
      .map((type) => type.name)
      .sort();
    expect(withToken).toEqual(['CreateApiTokenPayload', 'CreateServicePayload']);
  });
});
