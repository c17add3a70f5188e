import { describe, expect, it } from '@jest/globals';
import axios, { type AxiosAdapter } from 'axios';
import {
  OPSGENIE_EU_API_URL,
  OPSGENIE_US_API_URL,
  OpsgenieProvider,
  PagerDutyProvider,
  alertActionPath,
  createProvider,
  fitDetails,
  fitEventSize,
  limitTags,
  mapPriority,
  opsgenieBaseUrl,
  stringifyDetail,
  toCreateAlertBody,
  toTriggerEvent,
  truncateText,
} from '../../../src/escalation/adapters';
import type { AlertContent, ProviderSeverity } from '../../../src/escalation/escalation.port';

const alert = (overrides: Partial<AlertContent> = {}): AlertContent => ({
  dedupKey: 'group-1',
  summary: 'checkout-worker: 42 failures',
  description: 'PaymentDeclined',
  source: 'checkout-worker',
  severity: 'error',
  timestamp: '2025-11-28T10:02:00.000Z',
  details: {},
  tags: [],
  links: [],
  ...overrides,
});

const hasLoneSurrogate = (text: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('truncateText', () => {
  it.each([
    ['text shorter than the limit', 'a'.repeat(129), 130, 'a'.repeat(129)],
    ['text of exactly the limit', 'a'.repeat(130), 130, 'a'.repeat(130)],
    ['text one over the limit', 'a'.repeat(131), 130, `${'a'.repeat(129)}…`],
    ['CJK text at the limit (one unit, three UTF-8 bytes each)', '障'.repeat(130), 130, '障'.repeat(130)],
    ['CJK text over the limit', '障'.repeat(131), 130, `${'障'.repeat(129)}…`],
    ['an emoji that would be split in half', `${'a'.repeat(128)}😀😀`, 130, `${'a'.repeat(128)}…`],
    ['an accent that would lose its letter', `${'a'.repeat(128)}e\u0301e\u0301`, 130, `${'a'.repeat(128)}…`],
    ['a family emoji (one cluster of eight units)', `${'a'.repeat(125)}👩‍👩‍👧‍👦`, 130, `${'a'.repeat(125)}…`],
    ['trailing spaces before the cut', `${'a'.repeat(120)}         bbbbbbbbbb`, 130, `${'a'.repeat(120)}…`],
  ])('handles %s', (_case, text, limit, expected) => {
    const cut = truncateText(text, limit);

    expect(cut).toBe(expected);
    expect(cut.length).toBeLessThanOrEqual(limit);
    expect(hasLoneSurrogate(cut)).toBe(false);
  });

  it('cuts a megabyte of text quickly, at the limit', () => {
    const started = Date.now();

    const cut = truncateText('stack frame\n'.repeat(100_000), 15_000);

    expect(cut).toHaveLength(15_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('PagerDuty mapping', () => {
  it('keeps a summary of exactly 1,024 characters and cuts one of 1,025', () => {
    expect(toTriggerEvent('k', alert({ summary: 's'.repeat(1024) })).payload?.summary).toBe('s'.repeat(1024));
    expect(toTriggerEvent('k', alert({ summary: 's'.repeat(1025) })).payload?.summary).toBe(`${'s'.repeat(1023)}…`);
  });

  it('pages an empty summary under the source name rather than failing', () => {
    expect(toTriggerEvent('k', alert({ summary: '  ' })).payload?.summary).toBe('Failure in checkout-worker');
  });

  it('leaves out a timestamp PagerDuty would refuse', () => {
    expect(toTriggerEvent('k', alert({ timestamp: 'yesterday' })).payload).not.toHaveProperty('timestamp');
  });

  it('stringifies details and keeps the description in custom_details', () => {
    const details = { count: 42, nested: { a: 1 }, missing: null } as unknown as Record<string, string>;

    expect(toTriggerEvent('k', alert({ details })).payload?.custom_details).toEqual({
      count: '42',
      nested: '{"a":1}',
      missing: '',
      description: 'PaymentDeclined',
    });
  });

  it('shrinks an event to 512 KB by cutting the description, then the largest details', () => {
    const details = { small: 'x', big: 'b'.repeat(400_000) };
    const event = toTriggerEvent('k', alert({ description: '€'.repeat(200_000), details }));

    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(512 * 1024);
    expect(event.payload?.custom_details).toMatchObject({ small: 'x', big: details.big, truncated: 'true' });
    expect(event.payload?.summary).toBe('checkout-worker: 42 failures');

    const tiny = fitEventSize(toTriggerEvent('k', alert({ details })), 1_000);
    expect(Buffer.byteLength(JSON.stringify(tiny))).toBeLessThanOrEqual(1_000);
    expect(tiny.payload?.custom_details).toEqual({ small: 'x', truncated: 'true' });
  });
});

describe('Opsgenie mapping', () => {
  it.each([
    ['critical', undefined, 'P1'],
    ['error', undefined, 'P2'],
    ['warning', undefined, 'P3'],
    ['info', undefined, 'P5'],
    ['info', { info: 'P4' }, 'P4'],
    ['critical', { info: 'P4' }, 'P1'],
    ['warning', { warning: 'P2', critical: 'P1' }, 'P2'],
  ] as const)('maps %s with overrides %j to %s', (severity, overrides, priority) => {
    expect(mapPriority(severity as ProviderSeverity, overrides)).toBe(priority);
  });

  it('keeps a message of exactly 130 characters and cuts longer ones, multi-byte included', () => {
    expect(toCreateAlertBody({}, alert({ summary: 'm'.repeat(130) })).message).toBe('m'.repeat(130));
    expect(toCreateAlertBody({}, alert({ summary: 'm'.repeat(2_000) })).message).toBe(`${'m'.repeat(129)}…`);
    expect(toCreateAlertBody({}, alert({ summary: '🔥'.repeat(100) })).message).toBe(`${'🔥'.repeat(64)}…`);
  });

  it('puts the original severity first in details and stringifies the rest', () => {
    const details = { count: 42, flag: true } as unknown as Record<string, string>;

    const body = toCreateAlertBody({}, alert({ severity: 'warning', component: 'charge-card', details }));

    expect(Object.entries(body.details)).toEqual([
      ['severity', 'warning'],
      ['component', 'charge-card'],
      ['timestamp', '2025-11-28T10:02:00.000Z'],
      ['count', '42'],
      ['flag', 'true'],
    ]);
  });

  it('keeps details within 8,000 characters of keys and values, our fields first', () => {
    const details = { stack: 's'.repeat(10_000), later: 'dropped' };

    const body = toCreateAlertBody({}, alert({ details }));

    const total = Object.entries(body.details).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    expect(total).toBeLessThanOrEqual(8_000);
    expect(body.details.severity).toBe('error');
    expect(body.details.stack.endsWith('…')).toBe(true);
    expect(body.details).not.toHaveProperty('later');
  });

  it('keeps a description with its links within 15,000 characters', () => {
    const links = [{ href: 'https://desk.example.com/g/1', text: 'Failure Desk' }];

    const body = toCreateAlertBody({}, alert({ description: 'd'.repeat(20_000), links }));

    expect(body.description).toHaveLength(15_000);
    expect(body.description?.endsWith('\n\nFailure Desk: https://desk.example.com/g/1')).toBe(true);
  });

  it('passes responders on and leaves out empty optional fields', () => {
    const responders = [{ type: 'team' as const, name: 'payments' }];

    expect(toCreateAlertBody({ responders }, alert({ description: '' }))).toEqual({
      message: 'checkout-worker: 42 failures',
      alias: 'group-1',
      responders,
      details: { severity: 'error', timestamp: '2025-11-28T10:02:00.000Z' },
      source: 'checkout-worker',
      priority: 'P2',
    });
  });
});

describe('detail and tag limits', () => {
  it('keeps at most 20 tags of at most 50 characters, without duplicates or blanks', () => {
    const tags = ['', '  ', 'a'.repeat(60), `${'a'.repeat(50)}zzz`, ...Array.from({ length: 25 }, (_, i) => `tag-${i}`)];

    const limited = limitTags(tags, 20, 50);

    expect(limited).toHaveLength(20);
    expect(limited[0]).toBe('a'.repeat(50));
    expect(limited[1]).toBe('tag-0');
    expect(limited.every((tag) => tag.length <= 50)).toBe(true);
  });

  it('cuts the first detail that does not fit and drops the rest', () => {
    expect(fitDetails([['a', '12345'], ['b', 'x'.repeat(40)], ['c', 'gone']], 30)).toEqual({ a: '12345', b: `${'x'.repeat(22)}…` });
    expect(fitDetails([['a', '12345'], ['b', 'x'.repeat(40)]], 20)).toEqual({ a: '12345' });
  });

  it.each([
    ['text', 'text'],
    [42, '42'],
    [false, 'false'],
    [null, ''],
    [undefined, ''],
    [{ a: [1] }, '{"a":[1]}'],
  ])('stringifies %j as %j', (value, expected) => {
    expect(stringifyDetail(value)).toBe(expected);
  });
});

describe('Opsgenie addressing', () => {
  it('encodes an alias in the path and names it an alias', () => {
    expect(alertActionPath('a b/c?d#e%', 'close')).toBe('/v2/alerts/a%20b%2Fc%3Fd%23e%25/close?identifierType=alias');
  });

  it('picks the API by region unless apiUrl overrides it', () => {
    expect(opsgenieBaseUrl(undefined, undefined)).toBe(OPSGENIE_US_API_URL);
    expect(opsgenieBaseUrl(undefined, 'US')).toBe('https://api.opsgenie.com');
    expect(opsgenieBaseUrl(undefined, 'EU')).toBe(OPSGENIE_EU_API_URL);
    expect(opsgenieBaseUrl('http://127.0.0.1:8080/', 'EU')).toBe('http://127.0.0.1:8080');
  });

  it('sends an EU policy to the EU API', async () => {
    const calls: string[] = [];
    const adapter: AxiosAdapter = async (config) => {
      calls.push(`${config.method?.toUpperCase()} ${config.baseURL}${config.url}`);
      const write = config.method === 'post';
      return {
        status: write ? 202 : 200,
        statusText: '',
        headers: {},
        config,
        data: write ? { result: 'Request will be processed', requestId: 'r-1', took: 0.1 } : { data: { isSuccess: true, status: 'Created alert' } },
      };
    };
    const provider = new OpsgenieProvider({ http: axios.create({ adapter }), sleep: () => Promise.resolve() });

    await provider.trigger({ apiKey: 'k', region: 'EU' }, alert());

    expect(calls).toEqual(['POST https://api.eu.opsgenie.com/v2/alerts', 'GET https://api.eu.opsgenie.com/v2/alerts/requests/r-1']);
  });
});

describe('createProvider', () => {
  it('builds each provider by name, PagerDuty on its public endpoint by default', () => {
    const pagerDuty = createProvider('PAGERDUTY');
    const opsgenie = createProvider('OPSGENIE', { confirmAttempts: 3 });

    expect(pagerDuty).toBeInstanceOf(PagerDutyProvider);
    expect(pagerDuty.name).toBe('PAGERDUTY');
    expect(opsgenie).toBeInstanceOf(OpsgenieProvider);
    expect(opsgenie.name).toBe('OPSGENIE');
  });
});
