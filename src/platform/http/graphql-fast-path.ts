import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type BaseContext, type ContextFunction, HeaderMap } from '@apollo/server';
import type { Logger } from 'pino';
import type { AppMetrics } from '../metrics';

export interface GraphQLFastPathOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: ContextFunction<[{ req: IncomingMessage }], TContext>;
  bodyLimitBytes: number;
  metrics: AppMetrics;
  logger: Logger;
}

/** `application/json`, alone or with `charset=utf-8`: what body-parser reads as UTF-8 JSON. */
const JSON_UTF8 = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;
const DIGITS = /^\d+$/;
const BYTE_ORDER_MARK = '\uFEFF';

/**
 * The everyday request, `POST /graphql` with a UTF-8 JSON body of declared length within the
 * limit, handed to Apollo without Express: its router, body-parser and `res.send` are a large
 * share of what a small request costs. Returns false, before touching the request, for
 * anything else (other paths and methods, a query string, compressed or chunked bodies, other
 * content types or charsets, bodies over the limit), which Express then serves as before.
 * Answers are the same as through Express: Apollo's response with Content-Length and a weak
 * ETag, malformed JSON 400 `BAD_REQUEST`, an unexpected error 500 with an error id.
 */
export function graphqlFastPath<TContext extends BaseContext>(options: GraphQLFastPathOptions<TContext>): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return false;
    const headers = req.headers;
    const length = headers['content-length'];
    if (length === undefined || !DIGITS.test(length) || Number(length) > options.bodyLimitBytes) return false;
    if (headers['transfer-encoding'] !== undefined || (headers['content-encoding'] ?? 'identity').toLowerCase() !== 'identity') return false;
    if (!JSON_UTF8.test(headers['content-type'] ?? '')) return false;

    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      options.metrics.httpDuration.observe({ route: '/graphql', method: 'POST', status: String(res.statusCode) }, seconds);
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      let body: unknown;
      try {
        body = parseJsonBody(text);
      } catch {
        send(res, 400, 'application/json; charset=utf-8', JSON.stringify({ errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] }));
        return;
      }
      execute(options, req, res, body).catch((error: unknown) => {
        const errorId = randomUUID();
        options.logger.error({ err: error, errorId, path: '/graphql' }, 'unhandled HTTP error');
        if (res.headersSent) {
          res.destroy();
          return;
        }
        send(res, 500, 'application/json; charset=utf-8', JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } }] }));
      });
    });
    return true;
  };
}

/** body-parser's `json()` in strict mode: BOM dropped, empty body `{}`, only an object or array. */
function parseJsonBody(raw: string): unknown {
  const text = raw.startsWith(BYTE_ORDER_MARK) ? raw.slice(1) : raw;
  if (text.length === 0) return {};
  let at = 0;
  while (at < text.length && JSON_WHITESPACE.has(text.charCodeAt(at))) at++;
  if (text[at] !== '{' && text[at] !== '[') throw new SyntaxError('strict violation');
  return JSON.parse(text);
}

/** Space, tab, line feed, carriage return. */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** What @as-integrations/express5 does with a parsed request. */
async function execute<TContext extends BaseContext>(options: GraphQLFastPathOptions<TContext>, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers, search: '', body },
    context: () => options.context({ req }),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status || 200;
  if (response.body.kind === 'complete') {
    send(res, res.statusCode, (res.getHeader('content-type') as string | undefined) ?? 'text/html; charset=utf-8', response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** Express's `res.send(string)` for a POST: Content-Type, Content-Length and a weak ETag. */
function send(res: ServerResponse, status: number, contentType: string, text: string): void {
  const payload = Buffer.from(text, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', payload.length);
  res.setHeader('ETag', weakETag(payload));
  res.end(payload);
}

/** Express's default ETag (the `etag` package, weak): length and SHA-1 of the body. */
function weakETag(payload: Buffer): string {
  if (payload.length === 0) return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `W/"${payload.length.toString(16)}-${createHash('sha1').update(payload).digest('base64').substring(0, 27)}"`;
}
