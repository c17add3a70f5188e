import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly counts per service, task type, pattern and severity: failureStats over hours and days
 * reads this instead of every group's minutes. Filled from the minute rollup for existing data.
 */
export class HourStats1765100000000 implements MigrationInterface {
  name = 'HourStats1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_hour_stats (
      hour int NOT NULL,
      service_id varchar(36) NOT NULL,
      task_type varchar(200) NOT NULL,
      pattern varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      reported int NOT NULL DEFAULT 0,
      retried int NOT NULL DEFAULT 0,
      succeeded int NOT NULL DEFAULT 0,
      discarded int NOT NULL DEFAULT 0,
      resolved int NOT NULL DEFAULT 0,
      PRIMARY KEY (hour, service_id, task_type, pattern, severity)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`INSERT INTO failure_hour_stats (hour, service_id, task_type, pattern, severity, reported, retried, succeeded, discarded, resolved)
      SELECT s.minute DIV 60, g.service_id, g.task_type, s.pattern, s.severity, SUM(s.reported), SUM(s.retried), SUM(s.succeeded), SUM(s.discarded), SUM(s.resolved)
      FROM failure_minute_stats s JOIN failure_groups g ON g.id = s.group_id
      GROUP BY s.minute DIV 60, g.service_id, g.task_type, s.pattern, s.severity`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_hour_stats');
  }
}
