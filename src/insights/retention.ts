import type { DataSource } from 'typeorm';
import { FailureStatus } from '../failures/failure.state';
import { toDbTimestamp, type TransactionRunner } from '../platform/db';
import type { AppMetrics } from '../platform/metrics';

const PURGE_BATCH = 500;
const CLOSED = [FailureStatus.SUCCEEDED, FailureStatus.DISCARDED, FailureStatus.RESOLVED];

export interface RetentionStatus {
  retentionDays: number;
  purgedTotal: number;
  lastRunAt: Date | null;
  lastRunPurged: number | null;
}

/**
 * Deletes closed failures that occurred more than RETENTION_DAYS ago, a small batch per
 * transaction so no lock is held long. Open failures are never purged; groups, rollups and
 * audit entries outlive the rows, so statistics stay whole. Each run is recorded.
 */
export class RetentionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly metrics: AppMetrics,
    private readonly retentionDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async purge(): Promise<number> {
    if (this.retentionDays <= 0) return 0;
    const now = this.now();
    const cutoff = new Date(now.getTime() - this.retentionDays * 86_400_000);
    let purged = 0;
    for (;;) {
      const batch = await this.transactions.run(async (manager) => {
        const rows: Array<{ id: string }> = await manager.query(
          `SELECT id FROM failures WHERE occurred_at < ? AND status IN (${CLOSED.map(() => '?').join(', ')}) ORDER BY occurred_at LIMIT ${PURGE_BATCH}`,
          [toDbTimestamp(cutoff), ...CLOSED],
        );
        if (rows.length) await manager.query(`DELETE FROM failures WHERE id IN (${rows.map(() => '?').join(', ')})`, rows.map((r) => r.id));
        return rows.length;
      });
      purged += batch;
      if (batch < PURGE_BATCH) break;
    }
    await this.transactions.run((manager) => manager.query('INSERT INTO purge_runs (at, cutoff, purged) VALUES (?, ?, ?)', [toDbTimestamp(now), toDbTimestamp(cutoff), purged]));
    if (purged) this.metrics.failuresPurged.inc(purged);
    return purged;
  }

  async status(): Promise<RetentionStatus> {
    const total: Array<{ n: number | string | null }> = await this.dataSource.query('SELECT SUM(purged) AS n FROM purge_runs');
    const last: Array<{ at: string | Date; purged: number }> = await this.dataSource.query('SELECT at, purged FROM purge_runs ORDER BY id DESC LIMIT 1');
    const at = last[0]?.at;
    return {
      retentionDays: this.retentionDays,
      purgedTotal: Number(total[0]?.n ?? 0),
      lastRunAt: at ? (at instanceof Date ? at : new Date(`${String(at).replace(' ', 'T')}Z`)) : null,
      lastRunPurged: last[0] ? Number(last[0].purged) : null,
    };
  }
}
