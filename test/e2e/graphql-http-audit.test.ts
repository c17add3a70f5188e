import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Audit, type AuditResult, serverAudits } from 'graphql-http';
import { TEST_ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app';

/**
 * The graphql-http audit suite (GraphQL over HTTP spec conformance) against the real /graphql
 * endpoint. The audits are built with a URL getter, so the list exists before the server
 * starts and `it.each` can name one test per audit.
 */
describe('GraphQL over HTTP conformance (graphql-http audits)', () => {
  let t: TestApp;
  const audits: Audit[] = serverAudits({ url: () => t.url });
  const mustAudits = audits.filter((audit) => audit.name.startsWith('MUST'));
  const otherAudits = audits.filter((audit) => !audit.name.startsWith('MUST'));

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('finds MUST audits to run (the suite is not silently empty)', () => {
    expect(mustAudits.length).toBeGreaterThan(10);
  });

  it.each(mustAudits.map((audit) => [audit.id, audit.name, audit] as const))('passes audit %s: %s', async (_id, _name, audit) => {
    const result = await audit.fn();
    expect(describeResult(result)).toEqual({ id: audit.id, status: 'ok' });
  });

  it('runs every SHOULD and MAY audit and reports their status', async () => {
    const results = await Promise.all(otherAudits.map((audit) => audit.fn()));
    const lines = results.map((r) => `${r.status.padEnd(6)} ${r.id} ${r.name}${r.status === 'ok' ? '' : ` — ${r.reason}`}`);
    console.info(`graphql-http SHOULD/MAY audits:\n${lines.join('\n')}`);
    expect(results).toHaveLength(otherAudits.length);
    expect(results.map((r) => r.id)).toEqual(otherAudits.map((a) => a.id));
    for (const r of results) expect(['ok', 'notice', 'warn', 'error']).toContain(r.status);
  });
});

/** The id and status, plus the reason when the audit did not pass, so a failure says why. */
function describeResult(result: AuditResult): Record<string, string> {
  if (result.status === 'ok') return { id: result.id, status: 'ok' };
  return { id: result.id, status: result.status, reason: result.reason };
}

describe('GraphQL responses over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('are compact JSON marked Cache-Control: no-store (answers are per token, never for a shared cache)', async () => {
    for (const query of ['{ __typename }', '{ escalationPolicies { id } me { role } }', '{ nope }']) {
      const response = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        body: JSON.stringify({ query }),
      });
      expect(response.headers.get('cache-control')).toBe('no-store');
      const text = await response.text();
      expect(text).toBe(JSON.stringify(JSON.parse(text)));
      if (query.includes('escalationPolicies')) expect(JSON.parse(text)).toEqual({ data: { escalationPolicies: [], me: { role: 'ADMIN' } } });
    }
  });
});
