const ELLIPSIS = '…';
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export interface TruncateOptions {
  /** Appended when text is cut; counts toward the limit. Default "…". */
  ellipsis?: string;
}

/**
 * Cuts `text` to at most `maxLength` characters, counted as JavaScript string length (UTF-16
 * code units). Vendors count "characters" as code units or as code points; a string within the
 * code-unit limit is within both. The cut falls between grapheme clusters, so no surrogate pair,
 * combining accent or emoji sequence is split. Text within the limit is returned unchanged.
 */
export function truncateText(text: string, maxLength: number, options: TruncateOptions = {}): string {
  if (text.length <= maxLength) return text;
  const ellipsis = options.ellipsis ?? ELLIPSIS;
  const budget = maxLength - ellipsis.length;
  if (budget < 0) return '';
  return text.slice(0, graphemeBoundaryAtOrBefore(text, budget)).trimEnd() + ellipsis;
}

/** Longest grapheme cluster a cut is expected to meet; far beyond any real emoji sequence. */
const CLUSTER_WINDOW = 256;

/**
 * The last grapheme boundary at or before `position`. Only a window around the position is
 * segmented: Intl.Segmenter slows down with the length of the whole string.
 */
function graphemeBoundaryAtOrBefore(text: string, position: number): number {
  const start = Math.max(0, position - CLUSTER_WINDOW);
  let boundary = start;
  for (const { segment, index } of graphemes.segment(text.slice(start, position + CLUSTER_WINDOW))) {
    const end = start + index + segment.length;
    if (end > position) break;
    boundary = end;
  }
  // A window start inside a surrogate pair would leave half a character behind.
  return boundary > 0 && isHighSurrogate(text.charCodeAt(boundary - 1)) ? boundary - 1 : boundary;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Text for a required field: never empty, never past the limit. */
export function requiredText(text: string | undefined, maxLength: number, fallback: string): string {
  const trimmed = (text ?? '').trim();
  return truncateText(trimmed === '' ? fallback : trimmed, maxLength);
}

/**
 * Tags within a count and length limit: trimmed, empty ones dropped, each cut to `maxLength`
 * (no ellipsis: a tag is a label), duplicates (also those made by cutting) dropped, the first
 * `maxCount` kept.
 */
export function limitTags(tags: readonly unknown[], maxCount: number, maxLength: number): string[] {
  const kept = new Set<string>();
  for (const tag of tags) {
    if (kept.size >= maxCount) break;
    const text = truncateText(stringifyDetail(tag).trim(), maxLength, { ellipsis: '' });
    if (text !== '') kept.add(text);
  }
  return [...kept];
}

/**
 * A detail value as a string: strings as they are, null and undefined as "", objects and arrays
 * as JSON, anything else through String(). Details are typed as strings, but they are built from
 * user data, and a vendor refuses a non-string value.
 */
export function stringifyDetail(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A string map whose keys and values add up to at most `maxTotal` characters. Entries are taken
 * in order; the first one that does not fit has its value cut to the room left (if at least
 * `minValueLength` characters remain), and later ones are dropped. Put what matters first.
 */
export function fitDetails(
  entries: ReadonlyArray<readonly [string, unknown]>,
  maxTotal: number,
  minValueLength = 16,
): Record<string, string> {
  const fitted: Record<string, string> = {};
  let used = 0;
  for (const [key, raw] of entries) {
    if (Object.prototype.hasOwnProperty.call(fitted, key)) continue;
    const value = stringifyDetail(raw);
    const room = maxTotal - used - key.length;
    if (value.length <= room) {
      fitted[key] = value;
      used += key.length + value.length;
      continue;
    }
    if (room >= minValueLength) {
      fitted[key] = truncateText(value, room);
      used += key.length + fitted[key].length;
    }
    break;
  }
  return fitted;
}
