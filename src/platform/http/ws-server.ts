import type http from 'node:http';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  createSourceEventStream,
  execute,
  parse,
  validate,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppMetrics } from '../metrics';
import { isDirectStream } from '../pubsub';
import { DirectDelivery, type FlushObserver } from './direct-delivery';

export type { FlushObserver } from './direct-delivery';

/** Close code for a socket that fell too far behind (application range 4000–4999). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
/** Close code for a token over its connection limit. */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4029;

export interface WsLimits {
  maxPayloadBytes: number;
  keepAliveMs: number;
  maxSubscriptionsPerConnection: number;
  maxConnectionsPerToken: number;
  /** A socket whose unsent bytes exceed this many messages of the size being sent is closed as too slow. */
  bufferLimit: number;
  /** Least time between two writes of live events to the sockets, in ms (DirectDelivery); default 0, none. */
  flushIntervalMs?: number;
}

export interface WsServerOptions<P, C> {
  httpServer: http.Server;
  path: string;
  schema: GraphQLSchema;
  limits: WsLimits;
  validationRules: readonly ValidationRule[];
  /** The principal for `connectionParams.authorization`; null or a throw refuses the socket (4403). */
  authenticate(authorization: string | undefined): Promise<{ principal: P; tokenKey: string } | null>;
  /** The GraphQL context of one operation on an authenticated socket. */
  context(principal: P, closeAsSlow: () => void): C;
  formatError(error: GraphQLError): GraphQLError;
  metrics: AppMetrics;
  logger: Logger;
  /** Instrumentation, off unless given: what each flush of live events wrote, and when (DirectDeliveryOptions.onFlush). */
  onFlush?: FlushObserver;
}

type SocketExtra = { socket: WebSocket; [key: string]: unknown };

/**
 * GraphQL over WebSocket (graphql-transport-ws) on the HTTP server's /graphql, per Apollo's
 * recipe. Adds what a public feed needs: auth at connection, per-connection and per-token
 * caps, a small message size, keep-alive pings, closing sockets that stop reading, and one
 * execution and one serialisation per event per distinct operation, written straight to every
 * socket that runs it (DirectDelivery). permessage-deflate stays off: compressing each copy
 * would cost more CPU than the bytes it saves on a LAN.
 */
export function createWsServer<P, C>(options: WsServerOptions<P, C>): { dispose(): void | Promise<void> } {
  const { limits, metrics } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false });
  const connectionsPerToken = new Map<string, number>();
  const principals = new WeakMap<WebSocket, P>();
  const subscriptions = new WeakMap<WebSocket, number>();
  /** Where each operation's events go: set in onSubscribe, read in subscribe (keyed by its context). */
  const targets = new WeakMap<object, { socket: WebSocket; id: string; key: string }>();

  const closeAsSlow = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    metrics.slowConsumersDropped.inc();
    options.logger.warn('closing a WebSocket that fell too far behind');
    socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: too many undelivered events');
  };

  const direct = new DirectDelivery({
    bufferLimit: limits.bufferLimit,
    flushIntervalMs: limits.flushIntervalMs ?? 0,
    formatError: options.formatError,
    closeAsSlow,
    delivered: (count) => metrics.liveEventsDelivered.inc(count),
    onFlush: options.onFlush,
  });

  wss.on('connection', (socket) => {
    metrics.wsConnections.inc();
    socket.once('close', () => metrics.wsConnections.dec());
    // graphql-ws's own messages (ack, pong, error, complete) go after the frames already made.
    const send = socket.send.bind(socket);
    socket.send = ((...args: Parameters<typeof send>) => {
      direct.beforeSend(socket);
      send(...args);
    }) as typeof socket.send;
  });

  const documents = new DocumentCache();
  const server = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      schema: options.schema,
      connectionInitWaitTimeout: 3_000, // 3 seconds to send connection_init
      onConnect: async (ctx) => {
        const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : undefined;
        let identity: { principal: P; tokenKey: string } | null;
        try {
          identity = await options.authenticate(authorization);
        } catch {
          return false;
        }
        if (!identity) return false;
        const count = (connectionsPerToken.get(identity.tokenKey) ?? 0) + 1;
        if (count > limits.maxConnectionsPerToken) {
          ctx.extra.socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, `Too many connections for this token (limit ${limits.maxConnectionsPerToken})`);
          return false;
        }
        connectionsPerToken.set(identity.tokenKey, count);
        ctx.extra.socket.once('close', () => {
          const left = (connectionsPerToken.get(identity.tokenKey) ?? 1) - 1;
          if (left > 0) connectionsPerToken.set(identity.tokenKey, left);
          else connectionsPerToken.delete(identity.tokenKey);
        });
        principals.set(ctx.extra.socket, identity.principal);
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        const socket = ctx.extra.socket;
        const count = (subscriptions.get(socket) ?? 0) + 1;
        if (count > limits.maxSubscriptionsPerConnection) {
          return [new GraphQLError(`At most ${limits.maxSubscriptionsPerConnection} operations may run on one connection`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        let document: DocumentNode;
        try {
          document = documents.parse(payload.query);
        } catch (error) {
          return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(options.schema, document, [...specifiedRules, ...options.validationRules]);
        if (errors.length) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        subscriptions.set(socket, count);
        const contextValue = options.context(principals.get(socket)!, () => closeAsSlow(socket)) as object;
        const key = `${payload.operationName ?? ''}\u0000${payload.query}\u0000${JSON.stringify(payload.variables ?? {})}`;
        targets.set(contextValue, { socket, id, key });
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables ?? undefined,
          contextValue,
        };
      },
      onComplete: (ctx) => {
        const socket = ctx.extra.socket;
        subscriptions.set(socket, Math.max(0, (subscriptions.get(socket) ?? 1) - 1));
      },
      // Only operations that are not delivered directly reach these hooks.
      onNext: (_ctx, _id, _payload, _args, result) => {
        metrics.liveEventsDelivered.inc();
        return formatResult(result, options.formatError);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(options.formatError),
      subscribe: async (args) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        const target = targets.get(args.contextValue as object);
        if (target && isDirectStream(source)) return direct.subscribe(source, args, target.key, target.socket, target.id);
        return mapSourceToResponse(source, args);
      },
      execute: (args) => execute(args),
    },
    wss,
    limits.keepAliveMs,
  );
  return server;
}

/** The code Apollo gives the same error over HTTP. */
function withCode(error: unknown, code: string): GraphQLError {
  const e = error instanceof GraphQLError ? error : new GraphQLError(String(error));
  return new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { ...e.extensions, code } });
}

function formatResult(result: ExecutionResult, format: (error: GraphQLError) => GraphQLError): ExecutionResult {
  return result.errors ? { ...result, errors: result.errors.map(format) } : result;
}

/** Parsed subscription documents by query text (screens open the same few operations). */
class DocumentCache {
  private readonly documents = new Map<string, DocumentNode>();

  parse(query: string): DocumentNode {
    let document = this.documents.get(query);
    if (!document) {
      document = parse(query);
      if (this.documents.size > 1_000) this.documents.clear();
      this.documents.set(query, document);
    }
    return document;
  }
}

/** A source that cannot be delivered directly: executed per event per subscriber, as graphql's `subscribe` does. */
function mapSourceToResponse(source: AsyncIterable<unknown>, args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  // A plain iterator, not an async generator: `return` must reach the source at once, even
  // while a `next` is still waiting for an event (a generator would queue it behind that).
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      const step = await iterator.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: await execute({ ...args, rootValue: step.value }) };
    },
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    throw: async (error?: unknown) => {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export { CloseCode };
