import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-group index on receipt time also carries severity and task id, so the escalation
 * evaluator's activity counts (failures in the last 5 and 15 minutes and the day before, by
 * severity, distinct tasks), which it takes for every group touched by new reports, are read
 * from the index alone instead of one row lookup per recent failure. Paging a group's failures
 * by receipt time uses the same leading columns as before.
 */
export class GroupActivityIndex1765400000000 implements MigrationInterface {
  name = 'GroupActivityIndex1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE failures DROP INDEX idx_failures_group_received, ADD INDEX idx_failures_group_received (group_id, received_at, id, severity, task_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE failures DROP INDEX idx_failures_group_received, ADD INDEX idx_failures_group_received (group_id, received_at, id)');
  }
}
