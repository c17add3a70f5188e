import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/** Escalation policies, incidents, their delivery attempts, inbound webhook receipts; group rank. */
export class Escalation1764500000000 implements MigrationInterface {
  name = 'Escalation1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE failure_groups ADD COLUMN max_severity tinyint NOT NULL DEFAULT 0, ADD COLUMN rank_score double NOT NULL DEFAULT 0');
    await q.query('CREATE INDEX idx_failure_groups_rank ON failure_groups (rank_score, id)');
    await q.query(`CREATE TABLE escalation_policies (
      id varchar(36) NOT NULL PRIMARY KEY,
      scope varchar(36) NOT NULL,
      service_id varchar(36) NULL,
      provider varchar(16) NOT NULL,
      credentials text NOT NULL,
      min_severity varchar(16) NOT NULL,
      threshold_count int NOT NULL,
      threshold_window_seconds int NOT NULL,
      group_wait_seconds int NOT NULL,
      repeat_interval_seconds int NOT NULL,
      quiet_period_seconds int NOT NULL,
      flap_window_seconds int NOT NULL,
      mute_windows text NOT NULL,
      created_at datetime(3) NOT NULL,
      updated_at datetime(3) NOT NULL,
      UNIQUE KEY uq_escalation_policies_scope (scope)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE incidents (
      id varchar(36) NOT NULL PRIMARY KEY,
      group_id varchar(36) NOT NULL,
      open_group_id varchar(36) NULL,
      service_id varchar(36) NOT NULL,
      status varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      rank_score double NOT NULL,
      rank_reasons text NOT NULL,
      provider varchar(16) NOT NULL,
      policy_id varchar(36) NOT NULL,
      external_key varchar(255) NOT NULL,
      failure_count int NOT NULL,
      last_notified_at datetime(3) NULL,
      notified_count int NOT NULL DEFAULT 0,
      delivery_error text NULL,
      triggered_at datetime(3) NOT NULL,
      acknowledged_at datetime(3) NULL,
      acknowledged_by varchar(200) NULL,
      resolved_at datetime(3) NULL,
      resolved_by varchar(200) NULL,
      updated_at datetime(3) NOT NULL,
      UNIQUE KEY uq_incidents_open_group (open_group_id),
      UNIQUE KEY uq_incidents_external_key (external_key),
      KEY idx_incidents_group (group_id, triggered_at),
      KEY idx_incidents_status (status, triggered_at, id),
      KEY idx_incidents_service (service_id, triggered_at, id),
      KEY idx_incidents_triggered (triggered_at, id)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE incident_deliveries (
      id varchar(36) NOT NULL PRIMARY KEY,
      incident_id varchar(36) NOT NULL,
      action varchar(16) NOT NULL,
      status varchar(16) NOT NULL,
      http_status int NULL,
      error text NULL,
      attempt int NOT NULL,
      at datetime(3) NOT NULL,
      KEY idx_incident_deliveries_incident (incident_id, at)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE webhook_receipts (
      id varchar(300) NOT NULL PRIMARY KEY,
      received_at datetime(3) NOT NULL
    ) ${TABLE_OPTIONS}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_receipts', 'incident_deliveries', 'incidents', 'escalation_policies']) await q.query(`DROP TABLE ${table}`);
    await q.query('DROP INDEX idx_failure_groups_rank ON failure_groups');
    await q.query('ALTER TABLE failure_groups DROP COLUMN rank_score, DROP COLUMN max_severity');
  }
}
