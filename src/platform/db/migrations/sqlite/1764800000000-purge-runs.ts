import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A record of each retention purge, so nothing disappears silently. */
export class PurgeRuns1764800000000 implements MigrationInterface {
  name = 'PurgeRuns1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE purge_runs (
      id integer PRIMARY KEY AUTOINCREMENT,
      at datetime NOT NULL,
      cutoff datetime NOT NULL,
      purged integer NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE purge_runs');
  }
}
