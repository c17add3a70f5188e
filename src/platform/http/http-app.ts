import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AppMetrics } from '../metrics';

export interface HttpAppOptions {
  logger: Logger;
  metrics: AppMetrics;
  bodyLimitBytes: number;
  /** The GraphQL handler (Apollo's express middleware), mounted at /graphql. */
  graphql: RequestHandler;
  /** True while the service can do its work (database reachable). */
  ready: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
  /** Extra routes (webhooks, console) mounted before the error handler. */
  extraRoutes?: (app: Express) => void;
}

/**
 * The express application: /graphql, /healthz, /readyz, /metrics. Bodies over the limit and
 * malformed JSON are answered as GraphQL-shaped errors with a code, and never reach a resolver.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.path === '/graphql' || req.path.startsWith('/webhooks/') ? req.path : req.path in KNOWN_ROUTES ? req.path : 'other';
      options.metrics.httpDuration.observe({ route, method: req.method, status: String(res.statusCode) }, seconds);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const result = await options.ready();
    res.status(result.ready ? 200 : 503).json({ ready: result.ready, checks: result.checks });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  options.extraRoutes?.(app);

  app.use('/graphql', express.json({ limit: options.bodyLimitBytes, type: ['application/json', 'application/graphql-response+json'] }), options.graphql);

  const onError: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: `Request body is larger than ${options.bodyLimitBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
      return;
    }
    if (type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ errors: [{ message: (error as Error).message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const errorId = randomUUID();
    options.logger.error({ err: error, errorId, path: req.path }, 'unhandled HTTP error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', errorId } }] });
  };
  app.use(onError);
  return app;
}

const KNOWN_ROUTES: Record<string, true> = { '/healthz': true, '/readyz': true, '/metrics': true, '/': true };
