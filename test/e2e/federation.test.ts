import { composeServices } from '@apollo/composition';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pino from 'pino';
import { parse } from 'graphql';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { type TestApp, errorCode, expectData, startTestApp } from '../helpers/test-app';
import { appSchemaSdl } from '../../src/schema';

/** Another team's subgraph that adds its own fields to Failure Desk's entities. */
const TEAMS_SUBGRAPH = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Service @key(fields: "id") { id: ID! onCallRotation: String }
  type FailureGroup @key(fields: "id") { id: ID! jiraTicket: String }
  type Query { rotations: [String!]! }
`;

describe('Failure Desk as an Apollo Federation 2 subgraph', () => {
  let t: TestApp;
  let viewer: string;
  beforeAll(async () => {
    t = await startTestApp();
    viewer = await t.createToken('VIEWER');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('composes with another subgraph that extends Service and FailureGroup', () => {
    const result = composeServices([
      { name: 'failure-desk', typeDefs: parse(appSchemaSdl()) },
      { name: 'teams', typeDefs: parse(TEAMS_SUBGRAPH) },
    ]);
    expect(result.errors ?? []).toEqual([]);
    const supergraph = result.supergraphSdl ?? '';
    expect(supergraph).toMatch(/type Service[^{]*\{[^}]*onCallRotation: String/);
    expect(supergraph).toMatch(/type FailureGroup[^{]*\{[^}]*messageTemplate: String![^}]*jiraTicket: String|type FailureGroup[^{]*\{[^}]*jiraTicket: String[^}]*messageTemplate: String!/);
  });

  it('serves its SDL with the entity keys to a router', async () => {
    const { _service } = expectData(await t.request<{ _service: { sdl: string } }>(`{ _service { sdl } }`, {}, viewer));
    for (const type of ['Service', 'FailureGroup', 'Incident']) expect(_service.sdl).toContain(`type ${type} @key(fields: "id")`);
    // What the router is told composes like the committed schema.
    const result = composeServices([{ name: 'failure-desk', typeDefs: parse(_service.sdl) }, { name: 'teams', typeDefs: parse(TEAMS_SUBGRAPH) }]);
    expect(result.errors ?? []).toEqual([]);
  });

  it('resolves entities by id for a router, in order, with null for an unknown id', async () => {
    const svc = await t.createService({ name: `fed-${Date.now()}` });
    const stored = expectData(await t.request<{ reportFailure: { group: { id: string } } }>(REPORT_FAILURE, { input: report(svc.name) }, svc.token)).reportFailure;
    const { _entities } = expectData(
      await t.request<{ _entities: Array<Record<string, unknown> | null> }>(
        `query($r: [_Any!]!) { _entities(representations: $r) {
          __typename
          ... on Service { name team }
          ... on FailureGroup { count openCount service { name } }
          ... on Incident { status }
        } }`,
        { r: [{ __typename: 'FailureGroup', id: stored.group.id }, { __typename: 'Service', id: svc.id }, { __typename: 'Incident', id: 'no-such-incident' }] },
        viewer,
      ),
    );
    expect(_entities).toEqual([
      { __typename: 'FailureGroup', count: 1, openCount: 1, service: { name: svc.name } },
      { __typename: 'Service', name: svc.name, team: 'team-a' },
      null,
    ]);
  });

  it('refuses entities to callers who may not read them', async () => {
    const svc = await t.createService();
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Service { name } } }`;
    const variables = { r: [{ __typename: 'Service', id: svc.id }] };
    expect(errorCode(await t.request(query, variables, null))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.request(query, variables, svc.token))).toBe('FORBIDDEN');
  });
});

describe("Apollo Server's own messages", () => {
  it('go to the service logger (tagged component=apollo), not to the console', async () => {
    const lines: Array<{ component?: string; msg?: string }> = [];
    const destination = { write: (line: string) => lines.push(JSON.parse(line)) };
    const consoleInfo = jest.spyOn(console, 'info');
    const t = await startTestApp({ overrides: { logger: pino({ level: 'debug' }, destination) } });
    try {
      expect(lines).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'apollo', msg: expect.stringContaining('inline tracing') })]));
      expect(consoleInfo).not.toHaveBeenCalled();
    } finally {
      consoleInfo.mockRestore();
      await t.dispose();
    }
  });
});
