import http from 'node:http';
import { afterAll, describe, expect, it } from '@jest/globals';
import { gql } from '../helpers/gql';
import { startProcess } from '../helpers/process';
import { REPORT_FAILURES, report } from '../helpers/reports';
import { TEST_ADMIN_TOKEN, expectData } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

describe('shutting down on SIGTERM', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await db?.drop();
  });

  it('finishes the batch in flight, exits cleanly, and the batch is there after a restart', async () => {
    db = await createTestDatabase();
    const env = db.config.type === 'mysql' ? { DATABASE_URL: db.config.url } : { DATABASE_URL: `sqlite:${db.config.path}` };
    const first = await startProcess(env);
    const created = expectData(await gql<{ createService: { token: string } }>(first.url, `mutation { createService(input: { name: "shutdown-svc", team: "ops" }) { token } }`, {}, TEST_ADMIN_TOKEN));
    const token = created.createService.token;

    // Send the headers and half the body, signal, then the rest: the request is in flight when SIGTERM lands.
    const body = JSON.stringify({ query: REPORT_FAILURES, variables: { input: Array.from({ length: 1000 }, (_, i) => report('shutdown-svc', { taskId: `t-${i}` })) } });
    const url = new URL(first.url);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, body.length / 2));
      setTimeout(() => {
        first.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(body.length / 2)), 200);
      }, 200);
    });
    const response = await answer;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).data.reportFailures.accepted).toBe(1000);
    expect(await first.exited).toBe(0);

    const second = await startProcess(env);
    try {
      const listed = expectData(await gql<{ failures: { totalCount: number } }>(second.url, `{ failures(filter: { service: "shutdown-svc" }) { totalCount } }`, {}, TEST_ADMIN_TOKEN));
      expect(listed.failures.totalCount).toBe(1000);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 60_000);

  it('exits cleanly on SIGTERM with NODE_ENV=production, where Apollo would handle signals itself', async () => {
    db ??= await createTestDatabase();
    const env = db.config.type === 'mysql' ? { DATABASE_URL: db.config.url } : { DATABASE_URL: `sqlite:${db.config.path}` };
    const server = await startProcess({ ...env, NODE_ENV: 'production' });
    expectData(await gql<{ createService: { token: string } }>(server.url, `mutation { createService(input: { name: "shutdown-prod-svc", team: "ops" }) { token } }`, {}, TEST_ADMIN_TOKEN));
    server.child.kill('SIGTERM');
    // A hung shutdown is killed, so the database can still be dropped after the failure.
    const killer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
    const code = await server.exited;
    clearTimeout(killer);
    expect(code).toBe(0);
  }, 60_000);
});
