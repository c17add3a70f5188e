import { describe, expect, it } from '@jest/globals';
import { DEFAULT_REDACT_KEYS } from '../../../src/ingestion/redaction';
import { REPORT_LIMITS } from '../../../src/ingestion/report-limits';
import { prepareReport } from '../../../src/ingestion/report-normalizer';

const base = { service: 's', taskType: 't', taskId: 'id-1', pattern: 'OTHER' as const, attempt: 1, errorType: 'E', errorMessage: 'boom', severity: 'ERROR' as const };

describe('prepareReport attribute names', () => {
  it('cuts a long attribute name at a whole character, never inside an emoji', () => {
    const max = REPORT_LIMITS.attributeKeyChars;
    // The cut falls right after the first half of a surrogate pair if counted in UTF-16 units.
    const name = `${'a'.repeat(max - 1)}😀tail`;
    const prepared = prepareReport({ ...base, attributes: { [name]: 'v' } }, 'service-id', { keys: DEFAULT_REDACT_KEYS }, new Date());
    const [kept] = Object.keys(JSON.parse(prepared.attributesJson) as Record<string, string>);
    expect(kept).toBe(`${'a'.repeat(max - 1)}😀`);
    expect([...kept!]).toHaveLength(max);
    expect(kept).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('keeps names within the limit as they are (trimmed)', () => {
    const prepared = prepareReport({ ...base, attributes: { '  région ': 'eu-1', host: 'w1' } }, 'service-id', { keys: DEFAULT_REDACT_KEYS }, new Date());
    expect(JSON.parse(prepared.attributesJson)).toEqual({ host: 'w1', région: 'eu-1' });
  });
});
