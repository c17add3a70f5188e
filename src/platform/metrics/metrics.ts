import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The application's Prometheus metrics, on a registry of its own (no global state, so several
 * apps in one test process do not collide).
 */
export class AppMetrics {
  readonly registry = new Registry();

  readonly reports = new Counter({
    name: 'failuredesk_reports_total',
    help: 'Failure reports received, by outcome (accepted, duplicate, rejected) and rejection reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'failuredesk_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly outboxDeliveries = new Counter({
    name: 'failuredesk_outbox_deliveries_total',
    help: 'Outbox deliveries by kind and result (delivered, retry, dead).',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly wsConnections = new Gauge({
    name: 'failuredesk_ws_connections',
    help: 'Open GraphQL WebSocket connections.',
    registers: [this.registry],
  });

  readonly activeSubscriptions = new Gauge({
    name: 'failuredesk_active_subscriptions',
    help: 'Active GraphQL subscriptions, by field.',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });

  readonly liveEventsPublished = new Counter({
    name: 'failuredesk_live_events_published_total',
    help: 'Live events published to the event bus, by topic.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly liveEventsDelivered = new Counter({
    name: 'failuredesk_live_events_delivered_total',
    help: 'Subscription results sent to sockets.',
    registers: [this.registry],
  });

  readonly liveEventsReplayed = new Counter({
    name: 'failuredesk_live_events_replayed_total',
    help: 'Live events this instance read back from Redis after its connection dropped (missed, then delivered).',
    registers: [this.registry],
  });

  readonly liveReplayGaps = new Counter({
    name: 'failuredesk_live_replay_gaps_total',
    help: 'Times this instance came back to Redis and could not replay everything it missed (trimmed from the replay stream, or the replay failed).',
    registers: [this.registry],
  });

  readonly liveEventsMissed = new Counter({
    name: 'failuredesk_live_events_missed_total',
    help: 'Live events this instance missed while disconnected that were trimmed before it could replay them (lost to its subscribers).',
    registers: [this.registry],
  });

  readonly slowConsumersDropped = new Counter({
    name: 'failuredesk_slow_consumers_dropped_total',
    help: 'Sockets closed because they fell too far behind.',
    registers: [this.registry],
  });

  readonly escalationDeliveries = new Counter({
    name: 'failuredesk_escalation_deliveries_total',
    help: 'Calls to incident platforms by provider, action and result (delivered, retry, failed).',
    labelNames: ['provider', 'action', 'result'] as const,
    registers: [this.registry],
  });

  readonly failuresPurged = new Counter({
    name: 'failuredesk_failures_purged_total',
    help: 'Closed failures deleted by the retention purge (their groups and statistics remain).',
    registers: [this.registry],
  });

  constructor(options: { outboxDepth?: () => Promise<number>; defaultMetrics?: boolean } = {}) {
    const depth = options.outboxDepth;
    new Gauge({
      name: 'failuredesk_outbox_depth',
      help: 'Outbox rows waiting for delivery.',
      registers: [this.registry],
      async collect() {
        if (depth) this.set(await depth().catch(() => -1));
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'failuredesk_' });
  }
}
