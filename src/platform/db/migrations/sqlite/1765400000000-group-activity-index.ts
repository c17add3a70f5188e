import type { MigrationInterface, QueryRunner } from 'typeorm';

/** As on MySQL: the per-group index on receipt time also carries severity and task id (the escalation evaluator's activity counts read it alone). */
export class GroupActivityIndex1765400000000 implements MigrationInterface {
  name = 'GroupActivityIndex1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_failures_group_received');
    await q.query('CREATE INDEX idx_failures_group_received ON failures (group_id, received_at, id, severity, task_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_failures_group_received');
    await q.query('CREATE INDEX idx_failures_group_received ON failures (group_id, received_at, id)');
  }
}
