import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../../src/config';

describe('configuration', () => {
  it('defaults to the embedded SQLite file under DATA_DIR on port 4000', () => {
    const config = loadConfig({ DATA_DIR: '/tmp/fd-data' });
    expect(config.port).toBe(4000);
    expect(config.database).toEqual({ type: 'sqlite', path: path.join('/tmp/fd-data', 'failure-desk.sqlite') });
    expect(Object.isFrozen(config.graphql)).toBe(true);
  });

  it('takes a MySQL or MariaDB URL', () => {
    expect(loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/fd' }).database).toEqual({ type: 'mysql', url: 'mysql://root@127.0.0.1:3306/fd' });
  });

  it('turns introspection off in production unless asked for', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).graphql.introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection).toBe(true);
  });

  it('names every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'postgres://x/y', ADMIN_TOKEN: 'short', NODE_ENV: 'staging', REDIS_URL: 'localhost' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'ADMIN_TOKEN', 'NODE_ENV', 'REDIS_URL']) expect(problems).toContain(name);
    }
  });

  it('keeps 200,000 insights rollup rows in memory unless told otherwise (0: none)', () => {
    expect(loadConfig({}).insightsCacheRows).toBe(200_000);
    expect(loadConfig({ INSIGHTS_CACHE_ROWS: '0' }).insightsCacheRows).toBe(0);
    expect(() => loadConfig({ INSIGHTS_CACHE_ROWS: '-1' })).toThrow(/INSIGHTS_CACHE_ROWS/);
  });

  it('requires a database name in a MySQL URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306' })).toThrow(/must name a database/);
  });
});
