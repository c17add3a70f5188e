import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A record of each retention purge, so nothing disappears silently. */
export class PurgeRuns1764800000000 implements MigrationInterface {
  name = 'PurgeRuns1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE purge_runs (
      id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
      at datetime(3) NOT NULL,
      cutoff datetime(3) NOT NULL,
      purged int NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE purge_runs');
  }
}
