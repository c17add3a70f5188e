import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identifiers compare byte for byte, as on SQLite. The tables' default collation
 * (utf8mb4_unicode_ci) ignores case, accents and trailing spaces, so on MariaDB the idempotency
 * keys "Order-7" and "order-7" counted as one report (the second was taken for a duplicate and
 * not stored), a `taskType: "mail"` filter matched "Mail", and the hourly statistics merged the
 * two task types. Idempotency keys, task ids, task types, error types and sources become NO PAD
 * binary (`utf8mb4_nopad_bin` on MariaDB, `utf8mb4_0900_bin` on MySQL 8). Free text searched
 * case-insensitively (error messages, message templates) keeps its collation.
 *
 * No unique key can break: values distinct under the old collation stay distinct. The hourly
 * rollup is rebuilt from the minute rollup, whose groups never merged task types.
 */
export class ExactIdentifiers1765250000000 implements MigrationInterface {
  name = 'ExactIdentifiers1765250000000';

  async up(q: QueryRunner): Promise<void> {
    await this.collate(q, await noPadBinary(q));
    await q.query('DELETE FROM failure_hour_stats');
    await q.query(`INSERT INTO failure_hour_stats (hour, service_id, task_type, pattern, severity, reported, retried, succeeded, discarded, resolved)
      SELECT s.minute DIV 60, g.service_id, g.task_type, s.pattern, s.severity, SUM(s.reported), SUM(s.retried), SUM(s.succeeded), SUM(s.discarded), SUM(s.resolved)
      FROM failure_minute_stats s JOIN failure_groups g ON g.id = s.group_id
      GROUP BY s.minute DIV 60, g.service_id, g.task_type, s.pattern, s.severity`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the table default: the ALTER fails if two keys now differ only by case or accents.
    await this.collate(q, 'utf8mb4_unicode_ci');
  }

  private async collate(q: QueryRunner, collation: string): Promise<void> {
    const text = (type: string, nullable = false) => `${type} CHARACTER SET utf8mb4 COLLATE ${collation} ${nullable ? 'NULL' : 'NOT NULL'}`;
    await q.query(`ALTER TABLE failures
      MODIFY idempotency_key ${text('varchar(255)')},
      MODIFY task_id ${text('varchar(255)')},
      MODIFY task_type ${text('varchar(200)')},
      MODIFY error_type ${text('varchar(255)')},
      MODIFY source ${text('varchar(255)', true)}`);
    await q.query(`ALTER TABLE failure_groups
      MODIFY task_type ${text('varchar(200)')},
      MODIFY error_type ${text('varchar(255)')}`);
    await q.query(`ALTER TABLE failure_hour_stats MODIFY task_type ${text('varchar(200)')}`);
  }
}

async function noPadBinary(q: QueryRunner): Promise<string> {
  const rows: Array<{ v: string }> = await q.query('SELECT VERSION() AS v');
  return /mariadb/i.test(String(rows[0]?.v)) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}
