import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Covering indexes for the statistics: a time range reads only its own minutes (with every
 * counter in the index), and a service's attribute baseline reads only its own hours.
 */
export class CoveringStatsIndexes1765000000000 implements MigrationInterface {
  name = 'CoveringStatsIndexes1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_failure_minute_stats_minute ON failure_minute_stats');
    await q.query('CREATE INDEX idx_failure_minute_stats_range ON failure_minute_stats (minute, group_id, pattern, severity, reported, retried, succeeded, discarded, resolved)');
    await q.query('DROP INDEX idx_failure_attribute_stats_service ON failure_attribute_stats');
    await q.query('CREATE INDEX idx_failure_attribute_stats_baseline ON failure_attribute_stats (service_id, hour, attribute, value, count)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_failure_attribute_stats_baseline ON failure_attribute_stats');
    await q.query('CREATE INDEX idx_failure_attribute_stats_service ON failure_attribute_stats (service_id, attribute, hour)');
    await q.query('DROP INDEX idx_failure_minute_stats_range ON failure_minute_stats');
    await q.query('CREATE INDEX idx_failure_minute_stats_minute ON failure_minute_stats (minute, group_id)');
  }
}
