/** Small numeric and formatting helpers for the ingest benchmark. */

/** Result of one measured phase: `rows` stored in `elapsedMs`, with one latency per request/statement. */
export interface PhaseResult {
  rows: number;
  requests: number;
  elapsedMs: number;
  latenciesMs: number[];
}

export interface PhaseSummary {
  rowsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending sample. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(result: PhaseResult): PhaseSummary {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return {
    rowsPerSecond: result.rows / (result.elapsedMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; returns the wall time
 * and each task's latency. Stops at the first error (the error is rethrown).
 */
export async function runConcurrently(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<{ elapsedMs: number; latenciesMs: number[] }> {
  const latenciesMs = new Array<number>(count);
  let next = 0;
  let failure: unknown;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (failure === undefined) {
      const index = next++;
      if (index >= count) return;
      const t0 = performance.now();
      try {
        await task(index);
      } catch (error) {
        failure ??= error;
        return;
      }
      latenciesMs[index] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  if (failure !== undefined) throw failure;
  return { elapsedMs: performance.now() - started, latenciesMs };
}

export function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

export function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A plain-text table: the first row is the header; columns are left-aligned, padded to fit. */
export function renderTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}
