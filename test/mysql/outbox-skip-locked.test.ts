import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { Dialect, TransactionRunner, dataSourceOptions } from '../../src/platform/db';
import { OutboxEntity, OutboxWorker } from '../../src/platform/outbox';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

describe('two outbox workers on one MariaDB table', () => {
  let db: TestDatabase;
  let sources: DataSource[];

  beforeAll(async () => {
    db = await createTestDatabase();
    sources = [new DataSource(dataSourceOptions(db.config, [OutboxEntity])), new DataSource(dataSourceOptions(db.config, [OutboxEntity]))];
    for (const source of sources) await source.initialize();
    await sources[0]!.runMigrations();
  });
  afterAll(async () => {
    for (const source of sources) await source.destroy();
    await db.drop();
  });

  it.each([
    ['claiming every kind together', {}],
    ['claiming a bulk kind apart from the others', { bulkKinds: ['test.deliver'], bulkBatchSize: 7 }],
  ])('deliver every row exactly once between them, and each ordering key in order, %s', async (_title, claimOptions) => {
    const dialect = new Dialect('mysql');
    const delivered: Array<{ worker: number; key: string; seq: number }> = [];
    const workers = sources.map((dataSource, worker) => {
      const transactions = new TransactionRunner(dataSource, dialect);
      const outbox = new OutboxWorker({ dataSource, dialect, transactions, logger: pino({ level: 'silent' }), pollIntervalMs: 10, maxAttempts: 3, batchSize: 7, ...claimOptions });
      outbox.register<{ key: string; seq: number }>({
        kind: 'test.deliver',
        async handle(payload) {
          await new Promise((resolve) => setTimeout(resolve, 2)); // a slow receiver widens the race
          delivered.push({ worker, ...payload });
        },
      });
      return outbox;
    });

    const keys = Array.from({ length: 20 }, (_, i) => `incident-${i}`);
    await new TransactionRunner(sources[0]!, dialect).run(async (manager) => {
      for (let seq = 0; seq < 10; seq++) for (const key of keys) await workers[0]!.enqueue(manager, 'test.deliver', key, { key, seq });
    });

    // Both claim at the same time, over and over, until the table is drained.
    while (delivered.length < 200) {
      const claimed = await Promise.all(workers.map((w) => w.runOnce()));
      if (claimed.every((n) => n === 0) && delivered.length < 200) throw new Error(`stuck after ${delivered.length} deliveries`);
    }
    expect(delivered).toHaveLength(200);
    expect(new Set(delivered.map((d) => `${d.key}/${d.seq}`)).size).toBe(200);
    expect(new Set(delivered.map((d) => d.worker))).toEqual(new Set([0, 1]));
    for (const key of keys) {
      expect(delivered.filter((d) => d.key === key).map((d) => d.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });
});
