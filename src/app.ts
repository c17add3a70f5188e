import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { AxiosInstance } from 'axios';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { AuthService, type Principal, parseBearer } from './auth';
import { ENTITIES } from './entities';
import type { Config } from './config';
import { type GraphQLContext, createLoaders } from './context';
import {
  FailureActionService,
  FailureGroupResolver,
  FailureQueryService,
  FailureResolver,
  RetryDispatcher,
  RetryWebhookHandler,
  WebhookRetryRoute,
} from './failures';
import { GroupingService } from './grouping';
import { DEFAULT_REDACT_KEYS, IngestionResolver, IngestionService, MYSQL_CONCURRENT_COMMITS, normalizeRedactKeys } from './ingestion';
import { redactText, truncateUtf8, TRUNCATED_MARKER } from './ingestion/redaction';
import { REPORT_LIMITS } from './ingestion/report-limits';
import { Dialect, TransactionRunner, createDataSource, createPipelineDataSource } from './platform/db';
import { AppError } from './platform/errors';
import { createFormatError, queryLimitRules } from './platform/graphql';
import { type FlushObserver, createHttpApp, createWsServer, defaultConsoleDir, graphqlFastPath, mountConsole } from './platform/http';
import { PeriodicTask } from './platform/periodic-task';
import { createEventBus } from './platform/pubsub';
import { type Logger, createLogger } from './platform/logging/logger';
import { AppMetrics } from './platform/metrics';
import { OutboxWorker } from './platform/outbox';
import { RegistryResolver, ServiceRegistry } from './registry';
import { buildAppSchema } from './schema';
import {
  CredentialsCipher,
  EscalationDeliveryHandler,
  EscalationEvaluator,
  EscalationPolicyService,
  EscalationResolver,
  Pacer,
  type EscalationProvider,
  type ProviderName,
  mountInboundWebhooks,
} from './escalation';
import { OpsgenieProvider, PagerDutyProvider } from './escalation/adapters';
import type { Change } from './failures';
import { IncidentResolver, IncidentService } from './incidents';
import { KeyedCoalescer } from './platform/keyed-coalescer';
import { AttributeStatsWriter, InsightsResolver, InsightsService, MinuteStatsWriter, RecentCountsReader, RetentionService } from './insights';
import { LIVE_CHANGES_KIND, LiveFeed, LiveResolver, LiveSubscriptions, RETRY_LIVE_KIND, SubscriptionRetryRoute } from './subscriptions';

/** Replaceable parts, for tests: anything not given is built from the config. */
export interface AppOverrides {
  logger?: Logger;
  http?: AxiosInstance;
  now?: () => Date;
  /** Incident platforms by name (tests may put fakes behind the real adapters instead). */
  providers?: Record<ProviderName, EscalationProvider>;
  /** Where the built ops console is (default dist/console of the project). */
  consoleDir?: string;
  /**
   * Instrumentation for the live benchmark, off unless given: called after each write of live
   * events to the sockets with the events written (the subscription's root values, e.g. a
   * reported failure), the sockets each went to, and when the write started and ended (Date.now()).
   */
  onLiveFlush?: FlushObserver;
}

export interface App {
  readonly config: Config;
  readonly dataSource: DataSource;
  readonly schema: GraphQLSchema;
  readonly metrics: AppMetrics;
  readonly outbox: OutboxWorker;
  readonly httpServer: http.Server;
  /** Starts the HTTP server and the background workers; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /** Drains HTTP requests in flight, stops the workers and closes the database. */
  stop(): Promise<void>;
}

const READINESS_TIMEOUT_MS = 2_000; // 2 seconds
const OUTBOX_RETENTION_MS = 60 * 60_000; // delivered outbox rows are kept an hour for inspection
const LIVE_KINDS = [LIVE_CHANGES_KIND, RETRY_LIVE_KIND];

/** Composition root: builds the whole object graph with plain constructors, runs migrations. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const dataSource = createDataSource(config.database, ENTITIES);
  await dataSource.initialize();
  // MySQL: ingestion's transactions send their statements in few round trips, on a pool of their own.
  let pipelineSource: DataSource | undefined;
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    if (config.database.type === 'mysql') pipelineSource = await createPipelineDataSource(config.database, ENTITIES, MYSQL_CONCURRENT_COMMITS).initialize();
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }

  const dialect = new Dialect(config.database.type);
  const transactions = new TransactionRunner(dataSource, dialect, pipelineSource);
  let outbox: OutboxWorker | undefined;
  const metrics = new AppMetrics({ outboxDepth: () => outbox!.depth() });
  outbox = new OutboxWorker({
    dataSource,
    dialect,
    transactions,
    logger,
    pollIntervalMs: config.outbox.pollIntervalMs,
    maxAttempts: config.outbox.maxAttempts,
    leaseMs: config.outbox.leaseMs,
    bulkKinds: LIVE_KINDS,
    now: overrides.now,
    metrics: {
      delivered: (kind) => metrics.outboxDeliveries.inc({ kind, result: 'delivered' }),
      failed: (kind, permanent) => metrics.outboxDeliveries.inc({ kind, result: permanent ? 'dead' : 'retry' }),
    },
  });

  const redaction = { keys: normalizeRedactKeys([...DEFAULT_REDACT_KEYS, ...config.redactKeys]) };
  const auth = new AuthService({ dataSource, adminToken: config.adminToken });
  const registry = new ServiceRegistry(dataSource, transactions, auth);
  const grouping = new GroupingService(dialect);
  const bus = createEventBus(config.redisUrl, logger, {
    replayMs: config.live.replaySeconds * 1000,
    onReplayed: (count) => metrics.liveEventsReplayed.inc(count),
    onReplayGap: (missed) => {
      metrics.liveReplayGaps.inc();
      metrics.liveEventsMissed.inc(missed);
    },
  });
  // Escalation acts on the same committed changes as the live feeds; it is wired in below.
  const followers: Array<(change: Change) => Promise<void>> = [];
  const liveFeed = new LiveFeed({ dataSource, registry, outbox, bus, metrics, logger, coalesceMs: config.live.coalesceMs, batchIntervalMs: config.live.flushIntervalMs, followers });
  outbox.register(liveFeed);
  // Live rows that waited out a Redis outage are due again the moment it is back.
  bus.onRecovered(() => void outbox!.makeDue(LIVE_KINDS).then(() => outbox!.nudge()));
  const liveSubscriptions = new LiveSubscriptions({ bus, metrics, bufferLimit: config.live.bufferLimit });
  const stats = new MinuteStatsWriter(dialect);
  const attributes = new AttributeStatsWriter(dialect);
  const ingestion = new IngestionService({ dataSource, dialect, transactions, registry, grouping, metrics, redaction, changes: liveFeed, stats, attributes, now: overrides.now });
  const queries = new FailureQueryService(dataSource, dialect, registry, config.graphql.maxPageSize);
  const liveRetries = new SubscriptionRetryRoute({ bus, outbox, dataSource, registry });
  outbox.register(liveRetries);
  const dispatcher = new RetryDispatcher([liveRetries, new WebhookRetryRoute(outbox)]);
  const actions = new FailureActionService({
    transactions,
    dialect,
    grouping,
    registry,
    dispatcher,
    outbox,
    changes: liveFeed,
    stats,
    now: overrides.now,
    sanitizeMessage: (message) => truncateUtf8(redactText(message, redaction).value, REPORT_LIMITS.messageBytes, TRUNCATED_MARKER).text,
  });
  const incidents = new IncidentService({ dataSource, dialect, transactions, outbox, changes: liveFeed, registry, maxPageSize: config.graphql.maxPageSize, now: overrides.now });
  const policies = new EscalationPolicyService(dataSource, transactions, registry, config.escalation.credentialsKey ? new CredentialsCipher(config.escalation.credentialsKey) : undefined);
  const evaluator = new EscalationEvaluator({ dataSource, dialect, transactions, registry, policies, incidents, outbox, changes: liveFeed, logger, now: overrides.now });
  const evaluations = new KeyedCoalescer(config.escalation.evaluateCoalesceMs, (groupIds) => evaluator.evaluateGroups(groupIds), logger);
  followers.push(async (change) => {
    if (change.groupIds?.length) await evaluations.touch(change.groupIds);
  });
  const providerTimeoutMs = config.escalation.providerTimeoutMs;
  outbox.register(
    new EscalationDeliveryHandler({
      incidents,
      policies,
      queries,
      registry,
      providers: overrides.providers ?? {
        PAGERDUTY: new PagerDutyProvider({ eventsUrl: config.escalation.pagerDutyEventsUrl, timeoutMs: providerTimeoutMs, http: overrides.http }),
        OPSGENIE: new OpsgenieProvider({ apiUrl: config.escalation.opsgenieApiUrl, timeoutMs: providerTimeoutMs, http: overrides.http }),
      },
      pacer: new Pacer(config.escalation.sendsPerMinute),
      consoleUrl: config.escalation.consoleUrl,
      metrics,
      logger,
    }),
  );
  const retention = new RetentionService(dataSource, transactions, metrics, config.retentionDays, overrides.now);
  const recentCounts = new RecentCountsReader(dataSource, overrides.now);
  const retentionPurge = new PeriodicTask('retention-purge', config.retentionIntervalMs, () => retention.purge(), logger);
  const escalationSweep = new PeriodicTask('escalation-sweep', config.escalation.sweepIntervalMs, () => evaluator.sweep(), logger);

  outbox.register(
    new RetryWebhookHandler({
      dataSource,
      registry,
      timeoutMs: config.retryWebhookTimeoutMs,
      http: overrides.http,
      onUndeliverable: (manager, request, reason) => actions.retryUndeliverable(manager, request, reason),
    }),
  );

  const resolvers = [
    [RegistryResolver, new RegistryResolver(registry)],
    [IngestionResolver, new IngestionResolver(ingestion)],
    [FailureResolver, new FailureResolver(queries, actions)],
    [FailureGroupResolver, new FailureGroupResolver(queries, actions)],
    [LiveResolver, new LiveResolver()],
    [IncidentResolver, new IncidentResolver(incidents)],
    [EscalationResolver, new EscalationResolver(policies, registry)],
    [InsightsResolver, new InsightsResolver(new InsightsService(dataSource, dialect, registry, queries, config.insightsCacheRows), retention)],
  ] as const;
  const schema = buildAppSchema(new Map<unknown, unknown>(resolvers));

  const limitRules = queryLimitRules({
    maxDepth: config.graphql.maxDepth,
    maxAliases: config.graphql.maxAliases,
    maxCost: config.graphql.maxCost,
    defaultListSize: config.graphql.maxPageSize,
  });
  const httpServer = http.createServer();
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.graphql.introspection,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT and stops everything in order. Apollo's own handlers (on by
    // default outside NODE_ENV=test) would start a second stop() that app.stop() then waits on
    // forever: Apollo 5 never resolves the barrier a concurrent stop() awaits.
    stopOnTerminationSignals: false,
    // Apollo's own messages (such as the subgraph's "Enabling inline tracing") go through the
    // service's structured logger, at its level, instead of straight to the console.
    logger: {
      debug: (message: string) => logger.debug({ component: 'apollo' }, message),
      info: (message: string) => logger.debug({ component: 'apollo' }, message),
      warn: (message: string) => logger.warn({ component: 'apollo' }, message),
      error: (message: string) => logger.error({ component: 'apollo' }, message),
    },
    includeStacktraceInErrorResponses: false,
    // Compact JSON: Apollo's default indents every response, which for a large statistics answer
    // costs more CPU than executing it and about twice the bytes.
    stringifyResult: (result) => JSON.stringify(result),
    validationRules: limitRules,
    formatError: createFormatError({
      exposeInternal: config.nodeEnv === 'development',
      onInternal: (error) => logger.error({ err: error }, 'internal error in GraphQL operation'),
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 10_000 }),
      // The schema sets no cache hints, so Apollo's default cache-control plugin only ever said
      // "no-store", yet wrapped every field's resolver to look for hints: said once per response.
      ApolloServerPluginCacheControlDisabled(),
      { requestDidStart: async () => ({ willSendResponse: async ({ response }) => void response.http.headers.set('cache-control', 'no-store') }) },
      // Apollo's recipe: stopping the server also closes the WebSocket server and its sockets.
      { serverWillStart: async () => ({ drainServer: async () => void (await ws.dispose()) }) },
    ],
  });
  await apollo.start();

  const retryTimeouts = new PeriodicTask(
    'retry-timeouts',
    Math.min(config.retryTimeoutSeconds * 250, 5_000), // a quarter of the timeout, at most 5 s
    () => actions.expireRetries(config.retryTimeoutSeconds),
    logger,
  );
  const outboxPurge = new PeriodicTask('outbox-purge', 60_000, () => outbox!.purgeDone(OUTBOX_RETENTION_MS), logger);

  const contextFor = async (authorization: string | undefined): Promise<GraphQLContext> => {
    try {
      const principal = await auth.authenticate(parseBearer(authorization));
      return { principal, loaders: createLoaders(registry, queries, incidents, recentCounts), requestId: randomUUID() };
    } catch (error) {
      if (error instanceof AppError) {
        throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
      }
      throw error;
    }
  };

  const ready = async (): Promise<{ ready: boolean; checks: Record<string, string> }> => {
    try {
      await Promise.race([
        dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), READINESS_TIMEOUT_MS).unref()),
      ]);
    } catch (error) {
      return { ready: false, checks: { database: `unreachable: ${(error as Error).message}`, live: liveCheck() } };
    }
    // Live events are a convenience: without Redis the service still stores every report.
    return { ready: true, checks: { database: 'ok', live: liveCheck() } };
  };
  const liveCheck = () => (bus.mode === 'memory' ? 'ok (in-process)' : bus.healthy() ? 'ok (redis)' : 'degraded: redis unreachable, events wait in the outbox');

  const express = createHttpApp({
    logger,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    graphql: expressMiddleware(apollo, { context: async ({ req }) => contextFor(req.headers.authorization) }),
    ready,
    extraRoutes: (app) => {
      mountConsole(app, overrides.consoleDir ?? defaultConsoleDir());
      mountInboundWebhooks(app, {
        pagerDutySecret: config.escalation.pagerDutyWebhookSecret,
        opsgenieSecret: config.escalation.opsgenieWebhookSecret,
        incidents,
        transactions,
        dialect,
        outbox: outbox!,
        changes: liveFeed,
        logger,
      });
    },
  });
  // Plain POST /graphql requests skip Express (the same answers, less work per request).
  const fastGraphQL = graphqlFastPath({ apollo, context: async ({ req }) => contextFor(req.headers.authorization), bodyLimitBytes: config.bodyLimitBytes, metrics, logger });
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!fastGraphQL(req, res)) express(req, res);
  });

  const formatError = createFormatError({ exposeInternal: config.nodeEnv === 'development', onInternal: (error) => logger.error({ err: error }, 'internal error in subscription') });
  const ws = createWsServer<Principal, GraphQLContext>({
    httpServer,
    path: '/graphql',
    schema,
    validationRules: limitRules,
    limits: {
      maxPayloadBytes: config.live.maxMessageBytes,
      keepAliveMs: config.live.keepAliveMs,
      maxSubscriptionsPerConnection: config.live.maxSubscriptionsPerConnection,
      maxConnectionsPerToken: config.live.maxConnectionsPerToken,
      bufferLimit: config.live.bufferLimit,
      flushIntervalMs: config.live.flushIntervalMs,
    },
    authenticate: async (authorization) => {
      const principal = await auth.authenticate(parseBearer(authorization));
      return principal ? { principal, tokenKey: principal.tokenId ?? 'bootstrap-admin' } : null;
    },
    context: (principal, closeAsSlow) => ({
      principal,
      loaders: createLoaders(registry, queries, incidents, recentCounts),
      requestId: randomUUID(),
      live: { subscriptions: liveSubscriptions, registry, closeAsSlow },
    }),
    formatError: (error) => {
      const formatted = formatError(error, error);
      return new GraphQLError(formatted.message, { extensions: formatted.extensions, path: error.path, nodes: error.nodes });
    },
    metrics,
    logger,
    onFlush: overrides.onLiveFlush,
  });

  let stopping: Promise<void> | undefined;
  return {
    config,
    dataSource,
    schema,
    metrics,
    outbox,
    httpServer,
    async listen(port = config.port, host = config.host) {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      outbox!.start();
      retryTimeouts.start();
      escalationSweep.start();
      retentionPurge.start();
      outboxPurge.start();
      const bound = (httpServer.address() as AddressInfo).port;
      logger.info({ port: bound, database: config.database.type }, 'failure desk listening');
      return bound;
    },
    stop() {
      stopping ??= (async () => {
        await apollo.stop(); // drains requests in flight, then closes the listener
        httpServer.closeAllConnections?.();
        await retryTimeouts.stop();
        await escalationSweep.stop();
        await retentionPurge.stop();
        await outboxPurge.stop();
        await outbox!.stop();
        await liveFeed.stop().catch(() => undefined);
        await bus.close();
        await pipelineSource?.destroy();
        await dataSource.destroy();
      })();
      return stopping;
    },
  };
}
