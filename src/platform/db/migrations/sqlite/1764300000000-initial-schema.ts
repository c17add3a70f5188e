import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Services, tokens, failures, groups, audit trail and the outbox (embedded SQLite). */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE services (
      id varchar(36) NOT NULL PRIMARY KEY,
      name varchar(100) NOT NULL UNIQUE,
      team varchar(200) NOT NULL,
      criticality integer NOT NULL,
      retry_webhook_url varchar(2048) NULL,
      retry_webhook_secret varchar(128) NOT NULL,
      created_at datetime NOT NULL,
      updated_at datetime NOT NULL
    )`);
    await q.query(`CREATE TABLE api_tokens (
      id varchar(36) NOT NULL PRIMARY KEY,
      token_hash char(64) NOT NULL UNIQUE,
      role varchar(16) NOT NULL,
      service_id varchar(36) NULL REFERENCES services (id) ON DELETE CASCADE,
      label varchar(200) NULL,
      created_by varchar(100) NOT NULL,
      created_at datetime NOT NULL
    )`);
    await q.query('CREATE INDEX idx_api_tokens_service ON api_tokens (service_id)');
    await q.query(`CREATE TABLE failure_groups (
      id varchar(36) NOT NULL PRIMARY KEY,
      service_id varchar(36) NOT NULL REFERENCES services (id),
      fingerprint char(64) NOT NULL UNIQUE,
      task_type varchar(200) NOT NULL,
      error_type varchar(255) NOT NULL,
      message_template varchar(1024) NOT NULL,
      status varchar(16) NOT NULL,
      regressed integer NOT NULL DEFAULT 0,
      count integer NOT NULL DEFAULT 0,
      open_count integer NOT NULL DEFAULT 0,
      first_seen_at datetime NOT NULL,
      last_seen_at datetime NOT NULL,
      resolved_at datetime NULL
    )`);
    await q.query('CREATE INDEX idx_failure_groups_last_seen ON failure_groups (last_seen_at, id)');
    await q.query('CREATE INDEX idx_failure_groups_first_seen ON failure_groups (first_seen_at, id)');
    await q.query('CREATE INDEX idx_failure_groups_count ON failure_groups (count, id)');
    await q.query('CREATE INDEX idx_failure_groups_service_last_seen ON failure_groups (service_id, last_seen_at)');
    await q.query('CREATE INDEX idx_failure_groups_status_last_seen ON failure_groups (status, last_seen_at)');
    await q.query(`CREATE TABLE failures (
      id varchar(36) NOT NULL PRIMARY KEY,
      service_id varchar(36) NOT NULL REFERENCES services (id),
      group_id varchar(36) NOT NULL,
      idempotency_key varchar(255) NOT NULL,
      task_type varchar(200) NOT NULL,
      task_id varchar(255) NOT NULL,
      pattern varchar(16) NOT NULL,
      source varchar(255) NULL,
      status varchar(16) NOT NULL,
      attempt integer NOT NULL,
      severity varchar(16) NOT NULL,
      error_type varchar(255) NOT NULL,
      error_message text NOT NULL,
      stack_trace text NULL,
      payload text NULL,
      attributes text NOT NULL,
      occurred_at datetime NOT NULL,
      received_at datetime NOT NULL,
      updated_at datetime NOT NULL,
      UNIQUE (service_id, idempotency_key)
    )`);
    await q.query('CREATE INDEX idx_failures_received ON failures (received_at, id)');
    await q.query('CREATE INDEX idx_failures_service_received ON failures (service_id, received_at, id)');
    await q.query('CREATE INDEX idx_failures_group_received ON failures (group_id, received_at, id)');
    await q.query('CREATE INDEX idx_failures_status_received ON failures (status, received_at, id)');
    await q.query('CREATE INDEX idx_failures_task_type_received ON failures (task_type, received_at)');
    await q.query('CREATE INDEX idx_failures_occurred ON failures (occurred_at)');
    await q.query(`CREATE TABLE audit_entries (
      id varchar(36) NOT NULL PRIMARY KEY,
      subject_type varchar(16) NOT NULL,
      subject_id varchar(36) NOT NULL,
      action varchar(32) NOT NULL,
      actor varchar(200) NOT NULL,
      note text NULL,
      at datetime NOT NULL
    )`);
    await q.query('CREATE INDEX idx_audit_subject ON audit_entries (subject_id, at)');
    await q.query(`CREATE TABLE outbox (
      id integer PRIMARY KEY AUTOINCREMENT,
      kind varchar(64) NOT NULL,
      ordering_key varchar(100) NOT NULL,
      payload text NOT NULL,
      status varchar(16) NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      available_at datetime NOT NULL,
      locked_until datetime NULL,
      last_error text NULL,
      created_at datetime NOT NULL,
      updated_at datetime NOT NULL
    )`);
    await q.query('CREATE INDEX idx_outbox_due ON outbox (status, available_at)');
    await q.query('CREATE INDEX idx_outbox_ordering ON outbox (ordering_key, status, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['outbox', 'audit_entries', 'failures', 'failure_groups', 'api_tokens', 'services']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
