import { describe, expect, it } from '@jest/globals';
import { CredentialsCipher, parseKey } from '../../../src/escalation/credentials-cipher';
import { Pacer } from '../../../src/escalation/pacer';

describe('pacing sends per routing key', () => {
  it('never lets more than the limit through in any 60 seconds', () => {
    let now = 0;
    const pacer = new Pacer(120, () => now);
    const sentAt: number[] = [];
    while (now < 180_000) {
      if (pacer.take('key-a') === 0) sentAt.push(now);
      now += 100;
    }
    for (const start of sentAt) expect(sentAt.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(120);
    expect(sentAt).toHaveLength(360);
  });

  it('says how long until the oldest send leaves the window', () => {
    let now = 0;
    const pacer = new Pacer(2, () => now);
    expect(pacer.take('k')).toBe(0);
    now = 10_000;
    expect(pacer.take('k')).toBe(0);
    now = 20_000;
    expect(pacer.take('k')).toBe(40_000);
    now = 60_000;
    expect(pacer.take('k')).toBe(0);
  });

  it('keeps keys apart', () => {
    const pacer = new Pacer(1, () => 0);
    expect(pacer.take('a')).toBe(0);
    expect(pacer.take('a')).toBe(60_000);
    expect(pacer.take('b')).toBe(0);
  });
});

describe('credentials at rest', () => {
  const key = 'k'.repeat(32);
  const cipher = new CredentialsCipher(Buffer.from(key).toString('base64'));

  it('round-trips and never stores the secret in clear', () => {
    const stored = cipher.encrypt({ routingKey: 'R0UTINGKEY-secret-value-00000000' });
    expect(stored).toMatch(/^v1:/);
    expect(stored).not.toContain('secret');
    expect(cipher.decrypt(stored)).toEqual({ routingKey: 'R0UTINGKEY-secret-value-00000000' });
    expect(cipher.encrypt({ a: 1 })).not.toBe(cipher.encrypt({ a: 1 }));
  });

  it('refuses a tampered value and a wrong key', () => {
    const stored = cipher.encrypt({ apiKey: 'x' });
    const raw = Buffer.from(stored.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => cipher.decrypt(`v1:${raw.toString('base64')}`)).toThrow();
    expect(() => new CredentialsCipher('b'.repeat(64)).decrypt(stored)).toThrow();
  });

  it('takes 32-byte keys only', () => {
    expect(parseKey('ab'.repeat(32))).toHaveLength(32);
    expect(() => parseKey('short')).toThrow(/32 bytes/);
  });
});
