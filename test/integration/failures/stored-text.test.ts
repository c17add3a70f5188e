import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

/**
 * A batch's rows are written with their values escaped into the statement on MySQL (each
 * distinct stack trace once per statement): whatever characters a report holds come back as sent.
 */
describe('stored text of batched reports', () => {
  let t: TestApp;
  let svc: { name: string; token: string };
  beforeAll(async () => {
    t = await startTestApp();
    svc = await t.createService();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('keeps quotes, backslashes, control characters, placeholders and non-ASCII text as sent', async () => {
    const awkward = [`it's "quoted"`, 'back\\slash \\n \\\\', 'nul\u0000 sub\u001a bs\b tab\t cr\r', 'what? ?? ?', 'ünïcödé ✓ 🙂', "'; DROP TABLE failures; --", '\\'];
    const stacks = [`Error: a'b\n    at f (/app/x\\y.ts:1:2)\n    at "g" (/app/?.ts:3:4)`, `Error: c\r\n\tat h (/app/z.ts:5:6)`];
    const sent = awkward.map((text, i) =>
      report(svc.name, {
        taskId: `task ${text}`,
        source: `source ${text}`,
        errorType: `Type${text}`,
        errorMessage: `message ${text}`,
        stackTrace: stacks[i % 2],
        payload: { text, list: [text] },
        attributes: { note: `note ${text}` },
        idempotencyKey: `key ${i} ${text}`,
      }),
    );
    const result = expectData(await t.request<{ reportFailures: { accepted: number; failures: Array<{ id: string }> } }>(REPORT_FAILURES, { input: sent }, svc.token));
    expect(result.reportFailures.accepted).toBe(sent.length);
    for (const [i, { id }] of result.reportFailures.failures.entries()) {
      const stored = expectData(
        await t.request<{ failure: Record<string, unknown> }>(
          'query($id: ID!) { failure(id: $id) { taskId source errorType errorMessage stackTrace payload attributes idempotencyKey attempt } }',
          { id },
        ),
      ).failure;
      const text = awkward[i]!;
      expect(stored).toEqual({
        taskId: `task ${text}`.trim(),
        source: `source ${text}`.trim(),
        errorType: `Type${text}`.trim(),
        errorMessage: `message ${text}`,
        stackTrace: stacks[i % 2],
        payload: { text, list: [text] },
        attributes: { note: `note ${text}` },
        idempotencyKey: `key ${i} ${text}`.trim(),
        attempt: 1,
      });
    }
  });
});
