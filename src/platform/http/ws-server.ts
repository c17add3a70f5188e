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
  print,
  validate,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppMetrics } from '../metrics';

/** Close code for a socket that fell too far behind (application range 4000–4999). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
/** Close code for a token over its connection limit. */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4029;

export interface WsLimits {
  maxPayloadBytes: number;
  keepAliveMs: number;
  maxSubscriptionsPerConnection: number;
  maxConnectionsPerToken: number;
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
}

type SocketExtra = { socket: WebSocket; [key: string]: unknown };

/**
 * GraphQL over WebSocket (graphql-transport-ws) on the HTTP server's /graphql, per Apollo's
 * recipe. Adds what a public feed needs: auth at connection, per-connection and per-token
 * caps, a small message size, keep-alive pings, closing sockets that stop reading, and one
 * execution and one serialisation per event per distinct operation, shared by every socket
 * that runs it.
 */
export function createWsServer<P, C>(options: WsServerOptions<P, C>): { dispose(): void | Promise<void> } {
  const { limits, metrics } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: limits.maxPayloadBytes });
  const connectionsPerToken = new Map<string, number>();
  const principals = new WeakMap<WebSocket, P>();
  const subscriptions = new WeakMap<WebSocket, number>();

  // Registered before graphql-ws's own listener, so every send of this socket passes through here.
  // graphql-ws waits for each send to reach the kernel before it takes the next event, so a
  // socket that stops reading stalls only its own subscriptions, whose BoundedStream then overflows.
  wss.on('connection', (socket) => {
    metrics.wsConnections.inc();
    socket.once('close', () => metrics.wsConnections.dec());
    const send = socket.send.bind(socket) as (data: string, cb?: (err?: Error) => void) => void;
    (socket as unknown as { send: typeof send }).send = (data, cb) => {
      if (typeof data === 'string' && data.includes('"type":"next"')) {
        metrics.liveEventsDelivered.inc();
        data = cached.substitute(data);
      }
      send(data, cb);
    };
  });

  const closeAsSlow = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    metrics.slowConsumersDropped.inc();
    options.logger.warn('closing a WebSocket that fell too far behind');
    socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: too many undelivered events');
  };

  const cached = new SharedExecution(options.formatError);
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
      onSubscribe: (ctx, _id, payload) => {
        const socket = ctx.extra.socket;
        const count = (subscriptions.get(socket) ?? 0) + 1;
        if (count > limits.maxSubscriptionsPerConnection) {
          return [new GraphQLError(`At most ${limits.maxSubscriptionsPerConnection} operations may run on one connection`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        let document: DocumentNode;
        try {
          document = cached.parse(payload.query);
        } catch (error) {
          return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(options.schema, document, [...specifiedRules, ...options.validationRules]);
        if (errors.length) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        subscriptions.set(socket, count);
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables ?? undefined,
          contextValue: options.context(principals.get(socket)!, () => closeAsSlow(socket)),
        };
      },
      onComplete: (ctx) => {
        const socket = ctx.extra.socket;
        subscriptions.set(socket, Math.max(0, (subscriptions.get(socket) ?? 1) - 1));
      },
      // Shared results are already formatted (and serialised once); keep their identity.
      onNext: (_ctx, _id, _payload, _args, result) => (cached.isShared(result) ? result : formatResult(result, options.formatError)),
      jsonMessageReplacer: (key, value) => cached.replace(key, value),
      onError: (_ctx, _id, _payload, errors) => errors.map(options.formatError),
      subscribe: (args) => cached.subscribe(args),
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

/**
 * Executes a subscription's selection once per event per distinct operation (query text +
 * variables + operation name), and lets every socket running that operation share the result.
 * Relies on the live feed handing the same event object to every subscriber.
 */
class SharedExecution {
  private readonly documents = new Map<string, DocumentNode>();
  private readonly results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  /** The JSON of each shared result, made once and spliced into every socket's message. */
  private readonly json = new WeakMap<object, string>();
  /** Set by `replace` while graphql-ws serialises a message; taken by `substitute` when it is sent. */
  private pending: string | undefined;

  constructor(private readonly formatError: (error: GraphQLError) => GraphQLError) {}

  isShared(result: unknown): boolean {
    return typeof result === 'object' && result !== null && this.json.has(result);
  }

  /** JSON.stringify replacer of graphql-ws messages: a shared payload becomes a marker. */
  replace(key: string, value: unknown): unknown {
    if (key !== 'payload' || !this.isShared(value)) return value;
    this.pending = this.json.get(value as object);
    return SHARED_PAYLOAD_MARKER;
  }

  /** Puts the shared payload's JSON where the marker is; graphql-ws sends right after serialising. */
  substitute(data: string): string {
    const json = this.pending;
    this.pending = undefined;
    if (json === undefined || !data.endsWith(MARKER_TAIL)) return data;
    return `${data.slice(0, -MARKER_TAIL.length)}"payload":${json}}`;
  }

  parse(query: string): DocumentNode {
    let document = this.documents.get(query);
    if (!document) {
      document = parse(query);
      if (this.documents.size > 1_000) this.documents.clear();
      this.documents.set(query, document);
    }
    return document;
  }

  async subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = `${args.operationName ?? ''}\u0000${print(args.document)}\u0000${JSON.stringify(args.variableValues ?? {})}`;
    const iterator = source[Symbol.asyncIterator]();
    const executeShared = (event: unknown): Promise<ExecutionResult> => {
      if (typeof event !== 'object' || event === null) return Promise.resolve(execute({ ...args, rootValue: event }));
      let perEvent = this.results.get(event);
      if (!perEvent) this.results.set(event, (perEvent = new Map()));
      let result = perEvent.get(key);
      if (!result) {
        result = Promise.resolve(execute({ ...args, rootValue: event })).then((raw) => {
          const formatted = formatResult(raw, this.formatError);
          this.json.set(formatted, JSON.stringify(formatted));
          return formatted;
        });
        perEvent.set(key, result);
      }
      return result;
    };
    // A plain iterator, not an async generator: `return` must reach the source at once, even
    // while a `next` is still waiting for an event (a generator would queue it behind that).
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const step = await iterator.next();
        return step.done ? { done: true, value: undefined } : { done: false, value: await executeShared(step.value) };
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
}

const SHARED_PAYLOAD_MARKER = '__failure_desk_shared_payload__';
const MARKER_TAIL = `"payload":"${SHARED_PAYLOAD_MARKER}"}`;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export { CloseCode };
