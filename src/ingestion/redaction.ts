/**
 * Makes failure reports safe to store: removes secrets from payloads, attributes and free
 * text, and truncates text to a UTF-8 byte budget. Pure functions without dependencies.
 */

export const REDACTED = '[REDACTED]';
export const TRUNCATED_MARKER = '…[truncated]';
/** Replaces an object or array nested deeper than {@link MAX_REDACTION_DEPTH} (root = depth 0). */
export const TOO_DEEP = '[TOO DEEP]';
export const MAX_REDACTION_DEPTH = 32;

/** Default key patterns, matched case-insensitively as substrings after removing '-', '_' and whitespace from the key. */
export const DEFAULT_REDACT_KEYS: readonly string[] = Object.freeze([
  'password', 'passwd', 'secret', 'token', 'authorization', 'apikey', 'cookie', 'privatekey',
  'credential', 'accesskey', 'sessionid', 'ssn', 'cardnumber', 'cvv',
]);

/** Which keys are sensitive; patterns are normalised with {@link normalizeRedactKeys}, so any spelling works. */
export interface RedactionOptions {
  keys: readonly string[];
}

/** A redacted copy and the number of secrets replaced in it. */
export interface RedactionResult<T> {
  value: T;
  redacted: number;
}

const KEY_SEPARATORS = /[-_\s]+/g;
/** Credentials in a URL's user-info part; group 1 keeps `scheme://user:`, group 2 is the password. */
const URL_CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/?#]*:)([^\s@/?#]+)(?=@)/gi;
/** `?name=value` / `&name=value` query parameters; only sensitive names are redacted. */
const URL_QUERY_PARAM = /([?&])([^=&#\s]{1,64})=([^&#\s]+)/g;
const BEARER_TOKEN = /\b(Bearer\s+)([A-Za-z0-9\-._~+/]+=*)/gi;
const BASIC_CREDENTIALS = /\b(Basic\s+)([A-Za-z0-9+/]+={0,2})/gi;
/** A plain (optionally capitalised) word after "Bearer", as in "missing bearer token", is not a token. */
const PLAIN_WORD = /^[A-Za-z][a-z]*$/;
const PRINTABLE_USER_PASS = /^[^\x00-\x1f\x7f\uFFFD:]*:[^\x00-\x1f\x7f\uFFFD]*$/;
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
/** 13–19 digits with optional single spaces/dashes, not part of a longer word, hyphenated id or decimal number. */
const CARD_CANDIDATE = /(?<![\w-])(?<!\d\.)\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)/g;
const CARD_SEPARATORS = /[ -]/g;
/** [lowest prefix, highest prefix, min length, max length] for each card network. */
const CARD_NETWORKS: ReadonlyArray<readonly [number, number, number, number]> = [
  [4, 4, 13, 19], // Visa
  [51, 55, 16, 16], [2221, 2720, 16, 16], // Mastercard
  [34, 34, 15, 15], [37, 37, 15, 15], // American Express
  [6011, 6011, 16, 19], [644, 649, 16, 19], [65, 65, 16, 19], // Discover
  [35, 35, 16, 19], // JCB
  [30, 30, 14, 19], [36, 36, 14, 19], [38, 38, 14, 19], // Diners Club
];
/** `key=value`, `key: value`, `"key":"value"` (also `--key=value`) in free text: key and separator; the value is parsed separately. */
const KEY_AND_SEPARATOR = /(?<![\w.])(["']?)([A-Za-z][\w.-]{0,63})\1([ \t]*[:=][ \t]*)/g;
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Bounds the scan of a quoted value; an unterminated quote is redacted up to the line end or this length. */
const MAX_QUOTED_SECRET = 4096;
/** The value after a sensitive key: quoted (groups 1–2) or bare with an optional auth scheme (groups 3–4). */
const PAIR_VALUE = new RegExp(
  String.raw`(["'])((?:\\.|(?!\1)[^\\\n]){0,${MAX_QUOTED_SECRET}})\1?|((?:Bearer|Basic|Digest|Token)\s+)?` +
    String.raw`(${escapeRegExp(REDACTED)}|[^\s,;&'"(){}\[\]<>][^\s,;&'"(){}<>]*)`,
  'iy',
);

/** Normalises a configured key list: lower-case, '-', '_' and whitespace removed, empties and duplicates dropped. */
export function normalizeRedactKeys(keys: readonly string[]): string[] {
  let normalized = NORMALIZED.get(keys);
  if (!normalized) NORMALIZED.set(keys, (normalized = [...new Set(keys.map(normalizeKey).filter((key) => key.length > 0))]));
  return normalized;
}

/** The same option list comes with every call: normalise it once (ingestion calls this per field). */
const NORMALIZED = new WeakMap<readonly string[], string[]>();

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(KEY_SEPARATORS, '');
}

/** Verdicts per key name: payloads of one kind repeat the same keys in every report. */
const KEY_VERDICTS = new WeakMap<readonly string[], Map<string, boolean>>();
const MAX_KEY_VERDICTS = 10_000;

function isSensitiveKey(key: string, patterns: readonly string[]): boolean {
  let verdicts = KEY_VERDICTS.get(patterns);
  if (!verdicts) KEY_VERDICTS.set(patterns, (verdicts = new Map()));
  let sensitive = verdicts.get(key);
  if (sensitive === undefined) {
    const normalized = normalizeKey(key);
    sensitive = patterns.some((pattern) => normalized.includes(pattern));
    if (verdicts.size >= MAX_KEY_VERDICTS) verdicts.clear();
    verdicts.set(key, sensitive);
  }
  return sensitive;
}

/**
 * Holds wherever a shape {@link scrubSecrets} redacts could start: "://" (URL credentials), a
 * query parameter, "bearer"/"basic" and a space, "eyJ" (JWT), 13 digits (card number). Text
 * without any is returned as it is, with one scan instead of six.
 */
const MAYBE_SECRET_SHAPE = /:\/\/|[?&][^=&#\s]{1,64}=|bearer\s|basic\s|eyJ|\d(?:[ -]?\d){12}/i;

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/** True for a known card network's prefix and length that also passes the Luhn check. */
function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(CARD_SEPARATORS, '');
  const knownNetwork = CARD_NETWORKS.some(([low, high, minLength, maxLength]) => {
    const prefix = Number(digits.slice(0, String(low).length));
    return prefix >= low && prefix <= high && digits.length >= minLength && digits.length <= maxLength;
  });
  return knownNetwork && passesLuhn(digits);
}

function isBasicCredential(encoded: string): boolean {
  return PRINTABLE_USER_PASS.test(Buffer.from(encoded, 'base64').toString('utf8'));
}

/** Replaces secrets recognisable by their shape (URL credentials and sensitive query parameters, auth tokens, JWTs, card numbers). */
function scrubSecrets(text: string, keys: readonly string[]): { text: string; count: number } {
  if (!MAYBE_SECRET_SHAPE.test(text)) return { text, count: 0 };
  let count = 0;
  const redact = (kept: string, secret: string): string => {
    if (secret === REDACTED) return kept + secret;
    count++;
    return kept + REDACTED;
  };
  const scrubbed = text
    .replace(URL_CREDENTIALS, (_match, prefix: string, password: string) => redact(prefix, password))
    .replace(URL_QUERY_PARAM, (match, separator: string, name: string, value: string) =>
      isSensitiveKey(name, keys) ? redact(`${separator}${name}=`, value) : match)
    .replace(BEARER_TOKEN, (match, scheme: string, token: string) =>
      PLAIN_WORD.test(token) ? match : redact(scheme, token))
    .replace(BASIC_CREDENTIALS, (match, scheme: string, encoded: string) =>
      isBasicCredential(encoded) ? redact(scheme, encoded) : match)
    .replace(JWT, (match) => redact('', match))
    .replace(CARD_CANDIDATE, (match) => (isCardNumber(match) ? redact('', match) : match));
  return { text: scrubbed, count };
}

/** Replaces the values of sensitive `key=value`, `key: value` and `"key":"value"` pairs in free text. */
function scrubKeyValuePairs(text: string, keys: readonly string[]): { text: string; count: number } {
  if (!mayHoldSensitiveKey(text, keys)) return { text, count: 0 };
  let count = 0;
  let output = '';
  let copied = 0; // text[0, copied) has been written to output
  for (const match of text.matchAll(KEY_AND_SEPARATOR)) {
    if (match.index < copied || !isSensitiveKey(match[2], keys)) continue;
    PAIR_VALUE.lastIndex = match.index + match[0].length;
    const value = PAIR_VALUE.exec(text);
    if (!value) continue;
    const [, quote, quoted, scheme = '', bare] = value;
    const secret = quote !== undefined ? quoted : bare;
    if (secret === '' || secret === REDACTED) continue;
    const secretStart = value.index + (quote !== undefined ? quote.length : scheme.length);
    output += text.slice(copied, secretStart) + REDACTED;
    copied = secretStart + secret.length;
    count++;
  }
  return { text: output + text.slice(copied), count };
}

/**
 * False when no `key=value` pair of the text can have a sensitive key: a key is ASCII without
 * whitespace, so its normalised form is a substring of the whole text lower-cased with '-' and
 * '_' removed, and it must be followed by ':' or '='.
 */
function mayHoldSensitiveKey(text: string, keys: readonly string[]): boolean {
  if (keys.length === 0 || (text.indexOf(':') === -1 && text.indexOf('=') === -1)) return false;
  const flat = text.toLowerCase().replace(KEY_PUNCTUATION, '');
  return anyKeyPattern(keys).test(flat);
}

const KEY_PUNCTUATION = /[-_]+/g;

/** Per key list, one regex for "holds any of them" (one scan, not one `includes` per key: half the time). */
const ANY_KEY = new WeakMap<readonly string[], RegExp>();

function anyKeyPattern(keys: readonly string[]): RegExp {
  let pattern = ANY_KEY.get(keys);
  if (!pattern) ANY_KEY.set(keys, (pattern = new RegExp(keys.map((key) => key.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'))));
  return pattern;
}

function redactWhole(value: unknown): { value: unknown; redacted: number } {
  if (value === null || value === undefined || value === REDACTED) return { value, redacted: 0 };
  return { value: REDACTED, redacted: 1 };
}

/**
 * Deep-copies a JSON value, replacing the whole value under a sensitive key by {@link REDACTED}
 * (null stays null) and secrets inside strings anywhere (see {@link redactText}, minus key=value
 * pairs); integers that are card numbers are replaced too. Objects and arrays nested deeper than
 * {@link MAX_REDACTION_DEPTH} become {@link TOO_DEEP} (not counted as redactions). Does not mutate input.
 */
export function redactJson(value: unknown, options: RedactionOptions): RedactionResult<unknown> {
  const keys = normalizeRedactKeys(options.keys);
  let redacted = 0;
  const visit = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') {
      const scrubbed = scrubSecrets(node, keys);
      redacted += scrubbed.count;
      return scrubbed.text;
    }
    // Card numbers have 13 to 19 digits: smaller numbers need no closer look.
    if (typeof node === 'number' && node >= 1e12 && Number.isSafeInteger(node) && isCardNumber(String(node))) {
      redacted++;
      return REDACTED;
    }
    if (node === null || typeof node !== 'object') return node;
    if (depth > MAX_REDACTION_DEPTH) return TOO_DEEP;
    if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1));
    // Built in place (no [key, value] array per property): every payload of every report goes through here.
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      let value: unknown;
      if (isSensitiveKey(key, keys)) {
        const whole = redactWhole(child);
        redacted += whole.redacted;
        value = whole.value;
      } else {
        value = visit(child, depth + 1);
      }
      // Defined, not assigned, for "__proto__": it stays plain data instead of setting the prototype.
      if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      else copy[key] = value;
    }
    return copy;
  };
  return { value: visit(value, 0), redacted };
}

/** Same rules as {@link redactJson} for a flat attribute map (name → value). Does not mutate input. */
export function redactAttributes(
  attributes: Record<string, string>,
  options: RedactionOptions,
): RedactionResult<Record<string, string>> {
  const keys = normalizeRedactKeys(options.keys);
  let redacted = 0;
  const entries = Object.entries(attributes).map(([name, text]): [string, string] => {
    if (isSensitiveKey(name, keys)) {
      const whole = redactWhole(text);
      redacted += whole.redacted;
      return [name, whole.value as string];
    }
    const scrubbed = scrubSecrets(text, keys);
    redacted += scrubbed.count;
    return [name, scrubbed.text];
  });
  return { value: Object.fromEntries(entries), redacted };
}

/**
 * Redacts secrets inside free text (error messages, stack traces): URL credentials and sensitive
 * query parameters, Bearer/Basic credentials, JWTs, card numbers, and the values of `key=value`,
 * `key: value` and `"key":"value"` pairs whose key is sensitive. The rest of the text is kept.
 */
export function redactText(text: string, options: RedactionOptions): RedactionResult<string> {
  const keys = normalizeRedactKeys(options.keys);
  const shapes = scrubSecrets(text, keys);
  const pairs = scrubKeyValuePairs(shapes.text, keys);
  return { value: pairs.text, redacted: shapes.count + pairs.count };
}

/** Byte length of a string in UTF-8 (a lone surrogate counts as the 3-byte replacement character). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function codePointBytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4;
}

/**
 * Truncates text so that its UTF-8 length including the marker is at most maxBytes, never
 * splitting a code point (surrogate pair). Returns the text unchanged when it fits; when even the
 * marker does not fit, the text is cut to maxBytes without a marker.
 */
export function truncateUtf8(
  text: string,
  maxBytes: number,
  marker: string = TRUNCATED_MARKER,
): { text: string; truncated: boolean } {
  if (Number.isNaN(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be >= 0, got ${maxBytes}`);
  if (utf8Length(text) <= maxBytes) return { text, truncated: false };
  const suffix = utf8Length(marker) <= maxBytes ? marker : '';
  const budget = Math.floor(maxBytes) - utf8Length(suffix);
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = codePointBytes(char.codePointAt(0) ?? 0);
    if (used + size > budget) break;
    used += size;
    end += char.length;
  }
  return { text: text.slice(0, end) + suffix, truncated: true };
}
