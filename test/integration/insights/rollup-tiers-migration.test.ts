import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RollupTiers1765300000000 as MysqlRollupTiers } from '../../../src/platform/db/migrations/mysql/1765300000000-rollup-tiers';
import { RollupTiers1765300000000 as SqliteRollupTiers } from '../../../src/platform/db/migrations/sqlite/1765300000000-rollup-tiers';
import { REPORT_FAILURES, report } from '../../helpers/reports';
import { generators, random, seeds } from '../../helpers/seeded-random';
import { type TestApp, expectData, startTestApp } from '../../helpers/test-app';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-04-10T05:00:00Z');
const TIERS = {
  failure_stats_tiers: ['scope', 'span', 'bucket', 'subject_id', 'task_type', 'pattern', 'severity', 'reported', 'retried', 'succeeded', 'discarded', 'resolved'],
  failure_attribute_tiers: ['scope', 'subject_id', 'bucket', 'attribute', 'value', 'count'],
} as const;

/**
 * The migration that adds the hourly and daily tiers fills them from the rollups that existed
 * before it. Here the writers kept the tiers while random failures arrived and were acted on;
 * undoing the migration and running it again must rebuild every tier row for row.
 */
describe.each(seeds(1))('the rollup tiers migration (seed %i)', (seed) => {
  let t: TestApp;
  const rnd = random(seed);
  const { pick, int } = generators(rnd);

  beforeAll(async () => {
    t = await startTestApp();
    const services = [await t.createService(), await t.createService()];
    const operator = await t.createToken('OPERATOR');
    const input = Array.from({ length: 300 }, (_, i) =>
      report(pick(services).name, {
        taskId: `t-${i}`,
        taskType: pick(['sync', 'mail']),
        errorType: pick(['Timeout', 'Refused']),
        pattern: pick(['MESSAGE_QUEUE', 'EVENT_BUS']),
        severity: pick(['ERROR', 'WARNING', 'CRITICAL']),
        occurredAt: new Date(T0 + int(0, 60 * HOUR)).toISOString(),
        attributes: { host: `w${int(0, 30)}`, version: pick(['1.0', '1.1']) },
      }),
    );
    const { reportFailures } = expectData(await t.request<{ reportFailures: { failures: Array<{ id: string }> } }>(REPORT_FAILURES, { input }));
    for (const { id } of reportFailures.failures.filter(() => rnd() < 0.2)) {
      expectData(await t.request(`mutation($id: ID!) { ${pick(['discardFailure(id: $id, reason: "x")', 'resolveFailure(id: $id, note: "x")'])} { id } }`, { id }, operator));
    }
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  async function snapshot(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const [table, columns] of Object.entries(TIERS)) {
      const rows: Array<Record<string, unknown>> = await t.app.dataSource.query(`SELECT ${columns.join(', ')} FROM ${table}`);
      out[table] = rows.map((r) => columns.map((c) => String(r[c])).join('|')).sort();
    }
    return out;
  }

  it('rebuilds from the older rollups exactly the tiers the writers kept', async () => {
    const kept = await snapshot();
    expect(kept.failure_stats_tiers!.length).toBeGreaterThan(0);
    expect(new Set(kept.failure_stats_tiers!.map((r) => r.split('|').slice(0, 2).join('/')))).toEqual(
      new Set(['TASK/HOUR', 'TASK/DAY', 'TOTAL/HOUR', 'TOTAL/DAY', 'ALL/HOUR', 'ALL/DAY', 'GROUP/HOUR', 'GROUP/QUARTER', 'GROUP/DAY']),
    );
    expect(new Set(kept.failure_attribute_tiers!.map((r) => r.split('|')[0]))).toEqual(new Set(['GROUP', 'GROUP_HOUR', 'SERVICE_DAY', 'SERVICE_HOUR']));
    const migration = t.app.dataSource.options.type === 'mysql' ? new MysqlRollupTiers() : new SqliteRollupTiers();
    const runner = t.app.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      const hours: Array<{ n: number | string }> = await runner.query('SELECT SUM(reported) AS n FROM failure_hour_stats');
      expect(Number(hours[0]!.n)).toBe(300);
      const attributes: Array<{ n: number | string }> = await runner.query("SELECT SUM(count) AS n FROM failure_attribute_stats WHERE attribute = 'host'");
      expect(Number(attributes[0]!.n)).toBe(300);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await snapshot()).toEqual(kept);
  });
});
