import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How long failures took from report to a closed state: a log-bucketed histogram per service and day. */
export class CloseTimes1764900000000 implements MigrationInterface {
  name = 'CloseTimes1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_close_stats (
      service_id varchar(36) NOT NULL,
      day integer NOT NULL,
      bucket integer NOT NULL,
      count integer NOT NULL DEFAULT 0,
      PRIMARY KEY (service_id, day, bucket)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_close_stats');
  }
}
