import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPORT_FAILURE, REPORT_FAILURES, report } from '../helpers/reports';
import { type TestApp, TEST_ADMIN_TOKEN, errorCode, expectData, startTestApp } from '../helpers/test-app';

const MARKER = '…[truncated]';
const REDACTED = '[REDACTED]';

const REPORT_INLINE = (fields: string) => `mutation { reportFailure(input: { ${fields} }) { id } }`;

const FAILURE_FIELDS = `id taskId status attempt errorMessage stackTrace payload attributes`;

interface StoredFailure {
  id: string;
  taskId: string;
  status: string;
  attempt: number;
  errorMessage: string;
  stackTrace: string | null;
  payload: unknown;
  attributes: Record<string, string>;
}

/** One input the service must refuse, with what it must answer. */
interface Rejection {
  title: string;
  request: (service: string) => { query: string; variables?: Record<string, unknown> };
  code: string;
  /** Extensions the error must carry besides its code. */
  extensions?: Record<string, unknown>;
}

const withReport = (overrides: Record<string, unknown>) => (service: string) => ({ query: REPORT_FAILURE, variables: { input: report(service, overrides) } });
const withoutField = (field: string) => (service: string) => {
  const input = report(service);
  delete input[field];
  return { query: REPORT_FAILURE, variables: { input } };
};
const batch = (size: number, bad?: { index: number; overrides: Record<string, unknown> }) => (service: string) => ({
  query: REPORT_FAILURES,
  variables: { input: Array.from({ length: size }, (_, i) => report(service, i === bad?.index ? bad.overrides : {})) },
});

const REJECTIONS: Rejection[] = [
  ...['service', 'taskType', 'taskId', 'errorType', 'errorMessage'].map((field) => ({
    title: `a report without the required ${field} (in variables)`,
    request: withoutField(field),
    code: 'BAD_USER_INPUT',
  })),
  { title: 'a report without taskId written inline', request: (s) => ({ query: REPORT_INLINE(`service: "${s}", taskType: "t", errorType: "E", errorMessage: "m"`) }), code: 'GRAPHQL_VALIDATION_FAILED' },
  { title: 'an unknown pattern written inline', request: (s) => ({ query: REPORT_INLINE(`service: "${s}", taskType: "t", taskId: "1", errorType: "E", errorMessage: "m", pattern: KAFKA`) }), code: 'GRAPHQL_VALIDATION_FAILED' },
  { title: 'a severity written inline as a string', request: (s) => ({ query: REPORT_INLINE(`service: "${s}", taskType: "t", taskId: "1", errorType: "E", errorMessage: "m", severity: "ERROR"`) }), code: 'GRAPHQL_VALIDATION_FAILED' },
  { title: 'an unknown pattern in variables', request: withReport({ pattern: 'KAFKA' }), code: 'BAD_USER_INPUT' },
  { title: 'an unknown severity in variables', request: withReport({ severity: 'FATAL' }), code: 'BAD_USER_INPUT' },
  { title: 'an empty taskType', request: withReport({ taskType: '' }), code: 'BAD_USER_INPUT', extensions: { field: 'taskType' } },
  { title: 'an empty taskId', request: withReport({ taskId: '' }), code: 'BAD_USER_INPUT', extensions: { field: 'taskId' } },
  { title: 'an empty errorType', request: withReport({ errorType: '' }), code: 'BAD_USER_INPUT', extensions: { field: 'errorType' } },
  { title: 'an empty errorMessage', request: withReport({ errorMessage: '' }), code: 'BAD_USER_INPUT', extensions: { field: 'errorMessage' } },
  { title: 'a blank errorMessage (whitespace only)', request: withReport({ errorMessage: ' \t\n ' }), code: 'BAD_USER_INPUT', extensions: { field: 'errorMessage' } },
  { title: 'a taskId longer than 255 characters', request: withReport({ taskId: 'x'.repeat(256) }), code: 'BAD_USER_INPUT', extensions: { field: 'taskId' } },
  { title: 'attempt 0', request: withReport({ attempt: 0 }), code: 'BAD_USER_INPUT', extensions: { field: 'attempt' } },
  { title: 'a negative attempt', request: withReport({ attempt: -1 }), code: 'BAD_USER_INPUT', extensions: { field: 'attempt' } },
  { title: 'a payload over 64 KiB', request: withReport({ payload: { blob: 'x'.repeat(70 * 1024) } }), code: 'PAYLOAD_TOO_LARGE', extensions: { field: 'payload', limit: 65536 } },
  { title: 'a nested attribute value', request: withReport({ attributes: { host: { name: 'worker-1' } } }), code: 'BAD_USER_INPUT', extensions: { field: 'attributes.host' } },
  { title: 'a list as attribute value', request: withReport({ attributes: { hosts: ['a', 'b'] } }), code: 'BAD_USER_INPUT', extensions: { field: 'attributes.hosts' } },
  { title: 'attributes that are not an object', request: withReport({ attributes: 'host=worker-1' }), code: 'BAD_USER_INPUT' },
  { title: 'a report for an unknown service', request: (s) => withReport({ service: `${s}-missing` })(s), code: 'NOT_FOUND' },
  { title: 'a batch of 1,001 reports', request: batch(1001), code: 'BAD_USER_INPUT', extensions: { limit: 1000 } },
  { title: 'a batch whose report at index 3 has attempt 0', request: batch(6, { index: 3, overrides: { attempt: 0 } }), code: 'BAD_USER_INPUT', extensions: { index: 3, field: 'attempt' } },
  { title: 'a batch whose report at index 3 has an empty taskType', request: batch(6, { index: 3, overrides: { taskType: ' ' } }), code: 'BAD_USER_INPUT', extensions: { index: 3, field: 'taskType' } },
  { title: 'a batch whose report at index 3 has a payload over 64 KiB', request: batch(6, { index: 3, overrides: { payload: 'y'.repeat(70 * 1024) } }), code: 'PAYLOAD_TOO_LARGE', extensions: { index: 3 } },
];

const INJECTIONS = [
  `'; DROP TABLE failures; --`,
  `<script>alert(1)</script>`,
  `" OR 1=1 --`,
  `Robert'); DELETE FROM services WHERE ('1'='1`,
  `Grüße 🚀 日本語 עברית \u202E ǅ`,
  `back\\slash %_ \`tick\` $1 \${x}`,
];

describe('bad input', () => {
  let t: TestApp;
  /** The service every rejected input targets, and what it had accepted before. */
  let target: { name: string; token: string };
  let accepted: StoredFailure[];

  const failuresOf = async (service: string): Promise<number> => {
    const { failures } = expectData(await t.request<{ failures: { totalCount: number } }>(`query($f: FailureFilter) { failures(filter: $f) { totalCount } }`, { f: { service } }));
    return failures.totalCount;
  };

  const reportOne = async (service: { name: string; token: string }, overrides: Record<string, unknown>): Promise<StoredFailure> => {
    const query = `mutation($input: FailureReportInput!) { reportFailure(input: $input) { ${FAILURE_FIELDS} } }`;
    return expectData(await t.request<{ reportFailure: StoredFailure }>(query, { input: report(service.name, overrides) }, service.token)).reportFailure;
  };

  /** Everything accepted before is still stored, unchanged, and nothing was added. */
  const expectAcceptedDataIntact = async (): Promise<void> => {
    expect(await failuresOf(target.name)).toBe(accepted.length);
    for (const before of accepted) {
      const { failure } = expectData(await t.request<{ failure: StoredFailure }>(`query($id: ID!) { failure(id: $id) { ${FAILURE_FIELDS} } }`, { id: before.id }));
      expect(failure).toEqual(before);
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    target = await t.createService();
    accepted = [
      await reportOne(target, { errorMessage: 'accepted before the bad input', payload: { invoiceId: 7 } }),
      await reportOne(target, { taskType: 'charge-card', attempt: 2 }),
    ];
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe('refusing invalid reports', () => {
    it.each(REJECTIONS.map((r) => [r.title, r] as const))('refuses %s, stores nothing and keeps what was accepted', async (_title, rejection) => {
      const { query, variables } = rejection.request(target.name);
      const result = await t.request(query, variables, target.token);
      expect(errorCode(result)).toBe(rejection.code);
      expect(result.body.data ?? null).toBeNull();
      if (rejection.extensions) expect(result.body.errors![0]!.extensions).toMatchObject(rejection.extensions);
      await expectAcceptedDataIntact();
    });

    it('names the bad report of a batch in the message as well as in extensions.index', async () => {
      const { query, variables } = batch(5, { index: 3, overrides: { errorType: '' } })(target.name);
      const result = await t.request(query, variables, target.token);
      expect(result.body.errors![0]!.message).toContain('reports[3]');
      expect(result.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 3, field: 'errorType' });
      await expectAcceptedDataIntact();
    });
  });

  describe('bounding what is stored', () => {
    it.each([
      ['ASCII', 'a'],
      ['two-byte characters', 'é'],
      ['three-byte characters', '€'],
      ['four-byte characters (surrogate pairs)', '😀'],
    ])('truncates an errorMessage over 8 KiB of %s to at most 8192 UTF-8 bytes with the marker', async (_kind, unit) => {
      const svc = await t.createService();
      const message = unit.repeat(Math.ceil(10_000 / Buffer.byteLength(unit)));
      const stored = await reportOne(svc, { errorMessage: message });
      const bytes = Buffer.byteLength(stored.errorMessage, 'utf8');
      expect(stored.errorMessage.endsWith(MARKER)).toBe(true);
      expect(bytes).toBeLessThanOrEqual(8192);
      expect(bytes).toBeGreaterThan(8192 - 4 - Buffer.byteLength(MARKER));
      const kept = stored.errorMessage.slice(0, -MARKER.length);
      expect(message.startsWith(kept)).toBe(true);
      expect(Buffer.from(kept, 'utf8').toString('utf8')).toBe(kept); // no split code point
    });

    it('keeps an errorMessage of exactly 8 KiB whole', async () => {
      const svc = await t.createService();
      const message = 'm'.repeat(8192);
      expect((await reportOne(svc, { errorMessage: message })).errorMessage).toBe(message);
    });

    it('truncates a stackTrace over 32 KiB to at most 32768 UTF-8 bytes with the marker', async () => {
      const svc = await t.createService();
      const frame = '    at handle (/srv/app/worker.js:42:13)\n';
      const stack = `Error: boom\n${frame.repeat(Math.ceil(40_000 / frame.length))}`;
      const stored = await reportOne(svc, { stackTrace: stack });
      expect(stored.stackTrace!.endsWith(MARKER)).toBe(true);
      expect(Buffer.byteLength(stored.stackTrace!, 'utf8')).toBeLessThanOrEqual(32 * 1024);
      expect(Buffer.byteLength(stored.stackTrace!, 'utf8')).toBeGreaterThan(32 * 1024 - 100);
      expect(stack.startsWith(stored.stackTrace!.slice(0, -MARKER.length))).toBe(true);
    });

    it('keeps 50 of 60 attributes, the 50th being _truncated', async () => {
      const svc = await t.createService();
      const attributes = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`attr${String(i).padStart(2, '0')}`, `value-${i}`]));
      const stored = await reportOne(svc, { attributes });
      expect(Object.keys(stored.attributes)).toHaveLength(50);
      expect(stored.attributes._truncated).toEqual(expect.stringContaining('11'));
      const kept = Object.keys(attributes).sort().slice(0, 49);
      expect(Object.keys(stored.attributes).filter((key) => key !== '_truncated').sort()).toEqual(kept);
      for (const key of kept) expect(stored.attributes[key]).toBe(attributes[key]);
    });
  });

  describe('refusing bad requests at the HTTP edge', () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...headers }, body });

    it('answers a 10 MB body with 413 and PAYLOAD_TOO_LARGE, then keeps serving', async () => {
      const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } });
      const response = await post(body);
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toContain('application/json');
      const json = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(json.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');

      const health = await fetch(new URL('/healthz', t.url));
      expect(health.status).toBe(200);
      expect(expectData(await t.request<{ services: unknown[] }>(`{ services { name } }`)).services.length).toBeGreaterThan(0);
      await expectAcceptedDataIntact();
    });

    it('answers a malformed JSON body with 400 and a JSON error', async () => {
      const response = await post('{"query": "{ __typename }"');
      expect(response.status).toBe(400);
      const json = (await response.json()) as { errors: Array<{ message: string }> };
      expect(json.errors[0]!.message).toMatch(/JSON/);
    });

    it('refuses a query 20 levels deep and accepts the same query 10 levels deep', async () => {
      const nested = (levels: number) => `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(levels - 4)}name${' }'.repeat(levels - 4)} } } } }`;
      expectData(await t.request(nested(10)));
      const result = await t.request(nested(20));
      expect(errorCode(result)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(result.body.errors![0]!.message).toMatch(/deep|depth/i);
      expect(result.body.errors![0]!.message).toContain('20');
    });

    it('refuses 40 aliases and accepts 20', async () => {
      const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      expectData(await t.request(aliased(20)));
      const result = await t.request(aliased(40));
      expect(errorCode(result)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(result.body.errors![0]!.message).toMatch(/alias/i);
    });

    it.each([
      ['failures', 1000],
      ['failureGroups', 1000],
      ['failures', -1],
    ])('refuses %s(first: %d) with BAD_USER_INPUT', async (list, first) => {
      const result = await t.request(`query($first: Int) { ${list}(first: $first) { totalCount } }`, { first });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.body.errors![0]!.extensions).toMatchObject({ field: 'first' });
    });

    it.each([
      ['failures', 'not-a-cursor'],
      ['failures', Buffer.from('[1]').toString('base64url')],
      ['failures', Buffer.from('{"receivedAt":1}').toString('base64url')],
      ['failureGroups', Buffer.from('[null, {}]').toString('base64url')],
      ['failureGroups', '%%%'],
    ])('refuses %s(after: %j) with BAD_USER_INPUT', async (list, after) => {
      const result = await t.request(`query($after: String) { ${list}(after: $after) { totalCount } }`, { after });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.body.errors![0]!.extensions).toMatchObject({ field: 'after' });
    });

    const serviceExists = async (name: string) => errorCode(await t.request(`query($n: String!) { service(name: $n) { name } }`, { n: name })) !== 'NOT_FOUND';
    const createServiceMutation = (name: string) => `mutation { createService(input: { name: "${name}", team: "csrf" }) { token } }`;

    it('refuses a mutation sent by GET without the preflight header with 400, and runs nothing', async () => {
      const name = `svc-${randomUUID().slice(0, 8)}`;
      const url = new URL(t.url);
      url.searchParams.set('query', createServiceMutation(name));
      const response = await fetch(url, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(response.status).toBe(400);
      expect(await serviceExists(name)).toBe(false);
    });

    it('refuses a mutation sent by GET even with the preflight header (405, POST only), and runs nothing', async () => {
      const name = `svc-${randomUUID().slice(0, 8)}`;
      const url = new URL(t.url);
      url.searchParams.set('query', createServiceMutation(name));
      const response = await fetch(url, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'apollo-require-preflight': 'true' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await serviceExists(name)).toBe(false);
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
      'refuses a CSRF-unsafe POST with content-type %s and no preflight header with 400, and runs nothing',
      async (contentType) => {
        const name = `svc-${randomUUID().slice(0, 8)}`;
        const response = await post(JSON.stringify({ query: createServiceMutation(name) }), { 'content-type': contentType });
        expect(response.status).toBe(400);
        expect(await serviceExists(name)).toBe(false);
      },
    );
  });

  describe('storing hostile text verbatim', () => {
    it.each(INJECTIONS)('stores and returns %j verbatim in errorMessage, taskId, attributes and payload', async (text) => {
      const svc = await t.createService();
      const stored = await reportOne(svc, { errorMessage: text, taskId: text, attributes: { note: text }, payload: { text, [text]: [text] } });
      expect(stored.errorMessage).toBe(text);
      expect(stored.taskId).toBe(text);
      expect(stored.attributes).toEqual({ note: text });
      expect(stored.payload).toEqual({ text, [text]: [text] });

      const { failure } = expectData(await t.request<{ failure: StoredFailure }>(`query($id: ID!) { failure(id: $id) { ${FAILURE_FIELDS} } }`, { id: stored.id }));
      expect(failure).toEqual(stored);

      const found = expectData(await t.request<{ failures: { edges: Array<{ node: { id: string } }> } }>(
        `query($f: FailureFilter) { failures(filter: $f) { edges { node { id } } } }`,
        { f: { service: svc.name, errorMessage: text } },
      ));
      expect(found.failures.edges.map((e) => e.node.id)).toEqual([stored.id]);

      const tables = await t.app.dataSource.query('SELECT COUNT(*) AS n FROM failures');
      expect(Number(tables[0].n)).toBeGreaterThan(0);
      await expectAcceptedDataIntact();
    });

    it.each([
      ['%', 'disk 100% full'],
      ['_', 'rate_limit exceeded'],
      ['\\', 'path C:\\temp not writable'],
    ])('matches the filter errorMessage %j literally, not as a wildcard', async (needle, matching) => {
      const svc = await t.createService();
      const messages = [matching, 'disk 100 full', 'ratelimit exceeded', 'path C:/temp not writable', 'plain message'];
      const ids = new Map<string, string>();
      for (const message of messages) ids.set(message, (await reportOne(svc, { errorMessage: message })).id);
      const found = expectData(await t.request<{ failures: { totalCount: number; edges: Array<{ node: { id: string } }> } }>(
        `query($f: FailureFilter) { failures(filter: $f) { totalCount edges { node { id } } } }`,
        { f: { service: svc.name, errorMessage: needle } },
      ));
      expect(found.failures.totalCount).toBe(1);
      expect(found.failures.edges.map((e) => e.node.id)).toEqual([ids.get(matching)]);
    });
  });

  describe('redacting secrets before they are stored', () => {
    it('stores payload, attribute and message secrets as [REDACTED]', async () => {
      const svc = await t.createService();
      const bearer = 'abcDEF0123456789ghiJKL.mno-pqr_stu';
      const stored = await reportOne(svc, {
        errorMessage: `upstream answered 401 to Authorization: Bearer ${bearer} at /v1/charge`,
        payload: { invoiceId: 42, password: 'hunter2', apiKey: 'sk_live_123456', nested: { authorization: 'Basic dXNlcjpwYXNz', amount: 10 } },
        attributes: { host: 'worker-1', token: 'tok_secret_987' },
      });
      expect(stored.payload).toEqual({ invoiceId: 42, password: REDACTED, apiKey: REDACTED, nested: { authorization: REDACTED, amount: 10 } });
      expect(stored.attributes).toEqual({ host: 'worker-1', token: REDACTED });
      expect(stored.errorMessage).toContain(REDACTED);
      expect(stored.errorMessage).toContain('upstream answered 401');
      expect(stored.errorMessage).not.toContain(bearer);

      const rows: unknown[] = await t.app.dataSource.query('SELECT * FROM failures WHERE id = ?', [stored.id]);
      const raw = JSON.stringify(rows);
      expect(rows).toHaveLength(1);
      for (const secret of [bearer, 'hunter2', 'sk_live_123456', 'dXNlcjpwYXNz', 'tok_secret_987']) expect(raw).not.toContain(secret);
    });
  });
});
