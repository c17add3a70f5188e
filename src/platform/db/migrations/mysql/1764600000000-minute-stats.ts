import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-minute counts per group, pattern and severity: what statistics answer from. */
export class MinuteStats1764600000000 implements MigrationInterface {
  name = 'MinuteStats1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_minute_stats (
      group_id varchar(36) NOT NULL,
      minute int NOT NULL,
      pattern varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      reported int NOT NULL DEFAULT 0,
      retried int NOT NULL DEFAULT 0,
      succeeded int NOT NULL DEFAULT 0,
      discarded int NOT NULL DEFAULT 0,
      resolved int NOT NULL DEFAULT 0,
      PRIMARY KEY (group_id, minute, pattern, severity),
      KEY idx_failure_minute_stats_minute (minute, group_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_minute_stats');
  }
}
