import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for provider credentials at rest. The key comes from CREDENTIALS_KEY (32 bytes,
 * hex or base64); stored values are `v1:<base64 iv|tag|ciphertext>`, so a tampered value fails
 * to decrypt instead of yielding garbage.
 */
export class CredentialsCipher {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = parseKey(key);
  }

  encrypt(plain: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt<T>(stored: string): T {
    const [version, data] = stored.split(':', 2);
    if (version !== VERSION || !data) throw new Error('Unknown credentials format');
    const raw = Buffer.from(data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  }
}

/** A 32-byte key from 64 hex characters or base64; anything else is a configuration error. */
export function parseKey(key: string): Buffer {
  const buffer = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  if (buffer.length !== 32) throw new Error('CREDENTIALS_KEY must be 32 bytes, as 64 hex characters or base64');
  return buffer;
}
