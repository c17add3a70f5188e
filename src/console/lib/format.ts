/** How the console writes numbers, times and durations. Pure functions, unit-tested. */

const THOUSANDS = new Intl.NumberFormat('en-US');

/** 950 → "950", 12,345 → "12.3k", 2,500,000 → "2.5M" (compact above 10,000). */
export function formatCount(n: number): string {
  if (Math.abs(n) < 10_000) return THOUSANDS.format(n);
  if (Math.abs(n) < 1_000_000) return `${trimZero((n / 1000).toFixed(1))}k`;
  return `${trimZero((n / 1_000_000).toFixed(1))}M`;
}

function trimZero(text: string): string {
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

/** "1 failure", "3 failures". */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${THOUSANDS.format(n)} ${n === 1 ? noun : nouns}`;
}

/** How long ago, coarse: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; future times read "just now". */
export function formatAgo(at: string | Date, now: Date = new Date()): string {
  const seconds = Math.floor((now.getTime() - new Date(at).getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** A duration in seconds as the two largest units: "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(totalSeconds: number | null | undefined): string {
  if (totalSeconds === null || totalSeconds === undefined || !Number.isFinite(totalSeconds)) return '—';
  const s = Math.max(0, Math.round(totalSeconds));
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (parts.length > 0) {
      // The unit right after the largest one, even when zero: "2 h 0 min", never "2 h 5 s".
      parts.push(`${count} ${name}`);
      break;
    }
    if (count > 0 || size === 1) parts.push(`${count} ${name}`);
  }
  return parts.join(' ');
}

/** An instant in UTC, to the second: "2026-11-28 21:10:56 UTC". */
export function formatUtc(at: string | Date): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** An axis or bucket label in UTC for a bucket width. */
export function formatBucket(at: string | Date, bucket: 'MINUTE' | 'HOUR' | 'DAY'): string {
  const iso = new Date(at).toISOString();
  return bucket === 'DAY' ? iso.slice(0, 10) : bucket === 'HOUR' ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}:00` : iso.slice(11, 16);
}

/** A share 0–1 as a percentage: 0.923 → "92%", 0.004 → "0.4%". */
export function formatShare(share: number): string {
  const percent = share * 100;
  return `${percent < 1 && percent > 0 ? percent.toFixed(1) : Math.round(percent)}%`;
}

/** JSON pretty-printed for reading; undefined/null read "(none)". */
export function prettyJson(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return JSON.stringify(value, null, 2);
}

/** At most `max` characters, cut at a word where possible, with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

export type ActionKind = 'retry' | 'discard' | 'resolve';

const VERB: Record<ActionKind, string> = { retry: 'retry', discard: 'discard', resolve: 'resolve by hand' };

/** The confirmation text of a group action: what it does and to how many failures. */
export function groupActionQuestion(action: ActionKind, count: number): string {
  if (count === 0) return action === 'retry' ? 'No failure of this group is waiting for a retry.' : 'This group has no open failure.';
  const which = action === 'retry' ? plural(count, 'failed failure', 'failed failures') : plural(count, 'open failure', 'open failures');
  return `This will ${VERB[action]} ${which} of this group.`;
}
