import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/config';

/** A throwaway database for one test app, and how to remove it. */
export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** True when the suites run against MariaDB/MySQL (TEST_DATABASE_URL set), as in CI. */
export const usingMysql = Boolean(process.env.TEST_DATABASE_URL);

/**
 * SQLite: a new file in a temp folder. MySQL: a new database on the TEST_DATABASE_URL server,
 * named after the jest worker, so parallel workers never share tables.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const suffix = `${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'failure-desk-test-'));
    return {
      config: { type: 'sqlite', path: path.join(dir, 'test.sqlite') },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `fd_test_${suffix}`;
  const server = new URL(serverUrl);
  server.pathname = '';
  const admin = await createConnection({ uri: server.toString() });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { type: 'mysql', url: url.toString() },
    drop: async () => {
      const conn = await createConnection({ uri: server.toString() });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
