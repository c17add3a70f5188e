/**
 * The console talks to the public API only: GraphQL over HTTP for queries and mutations,
 * graphql-ws on the same path for live updates. The token travels as a bearer header and as
 * the WebSocket connection's `authorization` parameter.
 */
import { type Client, createClient } from 'graphql-ws';

/** A GraphQL error as the console shows it: the message and the machine-readable code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface Api {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Starts a subscription; the returned function ends it. Reconnects by itself. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): () => void;
  /** Connection state changes of the live socket. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  close(): void;
}

export function graphqlUrl(location: Location = window.location): string {
  return `${location.origin}/graphql`;
}

export function websocketUrl(location: Location = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}

/** One POST /graphql; errors become an ApiError with the first error's code. */
export async function request<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(graphqlUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The service cannot be reached. Check the network and try again.', 'NETWORK_ERROR');
  }
  let body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The service answered ${response.status} without a GraphQL result.`, 'BAD_RESPONSE');
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions?.code ?? 'UNKNOWN');
  }
  if (!body.data) throw new ApiError('The service answered without data.', 'BAD_RESPONSE');
  return body.data;
}

export function createApi(token: string): Api {
  const listeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of listeners) listener(next);
  };
  const client: Client = createClient({
    url: websocketUrl(),
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    keepAlive: 15_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    // 0.5 s, 1 s, 2 s … at most 10 s, with jitter, so a restarted server is not stampeded.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries) * (0.75 + Math.random() / 2))),
    on: {
      connected: () => setState('connected'),
      closed: () => setState(state === 'connecting' ? 'connecting' : 'reconnecting'),
    },
  });

  return {
    request: (query, variables) => request(token, query, variables),
    subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void) {
      return client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.data) onData(result.data as T);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
    },
    onConnection(listener) {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
    close: () => void client.dispose(),
  };
}
