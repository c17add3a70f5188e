import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { gql } from '../helpers/gql';
import { REPORT_FAILURES, report } from '../helpers/reports';
import { TEST_ADMIN_TOKEN, expectData } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

const ROOT = path.join(__dirname, '..', '..');

/** Starts `src/main.ts` as a real process; resolves with its port once it logs that it listens. */
function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)[^\n]*failure desk listening/.exec(output);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}/graphql`, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`process exited (${code}) before listening:\n${output}`)));
  });
}

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
});
