import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEST_ADMIN_TOKEN, type TestApp, startTestApp } from '../helpers/test-app';
import type { TestDatabase } from '../helpers/test-database';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  const target = new URL(url);
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-length': String(payload.length), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** What a client can see of an answer, minus what differs between any two answers. */
function comparable(answer: Answer) {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...headers } = answer.headers;
  return { status: answer.status, headers, body: answer.body };
}

const query = (text: string) => JSON.stringify({ query: text });

describe('POST /graphql without Express', () => {
  let t: TestApp & { db: TestDatabase };
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.dispose();
  });

  // A content-type parameter that neither path interprets sends the same request through Express.
  const throughBoth = async (body: Buffer | string, token: string | null = TEST_ADMIN_TOKEN) => {
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const fast = await post(t.url, body, { 'content-type': 'application/json', ...auth });
    const viaExpress = await post(t.url, body, { 'content-type': 'application/json; profile=express', ...auth });
    return { fast, viaExpress };
  };

  it.each([
    ['a query', query('{ __typename }'), TEST_ADMIN_TOKEN],
    ['a query without a token', query('{ failures(first: 1) { totalCount } }'), null],
    ['an unknown token (401)', query('{ __typename }'), 'not-a-token-of-this-service'],
    ['a query that fails validation', query('{ noSuchField }'), TEST_ADMIN_TOKEN],
    ['malformed JSON', '{"query": ', TEST_ADMIN_TOKEN],
    ['JSON that is not an object', '  "just a string"', TEST_ADMIN_TOKEN],
    ['an empty body', '', TEST_ADMIN_TOKEN],
    ['whitespace before the object', `\r\n\t ${query('{ __typename }')}`, TEST_ADMIN_TOKEN],
    ['a byte order mark before the object', `\uFEFF${query('{ __typename }')}`, TEST_ADMIN_TOKEN],
    ['a mutation with variables', JSON.stringify({ query: 'mutation($n: String!) { createService(input: { name: $n, team: "t" }) { service { name } } }', variables: { n: 'fast-path-svc' } }), TEST_ADMIN_TOKEN],
  ])('answers %s as Express does', async (_name, body, token) => {
    const { fast, viaExpress } = await throughBoth(body, token);
    if (body.includes('createService')) {
      // The second call repeats the name: compare with a fresh one.
      expect(fast.status).toBe(200);
      expect(JSON.parse(fast.body)).toEqual({ data: { createService: { service: { name: 'fast-path-svc' } } } });
      expect(JSON.parse(viaExpress.body).errors[0].extensions.code).toBe('CONFLICT');
      return;
    }
    expect(comparable(fast)).toEqual(comparable(viaExpress));
    expect(fast.headers.etag).toMatch(/^W\/"/);
  });

  it('counts its requests in the /graphql latency histogram', async () => {
    const before = await metricCount();
    await post(t.url, query('{ __typename }'), { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    expect(await metricCount()).toBe(before + 1);
  });

  async function metricCount(): Promise<number> {
    const text = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith('failuredesk_http_request_duration_seconds_count{route="/graphql",method="POST",status="200"}'));
    return line ? Number(line.split(' ').pop()) : 0;
  }
});
