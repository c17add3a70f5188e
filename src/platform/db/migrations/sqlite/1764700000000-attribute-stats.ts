import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Hourly counts of attribute values per group (capped cardinality): breakdowns and suspects. */
export class AttributeStats1764700000000 implements MigrationInterface {
  name = 'AttributeStats1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_attribute_stats (
      group_id varchar(36) NOT NULL,
      service_id varchar(36) NOT NULL,
      hour integer NOT NULL,
      attribute varchar(100) NOT NULL,
      value varchar(255) NOT NULL,
      count integer NOT NULL DEFAULT 0,
      PRIMARY KEY (group_id, attribute, value, hour)
    )`);
    await q.query('CREATE INDEX idx_failure_attribute_stats_service ON failure_attribute_stats (service_id, attribute, hour)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_attribute_stats');
  }
}
