import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { type App, type AppOverrides, createApp } from '../../src/app';
import { type Config, type DatabaseConfig, loadConfig } from '../../src/config';
import { type GqlResult, gql } from './gql';
import { type TestDatabase, createTestDatabase } from './test-database';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  app: App;
  url: string;
  port: number;
  database: DatabaseConfig;
  /** POST /graphql as the bootstrap admin unless another token is given. */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResult<T>>;
  /** Creates a service with a fresh unique name; returns its name and reporter token. */
  createService(input?: Partial<{ name: string; team: string; criticality: number; retryWebhookUrl: string | null }>): Promise<{ id: string; name: string; token: string; secret: string }>;
  createToken(role: 'VIEWER' | 'OPERATOR' | 'ADMIN' | 'REPORTER', service?: string): Promise<string>;
  /** Stops the app; the database stays (for restart tests) until `dispose`. */
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  overrides?: AppOverrides;
  /** Reuse a database (restart tests); a new one is made otherwise. */
  database?: TestDatabase;
  /** Listen on this port (restart tests); a free one otherwise. */
  port?: number;
}

export function testConfig(database: DatabaseConfig, env: Record<string, string> = {}): Config {
  const base = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN: TEST_ADMIN_TOKEN, PORT: '0', HOST: '127.0.0.1', OUTBOX_POLL_INTERVAL_MS: '50', ...env });
  return { ...base, database };
}

/** The real app on a real port (0) over a throwaway database, with helpers for the common calls. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp & { db: TestDatabase }> {
  const db = options.database ?? (await createTestDatabase());
  const app = await createApp(testConfig(db.config, options.env), { logger: pino({ level: 'silent' }), ...options.overrides });
  const port = await app.listen(options.port ?? 0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const request = <T>(query: string, variables?: Record<string, unknown>, token: string | null = TEST_ADMIN_TOKEN) => gql<T>(url, query, variables, token);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop();
  };
  return {
    app,
    url,
    port,
    db,
    database: db.config,
    request,
    async createService(input = {}) {
      const name = input.name ?? `svc-${randomUUID().slice(0, 8)}`;
      const result = await request<{ createService: { service: { id: string }; token: string; retryWebhookSecret: string } }>(
        `mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } token retryWebhookSecret } }`,
        { input: { name, team: input.team ?? 'team-a', criticality: input.criticality ?? 3, retryWebhookUrl: input.retryWebhookUrl ?? null } },
      );
      const data = expectData(result).createService;
      return { id: data.service.id, name, token: data.token, secret: data.retryWebhookSecret };
    },
    async createToken(role, service) {
      const result = await request<{ createApiToken: { token: string } }>(
        `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }`,
        { input: { role, service: service ?? null } },
      );
      return expectData(result).createApiToken.token;
    },
    stop,
    async dispose() {
      await stop();
      await db.drop();
    },
  };
}

/** The data of a successful result; throws with the errors otherwise (a clear test failure). */
export function expectData<T>(result: GqlResult<T>): T {
  if (result.body.errors?.length || !result.body.data) {
    throw new Error(`GraphQL errors (HTTP ${result.status}): ${JSON.stringify(result.body.errors)}`);
  }
  return result.body.data;
}

/** The extensions.code of the first error. */
export function errorCode(result: GqlResult<unknown>): string | undefined {
  return result.body.errors?.[0]?.extensions?.code as string | undefined;
}
