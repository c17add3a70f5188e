import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createClient } from 'graphql-ws';
import pino from 'pino';
import WebSocket from 'ws';
import { createWsServer } from '../../src/platform/http';
import { AppMetrics } from '../../src/platform/metrics';
import { BoundedStream } from '../../src/platform/pubsub';
import { deferred } from '../helpers/deferred';

type Item = { seq: number; text: string };

/**
 * The WebSocket layer on its own, with a stand-in schema whose subscription streams the test
 * feeds by hand: what direct delivery writes must be what graphql-ws clients read.
 */
describe('direct delivery of subscription events', () => {
  const streams = new Set<BoundedStream<Item>>();
  let executions = 0;
  let server: http.Server;
  let url: string;
  let ws: { dispose(): void | Promise<void> };
  const metrics = new AppMetrics({ outboxDepth: async () => 0 });
  const sockets: Array<{ dispose(): void }> = [];
  const unsubscribers: Array<() => void> = [];

  const Event = new GraphQLObjectType<Item>({
    name: 'Event',
    fields: {
      seq: { type: new GraphQLNonNull(GraphQLInt) },
      text: {
        type: new GraphQLNonNull(GraphQLString),
        resolve: async (item) => {
          executions++;
          return item.text;
        },
      },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        events: {
          type: new GraphQLNonNull(Event),
          subscribe: () => {
            const stream: BoundedStream<Item> = new BoundedStream<Item>(1_000, () => undefined, () => streams.delete(stream));
            streams.add(stream);
            return stream;
          },
          resolve: (item: Item) => item,
        },
      },
    }),
  });
  const push = (item: Item) => {
    for (const stream of streams) stream.push(item);
  };
  const ends = () => {
    for (const stream of [...streams]) void stream.return();
  };

  beforeAll(async () => {
    server = http.createServer();
    ws = createWsServer({
      httpServer: server,
      path: '/graphql',
      schema,
      validationRules: [],
      limits: { maxPayloadBytes: 64 * 1024, keepAliveMs: 12_000, maxSubscriptionsPerConnection: 5, maxConnectionsPerToken: 100, bufferLimit: 1_000 },
      authenticate: async (authorization) => (authorization === 'Bearer ok' ? { principal: {}, tokenKey: 'ok' } : null),
      context: () => ({}),
      formatError: (error) => error,
      metrics,
      logger: pino({ level: 'silent' }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  /** Until `check` holds, polling: the server's streams live in this process but change on socket messages. */
  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; !check(); i++) {
      if (i > 500) throw new Error(what);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // Each test starts with no stream left over from the one before.
  afterEach(async () => {
    for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
    await until(() => streams.size === 0, 'a stream outlived its subscription');
  });
  afterAll(async () => {
    for (const s of sockets) s.dispose();
    await ws.dispose();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A graphql-ws client subscribed to `query`; resolves once the server holds its stream. */
  async function subscribe(query: string) {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer ok' }, lazy: false, retryAttempts: 0 });
    sockets.push(client);
    const received: Array<Record<string, unknown>> = [];
    const completed = deferred<void>();
    let waiting: { count: number; resolve: () => void } | undefined;
    const before = new Set(streams);
    const unsubscribe = client.subscribe(
      { query },
      {
        next: (result) => {
          received.push(result.data!.events as Record<string, unknown>);
          if (waiting && received.length >= waiting.count) waiting.resolve();
        },
        error: (error) => completed.reject(error),
        complete: () => completed.resolve(),
      },
    );
    unsubscribers.push(unsubscribe);
    await until(() => [...streams].some((stream) => !before.has(stream)), 'the subscription never started');
    const waitFor = (count: number) =>
      received.length >= count ? Promise.resolve() : new Promise<void>((resolve) => (waiting = { count, resolve }));
    return { received, completed: completed.promise, waitFor, unsubscribe };
  }

  it('sends a burst pushed in one tick to every subscriber intact and in order, executing each event once per operation', async () => {
    const a = await subscribe('subscription { events { seq text } }');
    const b = await subscribe('subscription { events { seq text } }');
    const c = await subscribe('subscription { events { seq } }');
    executions = 0;
    // Sizes around the frame-length boundaries: 7-bit, 16-bit and 64-bit lengths.
    const sizes = [1, 100, 125, 126, 200, 65_535, 65_536, 70_000];
    const items = Array.from({ length: 300 }, (_, seq) => ({ seq, text: `é${'x'.repeat(sizes[seq % sizes.length]!)}` }));
    for (const item of items) push(item);
    await Promise.all([a.waitFor(300), b.waitFor(300), c.waitFor(300)]);
    expect(a.received).toEqual(items);
    expect(b.received).toEqual(items);
    expect(c.received).toEqual(items.map(({ seq }) => ({ seq })));
    // `text` resolves once per event for the operation a and b share; c does not select it.
    expect(executions).toBe(300);
  });

  it('sends every event made before the stream ended ahead of the complete message', async () => {
    const a = await subscribe('subscription { events { seq } }');
    for (let seq = 0; seq < 50; seq++) push({ seq, text: '' });
    ends();
    await a.completed;
    expect(a.received.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('stops sending to a subscription the client completed, and keeps serving the others', async () => {
    const a = await subscribe('subscription { events { seq } }');
    const b = await subscribe('subscription { events { seq } }');
    push({ seq: 1, text: '' });
    await Promise.all([a.waitFor(1), b.waitFor(1)]);
    a.unsubscribe();
    await until(() => streams.size === 1, 'the completed subscription kept its stream');
    push({ seq: 2, text: '' });
    await b.waitFor(2);
    expect(a.received).toEqual([{ seq: 1 }]);
    expect(b.received).toEqual([{ seq: 1 }, { seq: 2 }]);
  });
});
