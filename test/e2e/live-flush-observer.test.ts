import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LiveClient, liveClient, waitForSubscriptions } from '../helpers/live-client';
import { REPORT_FAILURE, report } from '../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../helpers/test-app';

const FAILURE_REPORTED = `subscription($f: LiveFailureFilter) { failureReported(filter: $f) { id taskId } }`;
type Reported = { failureReported: { id: string; taskId: string } };

/** createApp's onLiveFlush (the live benchmark's server-side latency): what a write sent, to how many sockets, and when. */
describe('live flush observer', () => {
  let t: TestApp;
  let viewer: string;
  const clients: LiveClient[] = [];
  const flushes: Array<{ written: Array<{ item: unknown; sockets: number }>; startedAt: number; endedAt: number }> = [];

  beforeAll(async () => {
    t = await startTestApp({ overrides: { onLiveFlush: (written, startedAt, endedAt) => flushes.push({ written: [...written], startedAt, endedAt }) } });
    viewer = await t.createToken('VIEWER');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t.dispose();
  });

  it('reports the reported failure written to every subscribed socket, after its receipt', async () => {
    const svc = await t.createService();
    const subs = [0, 1].map(() => {
      const live = liveClient(t.url, viewer);
      clients.push(live);
      return live.subscribe<Reported>(FAILURE_REPORTED, { f: { service: svc.name } });
    });
    await waitForSubscriptions(t.app, 'failureReported', 2);
    const stored = expectData(await t.request<{ reportFailure: { id: string } }>(REPORT_FAILURE, { input: report(svc.name, { taskId: 'observed-1' }) }, svc.token));
    await Promise.all(subs.map((sub) => sub.waitFor(1)));

    const writes = flushes.flatMap((f) => f.written.map((w) => ({ ...w, startedAt: f.startedAt, endedAt: f.endedAt })));
    const mine = writes.filter((w) => (w.item as { id?: string }).id === stored.reportFailure.id);
    expect(mine).toHaveLength(1);
    const [write] = mine;
    expect(write!.sockets).toBe(2);
    const failure = write!.item as { taskId: string; receivedAt: Date };
    expect(failure.taskId).toBe('observed-1');
    expect(write!.startedAt).toBeGreaterThanOrEqual(failure.receivedAt.getTime());
    expect(write!.endedAt).toBeGreaterThanOrEqual(write!.startedAt);
  });
});
