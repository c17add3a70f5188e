import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Escalation policies, incidents, their delivery attempts, inbound webhook receipts; group rank. */
export class Escalation1764500000000 implements MigrationInterface {
  name = 'Escalation1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE failure_groups ADD COLUMN max_severity integer NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE failure_groups ADD COLUMN rank_score real NOT NULL DEFAULT 0');
    await q.query('CREATE INDEX idx_failure_groups_rank ON failure_groups (rank_score, id)');
    await q.query(`CREATE TABLE escalation_policies (
      id varchar(36) NOT NULL PRIMARY KEY,
      scope varchar(36) NOT NULL UNIQUE,
      service_id varchar(36) NULL,
      provider varchar(16) NOT NULL,
      credentials text NOT NULL,
      min_severity varchar(16) NOT NULL,
      threshold_count integer NOT NULL,
      threshold_window_seconds integer NOT NULL,
      group_wait_seconds integer NOT NULL,
      repeat_interval_seconds integer NOT NULL,
      quiet_period_seconds integer NOT NULL,
      flap_window_seconds integer NOT NULL,
      mute_windows text NOT NULL,
      created_at datetime NOT NULL,
      updated_at datetime NOT NULL
    )`);
    await q.query(`CREATE TABLE incidents (
      id varchar(36) NOT NULL PRIMARY KEY,
      group_id varchar(36) NOT NULL,
      open_group_id varchar(36) NULL UNIQUE,
      service_id varchar(36) NOT NULL,
      status varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      rank_score real NOT NULL,
      rank_reasons text NOT NULL,
      provider varchar(16) NOT NULL,
      policy_id varchar(36) NOT NULL,
      external_key varchar(255) NOT NULL UNIQUE,
      failure_count integer NOT NULL,
      last_notified_at datetime NULL,
      notified_count integer NOT NULL DEFAULT 0,
      delivery_error text NULL,
      triggered_at datetime NOT NULL,
      acknowledged_at datetime NULL,
      acknowledged_by varchar(200) NULL,
      resolved_at datetime NULL,
      resolved_by varchar(200) NULL,
      updated_at datetime NOT NULL
    )`);
    await q.query('CREATE INDEX idx_incidents_group ON incidents (group_id, triggered_at)');
    await q.query('CREATE INDEX idx_incidents_status ON incidents (status, triggered_at, id)');
    await q.query('CREATE INDEX idx_incidents_service ON incidents (service_id, triggered_at, id)');
    await q.query('CREATE INDEX idx_incidents_triggered ON incidents (triggered_at, id)');
    await q.query(`CREATE TABLE incident_deliveries (
      id varchar(36) NOT NULL PRIMARY KEY,
      incident_id varchar(36) NOT NULL,
      action varchar(16) NOT NULL,
      status varchar(16) NOT NULL,
      http_status integer NULL,
      error text NULL,
      attempt integer NOT NULL,
      at datetime NOT NULL
    )`);
    await q.query('CREATE INDEX idx_incident_deliveries_incident ON incident_deliveries (incident_id, at)');
    await q.query(`CREATE TABLE webhook_receipts (
      id varchar(300) NOT NULL PRIMARY KEY,
      received_at datetime NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_receipts', 'incident_deliveries', 'incidents', 'escalation_policies']) await q.query(`DROP TABLE ${table}`);
    await q.query('DROP INDEX idx_failure_groups_rank');
    await q.query('ALTER TABLE failure_groups DROP COLUMN rank_score');
    await q.query('ALTER TABLE failure_groups DROP COLUMN max_severity');
  }
}
