import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../helpers/deferred';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { TcpProxy } from '../helpers/tcp-proxy';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

describe('readiness across a database outage (MariaDB behind a proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  let readyz: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (db.config.type !== 'mysql') throw new Error('this suite needs TEST_DATABASE_URL');
    const target = new URL(db.config.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 3306));
    target.port = String(await proxy.start());
    t = await startTestApp({ database: { config: { type: 'mysql', url: target.toString() }, drop: db.drop } });
    readyz = t.url.replace('/graphql', '/readyz');
  });
  afterAll(async () => {
    await t.stop();
    await proxy.stop();
    await db.drop();
  });

  const readiness = async () => (await fetch(readyz)).status;

  it('is ready, then not ready while the database is unreachable, then ready again without a restart', async () => {
    expect(await readiness()).toBe(200);
    const svc = await t.createService();

    proxy.interrupt();
    await eventually(async () => ((await readiness()) === 503 ? true : undefined));
    const health = await fetch(readyz.replace('/readyz', '/healthz'));
    expect(health.status).toBe(200); // the process is up, only its database is gone

    const refused = await t.request(REPORT_FAILURE, { input: report(svc.name) }, svc.token);
    expect(refused.body.errors?.length).toBeGreaterThan(0);

    proxy.restore();
    await eventually(async () => ((await readiness()) === 200 ? true : undefined), 20_000);
    const accepted = expectData(await t.request<{ reportFailure: { status: string } }>(REPORT_FAILURE, { input: report(svc.name) }, svc.token));
    expect(accepted.reportFailure.status).toBe('FAILED');
  });
});
