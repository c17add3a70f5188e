import type { MigrationInterface, QueryRunner } from 'typeorm';

const COUNTERS = 'reported, retried, succeeded, discarded, resolved';
const SUMS = 'SUM(reported), SUM(retried), SUM(succeeded), SUM(discarded), SUM(resolved)';
const COUNTER_COLUMNS = ['reported', 'retried', 'succeeded', 'discarded', 'resolved'].map((c) => `${c} integer NOT NULL DEFAULT 0`).join(',\n      ');

/**
 * Coarser rollup tiers, so that statistics over hours, days and weeks read a few hundred or a few
 * thousand rows instead of every group's minutes, and root-cause hints read a group's totals:
 * - `failure_stats_tiers` replaces `failure_hour_stats`. Counts per `span` (HOUR, QUARTER = 6
 *   hours, DAY) and `bucket` (hours, quarters or days since the epoch, UTC) at four levels of
 *   detail (`scope`): TASK (subject = service, task type, pattern, severity), TOTAL (service),
 *   ALL (pattern and severity over every service, subject ''), GROUP (subject = group, pattern,
 *   severity; also quarters). Unused columns hold ''.
 * - `failure_attribute_tiers` replaces `failure_attribute_stats`: attribute value counts (the
 *   value each group keeps) per group and hour (GROUP_HOUR, as before), per group over its
 *   lifetime (GROUP, bucket 0), per service and hour (SERVICE_HOUR) and day (SERVICE_DAY).
 * One table per kind keeps each write transaction to one statement for all of its tiers, and
 * neither has a secondary index that a counter update must change.
 * All tiers are filled from the existing rollups, which hold every failure ever counted
 * (retention never purges them).
 */
export class RollupTiers1765300000000 implements MigrationInterface {
  name = 'RollupTiers1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_stats_tiers (
      scope varchar(16) NOT NULL,
      span varchar(8) NOT NULL,
      bucket integer NOT NULL,
      subject_id varchar(36) NOT NULL,
      task_type varchar(200) NOT NULL,
      pattern varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      ${COUNTER_COLUMNS},
      PRIMARY KEY (scope, span, bucket, subject_id, task_type, pattern, severity)
    )`);
    await q.query('CREATE INDEX idx_failure_stats_tiers_subject ON failure_stats_tiers (scope, span, subject_id, bucket)');
    const tiers = `INSERT INTO failure_stats_tiers (scope, span, bucket, subject_id, task_type, pattern, severity, ${COUNTERS})`;
    await q.query(`${tiers} SELECT 'TASK', 'HOUR', hour, service_id, task_type, pattern, severity, ${COUNTERS} FROM failure_hour_stats`);
    await q.query(`${tiers} SELECT 'TASK', 'DAY', hour / 24, service_id, task_type, pattern, severity, ${SUMS} FROM failure_hour_stats GROUP BY hour / 24, service_id, task_type, pattern, severity`);
    for (const [span, bucket] of [['HOUR', 'hour'], ['DAY', 'hour / 24']]) {
      await q.query(`${tiers} SELECT 'TOTAL', '${span}', ${bucket}, service_id, '', '', '', ${SUMS} FROM failure_hour_stats GROUP BY ${bucket}, service_id`);
      await q.query(`${tiers} SELECT 'ALL', '${span}', ${bucket}, '', '', pattern, severity, ${SUMS} FROM failure_hour_stats GROUP BY ${bucket}, pattern, severity`);
    }
    for (const [span, minutes] of [['HOUR', 60], ['QUARTER', 360], ['DAY', 1_440]] as const) {
      await q.query(`${tiers} SELECT 'GROUP', '${span}', minute / ${minutes}, group_id, '', pattern, severity, ${SUMS}
        FROM failure_minute_stats GROUP BY minute / ${minutes}, group_id, pattern, severity`);
    }
    await q.query('DROP TABLE failure_hour_stats');

    await q.query(`CREATE TABLE failure_attribute_tiers (
      scope varchar(16) NOT NULL,
      subject_id varchar(36) NOT NULL,
      bucket integer NOT NULL,
      attribute varchar(100) NOT NULL,
      value varchar(255) NOT NULL,
      count integer NOT NULL DEFAULT 0,
      PRIMARY KEY (scope, subject_id, bucket, attribute, value)
    )`);
    const attributes = 'INSERT INTO failure_attribute_tiers (scope, subject_id, bucket, attribute, value, count)';
    await q.query(`${attributes} SELECT 'GROUP_HOUR', group_id, hour, attribute, value, count FROM failure_attribute_stats`);
    await q.query(`${attributes} SELECT 'GROUP', group_id, 0, attribute, value, SUM(count) FROM failure_attribute_stats GROUP BY group_id, attribute, value`);
    await q.query(`${attributes} SELECT 'SERVICE_HOUR', service_id, hour, attribute, value, SUM(count) FROM failure_attribute_stats GROUP BY service_id, hour, attribute, value`);
    await q.query(`${attributes} SELECT 'SERVICE_DAY', service_id, hour / 24, attribute, value, SUM(count) FROM failure_attribute_stats GROUP BY service_id, hour / 24, attribute, value`);
    await q.query('DROP TABLE failure_attribute_stats');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_attribute_stats (
      group_id varchar(36) NOT NULL,
      service_id varchar(36) NOT NULL,
      hour integer NOT NULL,
      attribute varchar(100) NOT NULL,
      value varchar(255) NOT NULL,
      count integer NOT NULL DEFAULT 0,
      PRIMARY KEY (group_id, attribute, value, hour)
    )`);
    await q.query('CREATE INDEX idx_failure_attribute_stats_baseline ON failure_attribute_stats (service_id, hour, attribute, value, count)');
    await q.query(`INSERT INTO failure_attribute_stats (group_id, service_id, hour, attribute, value, count)
      SELECT t.subject_id, g.service_id, t.bucket, t.attribute, t.value, t.count FROM failure_attribute_tiers t JOIN failure_groups g ON g.id = t.subject_id WHERE t.scope = 'GROUP_HOUR'`);
    await q.query('DROP TABLE failure_attribute_tiers');
    await q.query(`CREATE TABLE failure_hour_stats (
      hour integer NOT NULL,
      service_id varchar(36) NOT NULL,
      task_type varchar(200) NOT NULL,
      pattern varchar(16) NOT NULL,
      severity varchar(16) NOT NULL,
      ${COUNTER_COLUMNS},
      PRIMARY KEY (hour, service_id, task_type, pattern, severity)
    )`);
    await q.query(`INSERT INTO failure_hour_stats (hour, service_id, task_type, pattern, severity, ${COUNTERS})
      SELECT bucket, subject_id, task_type, pattern, severity, ${COUNTERS} FROM failure_stats_tiers WHERE scope = 'TASK' AND span = 'HOUR'`);
    await q.query('DROP TABLE failure_stats_tiers');
  }
}
