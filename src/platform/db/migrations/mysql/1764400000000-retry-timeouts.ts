import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Lets the retry-timeout sweep find RETRYING failures by age without a scan. */
export class RetryTimeouts1764400000000 implements MigrationInterface {
  name = 'RetryTimeouts1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX idx_failures_status_updated ON failures (status, updated_at)');
    await q.query('CREATE INDEX idx_outbox_done ON outbox (status, updated_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_outbox_done ON outbox');
    await q.query('DROP INDEX idx_failures_status_updated ON failures');
  }
}
