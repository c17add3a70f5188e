import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import pino from 'pino';
import { graphqlFastPath } from '../../../src/platform/http/graphql-fast-path';
import { AppMetrics } from '../../../src/platform/metrics';

/** Stands in for Apollo: records what it was asked and answers with the request body echoed. */
class EchoApollo {
  readonly requests: HTTPGraphQLRequest[] = [];
  async executeHTTPGraphQLRequest({ httpGraphQLRequest, context }: { httpGraphQLRequest: HTTPGraphQLRequest; context: () => Promise<BaseContext> }) {
    this.requests.push(httpGraphQLRequest);
    await context();
    const headers = new HeaderMap([['content-type', 'application/json; charset=utf-8']]);
    return { status: undefined, headers, body: { kind: 'complete' as const, string: JSON.stringify({ echo: httpGraphQLRequest.body }) } };
  }
}

describe('graphqlFastPath', () => {
  const apollo = new EchoApollo();
  const contexts: string[] = [];
  let server: http.Server;
  let url: string;
  let viaExpress = 0;

  beforeAll(async () => {
    const fast = graphqlFastPath({
      apollo: apollo as unknown as ApolloServer<BaseContext>,
      context: async ({ req }) => {
        contexts.push(String(req.headers.authorization));
        return {};
      },
      bodyLimitBytes: 1_000,
      metrics: new AppMetrics({ outboxDepth: async () => 0 }),
      logger: pino({ level: 'silent' }),
    });
    server = http.createServer((req, res) => {
      if (fast(req, res)) return;
      viaExpress += 1;
      req.resume();
      req.on('end', () => res.end('express'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const send = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => {
    const before = viaExpress;
    const response = await fetch(`${url}${path}`, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
    return { expressServed: viaExpress > before, status: response.status, headers: response.headers, text: await response.text() };
  };

  it('takes a plain JSON POST to /graphql to Apollo with its parsed body and headers', async () => {
    const answer = await send('/graphql', { headers: { 'content-type': 'application/json', authorization: 'Bearer t-1' }, body: '{"query":"{ a }"}' });
    expect(answer.expressServed).toBe(false);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ echo: { query: '{ a }' } });
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(answer.text)));
    expect(answer.headers.get('etag')).toMatch(/^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
    const last = apollo.requests[apollo.requests.length - 1]!;
    expect(last.method).toBe('POST');
    expect(last.search).toBe('');
    expect(last.headers.get('authorization')).toBe('Bearer t-1');
    expect(contexts[contexts.length - 1]).toBe('Bearer t-1');
  });

  it('accepts an explicit UTF-8 charset', async () => {
    const answer = await send('/graphql', { headers: { 'content-type': 'Application/JSON; charset="UTF-8"' }, body: '[]' });
    expect(answer.expressServed).toBe(false);
    expect(JSON.parse(answer.text)).toEqual({ echo: [] });
  });

  it.each([
    ['another method', '/graphql', { method: 'GET' }],
    ['a query string', '/graphql?x=1', { headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['another path', '/graphql/', { headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['another content type', '/graphql', { headers: { 'content-type': 'application/graphql-response+json' }, body: '{}' }],
    ['another charset', '/graphql', { headers: { 'content-type': 'application/json; charset=utf-16' }, body: '{}' }],
    ['a compressed body', '/graphql', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' }],
    ['a body over the limit', '/graphql', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'x'.repeat(2_000) }) }],
  ])('leaves %s to Express', async (_name, path, init) => {
    const answer = await send(path, init);
    expect(answer.expressServed).toBe(true);
    expect(answer.text).toBe('express');
  });

  it('answers malformed JSON with 400 BAD_REQUEST without asking Apollo', async () => {
    const asked = apollo.requests.length;
    const answer = await send('/graphql', { headers: { 'content-type': 'application/json' }, body: '{"query":' });
    expect(answer.expressServed).toBe(false);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    expect(apollo.requests.length).toBe(asked);
  });
});
