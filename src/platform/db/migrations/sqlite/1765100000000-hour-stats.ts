import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly counts per service, task type, pattern and severity: failureStats over hours and days
 * reads this instead of every group's minutes. Filled from the minute rollup for existing data.
 */
export class HourStats1765100000000 implements MigrationInterface {
  name = 'HourStats1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_hour_stats (
      hour integer NOT NULL,
      service_id varchar(36) NOT NULL,
      task_type varchar(200) NOT NULL,
      pattern varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      reported integer NOT NULL DEFAULT 0,
      retried integer NOT NULL DEFAULT 0,
      succeeded integer NOT NULL DEFAULT 0,
      discarded integer NOT NULL DEFAULT 0,
      resolved integer NOT NULL DEFAULT 0,
      PRIMARY KEY (hour, service_id, task_type, pattern, severity)
    )`);
    await q.query(`INSERT INTO failure_hour_stats (hour, service_id, task_type, pattern, severity, reported, retried, succeeded, discarded, resolved)
      SELECT s.minute / 60, g.service_id, g.task_type, s.pattern, s.severity, SUM(s.reported), SUM(s.retried), SUM(s.succeeded), SUM(s.discarded), SUM(s.resolved)
      FROM failure_minute_stats s JOIN failure_groups g ON g.id = s.group_id
      GROUP BY s.minute / 60, g.service_id, g.task_type, s.pattern, s.severity`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_hour_stats');
  }
}
