import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/** Services, tokens, failures, groups, audit trail and the outbox (MySQL / MariaDB). */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE services (
      id varchar(36) NOT NULL PRIMARY KEY,
      name varchar(100) NOT NULL,
      team varchar(200) NOT NULL,
      criticality tinyint NOT NULL,
      retry_webhook_url varchar(2048) NULL,
      retry_webhook_secret varchar(128) NOT NULL,
      created_at datetime(3) NOT NULL,
      updated_at datetime(3) NOT NULL,
      UNIQUE KEY uq_services_name (name)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE api_tokens (
      id varchar(36) NOT NULL PRIMARY KEY,
      token_hash char(64) NOT NULL,
      role varchar(16) NOT NULL,
      service_id varchar(36) NULL,
      label varchar(200) NULL,
      created_by varchar(100) NOT NULL,
      created_at datetime(3) NOT NULL,
      UNIQUE KEY uq_api_tokens_hash (token_hash),
      KEY idx_api_tokens_service (service_id),
      CONSTRAINT fk_api_tokens_service FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE failure_groups (
      id varchar(36) NOT NULL PRIMARY KEY,
      service_id varchar(36) NOT NULL,
      fingerprint char(64) NOT NULL,
      task_type varchar(200) NOT NULL,
      error_type varchar(255) NOT NULL,
      message_template varchar(1024) NOT NULL,
      status varchar(16) NOT NULL,
      regressed tinyint NOT NULL DEFAULT 0,
      count int NOT NULL DEFAULT 0,
      open_count int NOT NULL DEFAULT 0,
      first_seen_at datetime(3) NOT NULL,
      last_seen_at datetime(3) NOT NULL,
      resolved_at datetime(3) NULL,
      UNIQUE KEY uq_failure_groups_fingerprint (fingerprint),
      KEY idx_failure_groups_last_seen (last_seen_at, id),
      KEY idx_failure_groups_first_seen (first_seen_at, id),
      KEY idx_failure_groups_count (count, id),
      KEY idx_failure_groups_service_last_seen (service_id, last_seen_at),
      KEY idx_failure_groups_status_last_seen (status, last_seen_at),
      CONSTRAINT fk_failure_groups_service FOREIGN KEY (service_id) REFERENCES services (id)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE failures (
      id varchar(36) NOT NULL PRIMARY KEY,
      service_id varchar(36) NOT NULL,
      group_id varchar(36) NOT NULL,
      idempotency_key varchar(255) NOT NULL,
      task_type varchar(200) NOT NULL,
      task_id varchar(255) NOT NULL,
      pattern varchar(16) NOT NULL,
      source varchar(255) NULL,
      status varchar(16) NOT NULL,
      attempt int NOT NULL,
      severity varchar(16) NOT NULL,
      error_type varchar(255) NOT NULL,
      error_message text NOT NULL,
      stack_trace text NULL,
      payload mediumtext NULL,
      attributes text NOT NULL,
      occurred_at datetime(3) NOT NULL,
      received_at datetime(3) NOT NULL,
      updated_at datetime(3) NOT NULL,
      UNIQUE KEY uq_failures_idempotency (service_id, idempotency_key),
      KEY idx_failures_received (received_at, id),
      KEY idx_failures_service_received (service_id, received_at, id),
      KEY idx_failures_group_received (group_id, received_at, id),
      KEY idx_failures_status_received (status, received_at, id),
      KEY idx_failures_task_type_received (task_type, received_at),
      KEY idx_failures_occurred (occurred_at),
      CONSTRAINT fk_failures_service FOREIGN KEY (service_id) REFERENCES services (id)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE audit_entries (
      id varchar(36) NOT NULL PRIMARY KEY,
      subject_type varchar(16) NOT NULL,
      subject_id varchar(36) NOT NULL,
      action varchar(32) NOT NULL,
      actor varchar(200) NOT NULL,
      note text NULL,
      at datetime(3) NOT NULL,
      KEY idx_audit_subject (subject_id, at)
    ) ${TABLE_OPTIONS}`);
    await q.query(`CREATE TABLE outbox (
      id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
      kind varchar(64) NOT NULL,
      ordering_key varchar(100) NOT NULL,
      payload mediumtext NOT NULL,
      status varchar(16) NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      available_at datetime(3) NOT NULL,
      locked_until datetime(3) NULL,
      last_error text NULL,
      created_at datetime(3) NOT NULL,
      updated_at datetime(3) NOT NULL,
      KEY idx_outbox_due (status, available_at),
      KEY idx_outbox_ordering (ordering_key, status, id)
    ) ${TABLE_OPTIONS}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['outbox', 'audit_entries', 'failures', 'failure_groups', 'api_tokens', 'services']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
