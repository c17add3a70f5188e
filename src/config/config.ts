import path from 'node:path';

export type DatabaseConfig =
  | { readonly type: 'sqlite'; readonly path: string }
  | { readonly type: 'mysql'; readonly url: string };

/** Everything the service reads from its environment, validated once at start. */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | undefined;
  /** Bootstrap ADMIN token; absent means only stored tokens authenticate. */
  readonly adminToken: string | undefined;
  readonly logLevel: string;
  /** Largest accepted HTTP request body in bytes (default 5 MiB). */
  readonly bodyLimitBytes: number;
  readonly graphql: {
    readonly introspection: boolean;
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxCost: number;
    /** Upper bound for `first` on every connection. */
    readonly maxPageSize: number;
  };
  /** Extra sensitive key names, added to the built-in list. */
  readonly redactKeys: readonly string[];
  readonly outbox: {
    readonly pollIntervalMs: number;
    readonly maxAttempts: number;
    /** How long a claimed row is hidden from other workers; must exceed any delivery timeout. */
    readonly leaseMs: number;
  };
  /** Timeout for one retry webhook call, in milliseconds. */
  readonly retryWebhookTimeoutMs: number;
  /** Closed failures that occurred longer ago than this are purged (0: never). */
  readonly retentionDays: number;
  readonly retentionIntervalMs: number;
  /**
   * Per-group rollup rows (of hours, quarter days, days and edge minutes) kept in memory between
   * insights queries, each checked current at every use (0: none, every query reads the rollups).
   */
  readonly insightsCacheRows: number;
  /** A RETRYING failure without completeRetry for this long goes back to FAILED. */
  readonly retryTimeoutSeconds: number;
  readonly escalation: {
    /** PagerDuty Events API v2 enqueue URL. */
    readonly pagerDutyEventsUrl: string;
    /** Opsgenie API base; unset: by each policy's region (US or EU). */
    readonly opsgenieApiUrl: string | undefined;
    readonly pagerDutyWebhookSecret: string | undefined;
    readonly opsgenieWebhookSecret: string | undefined;
    /** Key that encrypts provider credentials at rest (32 bytes, hex or base64). */
    readonly credentialsKey: string | undefined;
    /** Base URL of the console, for links in pages. */
    readonly consoleUrl: string;
    /** How often open incidents are checked for auto-resolve and repeats, in ms. */
    readonly sweepIntervalMs: number;
    /** At most one evaluation per group per this many ms (the first runs at once). */
    readonly evaluateCoalesceMs: number;
    readonly providerTimeoutMs: number;
    /** Sends per minute per routing key / API key. */
    readonly sendsPerMinute: number;
  };
  readonly live: {
    /** At most one failureGroupUpdated event per group per this many milliseconds. */
    readonly coalesceMs: number;
    /**
     * Undelivered events a socket may hold before it is closed as too slow (4008): its unsent
     * bytes (`ws.bufferedAmount`) are compared with this many messages of the size being sent.
     */
    readonly bufferLimit: number;
    /**
     * Least time between two failure events published, and between two writes of live events
     * to the sockets, in ms (0: none): the first change after a quiet spell goes out at once,
     * those within this time after one wait and go out together with the next. Trades up to
     * this much latency for one read-back, one bus message and one write per socket per
     * interval instead of one per commit.
     */
    readonly flushIntervalMs: number;
    /**
     * With Redis: how many seconds Redis keeps each live event for an instance whose connection
     * dropped while the others' did not, to replay once it is back (0: none).
     */
    readonly replaySeconds: number;
    readonly maxSubscriptionsPerConnection: number;
    readonly maxConnectionsPerToken: number;
    /** Largest WebSocket message accepted, in bytes. */
    readonly maxMessageBytes: number;
    /** Ping interval; a socket that misses a pong for as long is dropped. */
    readonly keepAliveMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Builds the frozen Config from an environment (process.env in production). Collects every
 * problem before failing, so one start tells the operator everything there is to fix.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${env[name]}")`);
    return fallback;
  };

  const nodeEnvRaw = env.NODE_ENV ?? 'development';
  const nodeEnv = (['development', 'production', 'test'] as const).find((e) => e === nodeEnvRaw);
  if (!nodeEnv) problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`);

  const dataDir = path.resolve(env.DATA_DIR || './data');
  const database = parseDatabase(env.DATABASE_URL, dataDir, problems);

  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push(`REDIS_URL must start with redis:// or rediss:// (got "${redisUrl}")`);

  const adminToken = env.ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('ADMIN_TOKEN must be at least 16 characters long');
  }

  const config: Config = {
    nodeEnv: nodeEnv ?? 'development',
    port: int('PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    database,
    redisUrl,
    adminToken,
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    graphql: {
      introspection: bool('GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
      maxDepth: int('GRAPHQL_MAX_DEPTH', 12, 2, 100),
      maxAliases: int('GRAPHQL_MAX_ALIASES', 30, 1, 1000),
      maxCost: int('GRAPHQL_MAX_COST', 20_000, 10, 10_000_000),
      maxPageSize: int('GRAPHQL_MAX_PAGE_SIZE', 100, 1, 1000),
    },
    redactKeys: (env.REDACT_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    outbox: {
      pollIntervalMs: int('OUTBOX_POLL_INTERVAL_MS', 1000, 10, 60_000),
      maxAttempts: int('OUTBOX_MAX_ATTEMPTS', 12, 1, 100),
      leaseMs: int('OUTBOX_LEASE_MS', 60_000, 1_000, 3_600_000),
    },
    retryWebhookTimeoutMs: int('RETRY_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    retryTimeoutSeconds: int('RETRY_TIMEOUT_SECONDS', 300, 1, 7 * 24 * 3600),
    retentionDays: int('RETENTION_DAYS', 90, 0, 36_500),
    retentionIntervalMs: int('RETENTION_INTERVAL_MS', 10 * 60_000, 100, 24 * 3_600_000),
    insightsCacheRows: int('INSIGHTS_CACHE_ROWS', 200_000, 0, 100_000_000),
    escalation: {
      pagerDutyEventsUrl: env.PAGERDUTY_EVENTS_URL || 'https://events.pagerduty.com/v2/enqueue',
      opsgenieApiUrl: env.OPSGENIE_API_URL || undefined,
      pagerDutyWebhookSecret: env.PAGERDUTY_WEBHOOK_SECRET || undefined,
      opsgenieWebhookSecret: env.OPSGENIE_WEBHOOK_SECRET || undefined,
      credentialsKey: credentialsKey(env.CREDENTIALS_KEY, problems),
      consoleUrl: env.CONSOLE_URL || `http://localhost:${env.PORT || 4000}/`,
      sweepIntervalMs: int('ESCALATION_SWEEP_INTERVAL_MS', 5_000, 50, 600_000),
      evaluateCoalesceMs: int('ESCALATION_EVALUATE_COALESCE_MS', 1_000, 0, 600_000),
      providerTimeoutMs: int('PROVIDER_TIMEOUT_MS', 10_000, 100, 120_000),
      sendsPerMinute: int('PROVIDER_SENDS_PER_MINUTE', 120, 1, 100_000),
    },
    live: {
      coalesceMs: int('LIVE_COALESCE_MS', 250, 0, 60_000),
      bufferLimit: int('LIVE_BUFFER_LIMIT', 1_000, 1, 1_000_000),
      flushIntervalMs: int('LIVE_FLUSH_INTERVAL_MS', 50, 0, 1_000),
      replaySeconds: int('LIVE_REPLAY_SECONDS', 10, 0, 3_600),
      maxSubscriptionsPerConnection: int('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 20, 1, 10_000),
      maxConnectionsPerToken: int('WS_MAX_CONNECTIONS_PER_TOKEN', 100, 1, 1_000_000),
      maxMessageBytes: int('WS_MAX_MESSAGE_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      keepAliveMs: int('WS_KEEPALIVE_MS', 12_000, 1_000, 600_000),
    },
  };
  const longestDelivery = Math.max(config.retryWebhookTimeoutMs, config.escalation.providerTimeoutMs);
  if (config.outbox.leaseMs <= longestDelivery) {
    problems.push(`OUTBOX_LEASE_MS (${config.outbox.leaseMs}) must be longer than the longest delivery timeout (${longestDelivery} ms), or two workers could send one row`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function parseDatabase(url: string | undefined, dataDir: string, problems: string[]): DatabaseConfig {
  if (!url) return { type: 'sqlite', path: path.join(dataDir, 'failure-desk.sqlite') };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) problems.push('DATABASE_URL sqlite:<path> needs a file path');
    return { type: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    try {
      const parsed = new URL(url);
      if (!parsed.pathname || parsed.pathname === '/') problems.push('DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/failure_desk');
    } catch {
      problems.push('DATABASE_URL is not a valid URL');
    }
    return { type: 'mysql', url: url.replace(/^mariadb:/, 'mysql:') };
  }
  problems.push('DATABASE_URL must start with mysql:// (or sqlite:<path>); leave it unset for the embedded SQLite file');
  return { type: 'sqlite', path: path.join(dataDir, 'failure-desk.sqlite') };
}

function credentialsKey(raw: string | undefined, problems: string[]): string | undefined {
  if (!raw) return undefined;
  const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? 32 : Buffer.from(raw, 'base64').length;
  if (bytes !== 32) problems.push('CREDENTIALS_KEY must be 32 bytes: 64 hex characters or base64 (e.g. `openssl rand -base64 32`)');
  return raw;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
