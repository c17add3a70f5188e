/**
 * Groups failures into error patterns: normalises the message into a template, picks the top
 * application frames of the stack trace and hashes both (or a client override) into a
 * fingerprint. Pure functions; the only dependency is node:crypto for SHA-256.
 */
import { createHash } from 'node:crypto';
import { LruCache } from '../platform/lru-cache';

export interface FingerprintInput {
  /** The reporting service's id. */
  serviceId: string;
  taskType: string;
  errorType: string;
  errorMessage: string;
  stackTrace?: string | null;
  /** Client override of grouping (like Sentry's fingerprint): replaces task type, error type, message and frames. */
  fingerprint?: string | null;
}

export interface Fingerprint {
  /** 64 lowercase hex characters (SHA-256). */
  fingerprint: string;
  /** Normalised, human-readable message, at most {@link MAX_TEMPLATE_LENGTH} characters. */
  messageTemplate: string;
  /** Normalised top application frames (at most {@link DEFAULT_FRAME_LIMIT}). */
  frames: string[];
}

export const MAX_TEMPLATE_LENGTH = 1024;
export const DEFAULT_FRAME_LIMIT = 5;
// Bump the version when the algorithm changes, so old and new fingerprints cannot collide.
const FINGERPRINT_VERSION = 'v1';
const CUSTOM_FINGERPRINT_VERSION = 'v1-custom';
const COMPONENT_SEPARATOR = '\u0000';

// ---------------------------------------------------------------------------------------------
// Message tokens. They are combined into one alternation and matched in a single left-to-right
// pass, so a URL, e-mail or timestamp is consumed whole before its digits could be read as
// numbers, and placeholders already written are never rewritten. Sources only; flags are 'gi'.
// Rules that can start inside a word begin with a lookbehind, so a long word is not re-scanned
// from each of its characters.

const URL = /(?<![\w+.-])[a-z][\w+.-]*:\/\/[^\s'"`<>]+/;
const EMAIL = /(?<![\w.%+-])[\w.%+-]+@[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}(?![\w-])/;
const UUID = /(?<!\w)[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}(?!\w)/;
const ZONE = /(?:\s?(?:Z|UTC|GMT)|[+-]\d{2}(?::?\d{2})?)/;
const TIME = new RegExp(String.raw`\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?${ZONE.source}?`);
const HTTP_DATE = /[a-z]{3}, \d{1,2} [a-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT/;
const TIMESTAMP = new RegExp(
  String.raw`(?<!\w)(?:\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]${TIME.source})?|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?|${HTTP_DATE.source})(?!\w)`,
);
// A single quote right after a letter is an apostrophe ("doesn't"), not an opening quote.
const QUOTED = /(?<!\w)'[^']*'(?!\w)|"[^"]*"|`[^`]*`/;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?!\w|\.\d)/;
const HEX = /(?<!\w)(?:0x[\da-f]+|(?=[\da-f]*\d)(?=[\da-f]*[a-f])[\da-f]{8,})(?!\w)/;
// Units glued to a number (5000ms, 1m30s, 64MB) stay readable: <num>ms, <num>m<num>s, <num>MB.
const UNIT = /(?:ms|us|ns|s|m|h|[kmgt]i?b|b)/;
// "orders-3", "UTF-8" and "HTTP/2" are names, so a number right after a letter and -, / is kept.
const NUMBER = new RegExp(
  String.raw`(?<![\w.]|[a-z_][-/])-?\d+(?:\.\d+)*(?:${UNIT.source}(?:\d+(?:\.\d+)?${UNIT.source})*)?(?!\w)`,
);
const DIGITS = /-?\d+(?:\.\d+)*/g;

const TOKEN_RULES = { url: URL, email: EMAIL, uuid: UUID, timestamp: TIMESTAMP, quoted: QUOTED, ip: IPV4, hex: HEX, number: NUMBER };
// Numbered, not named, groups: the callback then gets plain arguments instead of a fresh
// groups object per match (this runs for every token of every report). No rule has groups of its own.
// Every rule starts after a non-word character (or at the start), except a quote in " or `:
// the leading test says so once per position, so most positions inside words fail at once
// instead of trying each rule's own lookbehind in turn. It matches nothing the rules would not.
const TOKEN = new RegExp(
  `(?:(?<!\\w)|(?=["\`]))(?:${Object.values(TOKEN_RULES).map((rule) => `(${rule.source})`).join('|')})`,
  'gi',
);

const WHITESPACE = /\s+/g;
/** Whitespace other than a plain space, or two spaces in a row: what WHITESPACE would change. */
const COLLAPSIBLE = /[^\S ]| {2}/;
const URL_TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;
const URL_IPV4_HOST = /(\/\/|@)(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?$/;
// Numeric, uuid, hex (with a digit) or long base64/url-safe tokens with a digit.
const URL_ID_SEGMENT = new RegExp(
  String.raw`^(?:\d+|${UUID.source}|(?=.*\d)[\da-f]{8,}|(?=.*\d)(?=.*[a-z])[\w+=-]{20,})$`,
  'i',
);

// The arguments are the match and one group per rule, in TOKEN_RULES order (one is defined).
function replaceToken(match: string, url?: string, email?: string, uuid?: string, timestamp?: string, quoted?: string, ip?: string, hex?: string): string {
  if (url !== undefined) return normalizeUrl(match);
  if (email !== undefined) return '<email>';
  if (uuid !== undefined) return '<uuid>';
  if (timestamp !== undefined) return '<timestamp>';
  if (quoted !== undefined) return `${match[0]}<value>${match[0]}`;
  if (ip !== undefined) return '<ip>';
  if (hex !== undefined) return '<hex>';
  // A number. Without a unit the whole match is the number (a unit ends in a letter).
  const last = match.charCodeAt(match.length - 1);
  return last >= 48 && last <= 57 ? '<num>' : match.replace(DIGITS, '<num>');
}

/** Keeps scheme, host and path shape; id-like path segments become <id>, query values <value>. */
function normalizeUrl(raw: string): string {
  const trailing = URL_TRAILING_PUNCTUATION.exec(raw)?.[0] ?? '';
  const url = raw.slice(0, raw.length - trailing.length);
  const hashAt = url.indexOf('#');
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const [base, query] = splitOnce(hashAt === -1 ? url : url.slice(0, hashAt), '?');
  const authorityStart = base.indexOf('://') + 3;
  const pathAt = base.indexOf('/', authorityStart);
  const origin = base.slice(0, pathAt === -1 ? undefined : pathAt).replace(URL_IPV4_HOST, '$1<ip>');
  const path = pathAt === -1 ? '' : base.slice(pathAt);
  const segments = path.split('/').map((segment) => (URL_ID_SEGMENT.test(segment) ? '<id>' : segment));
  const params = query?.split('&').map((param) => {
    const [name, value] = splitOnce(param, '=');
    return value === undefined ? name : `${name}=<value>`;
  });
  return `${origin}${segments.join('/')}${params ? `?${params.join('&')}` : ''}${fragment}${trailing}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/**
 * Replaces the variable parts of an error message with placeholders (`<uuid>`, `<email>`,
 * `<timestamp>`, `<id>`/`<value>` inside URLs, quoted `'<value>'`, `<hex>`, `<ip>`, `<num>`)
 * and collapses whitespace. Numbers glued to letters (HTTP2, utf8, S3, int64) are kept.
 */
export function normalizeMessage(message: string): string {
  // Collapsing copies the whole message; most have nothing to collapse (only single plain spaces).
  const collapsed = COLLAPSIBLE.test(message) ? message.replace(WHITESPACE, ' ') : message;
  return collapsed.replace(TOKEN, replaceToken).trim();
}

// ---------------------------------------------------------------------------------------------
// Stack frames. The patterns run on lines without trailing whitespace and avoid ambiguous
// backtracking, so an absurd single-line "trace" cannot make parsing quadratic.

const JAVA_FRAME = /^\s*at\s+(?:[^\s(]*\/)?([^\s(/]+)\([^)]*\)/; // optional "java.base/" module prefix
const NODE_FRAME = /^\s*at\s+(?:async\s+)?(.+)$/;
const NODE_LINE_COLUMN = /:\d+(?::\d+)?$/;
const PYTHON_FRAME = /^\s*File "([^"]+)", line \d+(?:, in (.+))?$/;
const GO_FUNCTION = /^(\S+)\([^()]*\)$/;
const GO_LOCATION = /^\s+(\S+):\d+(?:\s+\+0x[\da-f]+)?$/i;
const JAVA_CAUSE = /^Caused by:/gm;
const JAVA_SUPPRESSED = /^\s+Suppressed:/m;
const PYTHON_TRACEBACK = /^Traceback \(most recent call last\):/gm;
const LINE_BREAK = /\r?\n/;

/** Runtime, framework and third-party frames, matched against the normalised frame text. */
const LIBRARY_FRAMES: readonly RegExp[] = [
  /^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala)\./,
  /^(?:org\.(?:springframework|apache|hibernate|postgresql|mariadb)|io\.(?:netty|grpc)|reactor|okhttp3)\./,
  /^(?:com\.(?:fasterxml|zaxxer|mysql|google|amazonaws)|software\.amazon)\./,
  /(?:^|\()(?:node:|internal\/)/,
  /node_modules[\\/]/,
  /\((?:<anonymous>|native|index \d+)\)$/,
  /site-packages|dist-packages|\/usr\/lib\/python|\/lib\/python\d|^<frozen /,
  /^runtime[./]|\/usr\/(?:local|lib)\/go\/src\/|GOROOT|\/pkg\/mod\/|@v\d+\.\d+/, // Go runtime, modules
];

const isApplicationFrame = (frame: string): boolean => !LIBRARY_FRAMES.some((pattern) => pattern.test(frame));

function lastSection(trace: string, marker: RegExp): string {
  let start = 0;
  for (const match of trace.matchAll(marker)) start = match.index ?? start;
  return trace.slice(start);
}

// The root cause is the last Java "Caused by:" (without its suppressed exceptions) and, for
// chained Python exceptions, the last traceback, which belongs to the exception reported.
function rootCauseSection(trace: string): string {
  const section = lastSection(lastSection(trace, PYTHON_TRACEBACK), JAVA_CAUSE);
  const suppressed = JAVA_SUPPRESSED.exec(section);
  return suppressed ? section.slice(0, suppressed.index) : section;
}

/** `Name (location)` or a bare location (anonymous function), without line and column. */
function nodeFrame(text: string): string {
  const open = text.endsWith(')') ? text.indexOf(' (') : -1;
  const file = (open === -1 ? text : text.slice(open + 2, -1)).replace(NODE_LINE_COLUMN, '');
  return open === -1 ? file : `${text.slice(0, open)} (${file})`;
}

/** All recognisable frames, innermost first. */
function parseFrames(trace: string): string[] {
  const lines = trace.split(LINE_BREAK).map((line) => line.trimEnd());
  const frames: string[] = [];
  let innermostLast = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const java = JAVA_FRAME.exec(line);
    const node = java ? null : NODE_FRAME.exec(line);
    const python = PYTHON_FRAME.exec(line);
    const go = GO_FUNCTION.exec(line);
    const goLocation = go ? GO_LOCATION.exec(lines[i + 1] ?? '') : null;
    if (java) {
      frames.push(java[1]);
    } else if (node) {
      frames.push(nodeFrame(node[1]));
    } else if (python) {
      frames.push(python[2] ? `${python[1]} in ${python[2]}` : python[1]);
      innermostLast = true;
    } else if (go && goLocation) {
      frames.push(`${go[1]} (${goLocation[1]})`);
      i++;
    }
  }
  return innermostLast ? frames.reverse() : frames;
}

/**
 * The top application frames of a Java, Node/JS, Python or Go stack trace, innermost first,
 * without line/column numbers, memory addresses or arguments. Runtime and library frames are
 * skipped; Java traces use the root cause ("Caused by:") when it has application frames. Falls
 * back to the first frames of any kind when no application frame is recognisable.
 */
export function topApplicationFrames(stackTrace: string, limit: number = DEFAULT_FRAME_LIMIT): string[] {
  const count = Math.max(0, limit);
  const rootCause = parseFrames(rootCauseSection(stackTrace));
  const whole = parseFrames(stackTrace);
  const application = [rootCause, whole].map((frames) => frames.filter(isApplicationFrame)).find((frames) => frames.length > 0);
  return (application ?? (rootCause.length > 0 ? rootCause : whole)).slice(0, count);
}

/** Failures of one pattern repeat one stack trace: parse each distinct trace once. */
const FRAMES = new LruCache<string, string[]>(2_000);

/**
 * Failures of one pattern hash the same components (the template has no variable parts left):
 * the digest of each recent distinct input is kept. Inputs over HASHED_MAX_CHARS are hashed
 * every time, so the cache stays within a few megabytes.
 */
const HASHES = new LruCache<string, string>(1_000);
const HASHED_MAX_CHARS = 4_096;

function sha256Hex(text: string): string {
  const hash = (): string => createHash('sha256').update(text).digest('hex');
  return text.length > HASHED_MAX_CHARS ? hash() : HASHES.getOrCompute(text, hash);
}

function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const cut = text.slice(0, maxLength);
  // Do not leave half of a surrogate pair at the end.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * Fingerprint of a failure: SHA-256 over service, task type, error type, message template and
 * top application frames; with a non-empty `fingerprint` override, over service and override only.
 * The frames are returned in both cases (they still describe where the failure happened).
 */
export function computeFingerprint(input: FingerprintInput): Fingerprint {
  const template = normalizeMessage(input.errorMessage);
  const frames = input.stackTrace ? FRAMES.getOrCompute(input.stackTrace, () => topApplicationFrames(input.stackTrace!)) : [];
  const override = input.fingerprint?.trim();
  const components = override
    ? [CUSTOM_FINGERPRINT_VERSION, input.serviceId, override]
    : [FINGERPRINT_VERSION, input.serviceId, input.taskType, input.errorType, template, ...frames];
  return {
    fingerprint: sha256Hex(components.join(COMPONENT_SEPARATOR)),
    messageTemplate: truncate(template, MAX_TEMPLATE_LENGTH),
    frames,
  };
}
