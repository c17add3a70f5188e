import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-minute counts per group, pattern and severity: what statistics answer from. */
export class MinuteStats1764600000000 implements MigrationInterface {
  name = 'MinuteStats1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_minute_stats (
      group_id varchar(36) NOT NULL,
      minute integer NOT NULL,
      pattern varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      reported integer NOT NULL DEFAULT 0,
      retried integer NOT NULL DEFAULT 0,
      succeeded integer NOT NULL DEFAULT 0,
      discarded integer NOT NULL DEFAULT 0,
      resolved integer NOT NULL DEFAULT 0,
      PRIMARY KEY (group_id, minute, pattern, severity)
    )`);
    await q.query('CREATE INDEX idx_failure_minute_stats_minute ON failure_minute_stats (minute, group_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_minute_stats');
  }
}
