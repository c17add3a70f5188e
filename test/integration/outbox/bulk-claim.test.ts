import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { Dialect, TransactionRunner, dataSourceOptions } from '../../../src/platform/db';
import { OutboxEntity, OutboxWorker } from '../../../src/platform/outbox';
import { type TestDatabase, createTestDatabase } from '../../helpers/test-database';

describe('outbox claims of bulk kinds', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(db.config, [OutboxEntity]));
    await dataSource.initialize();
    await dataSource.runMigrations();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('claims a backlog of a bulk kind in one cycle while other kinds keep their smaller batch, ordering keys still one at a time', async () => {
    const dialect = new Dialect(db.config.type);
    const transactions = new TransactionRunner(dataSource, dialect);
    const outbox = new OutboxWorker({ dataSource, dialect, transactions, logger: pino({ level: 'silent' }), pollIntervalMs: 10, maxAttempts: 3, batchSize: 3, bulkKinds: ['test.live'], bulkBatchSize: 50 });
    const cycles: Array<{ live: string[]; other: string[] }> = [];
    let current = { live: [] as string[], other: [] as string[] };
    outbox.register<{ id: string }>({ kind: 'test.live', handle: async ({ id }) => void current.live.push(id) });
    outbox.register<{ id: string }>({ kind: 'test.other', handle: async ({ id }) => void current.other.push(id) });
    await transactions.run(async (manager) => {
      for (let i = 0; i < 40; i++) await outbox.enqueue(manager, 'test.live', `live-${i}`, { id: `live-${i}` });
      // Two rows share a key: the second waits for the first.
      for (let i = 0; i < 5; i++) await outbox.enqueue(manager, 'test.live', 'live-shared', { id: `shared-${i}` });
      for (let i = 0; i < 10; i++) await outbox.enqueue(manager, 'test.other', `other-${i}`, { id: `other-${i}` });
    });

    for (;;) {
      current = { live: [], other: [] };
      if ((await outbox.runOnce()) === 0) break;
      cycles.push(current);
    }
    expect(cycles[0]!.live).toHaveLength(41); // 40 own keys and the first of the shared key
    expect(cycles[0]!.other).toHaveLength(3);
    expect(cycles.flatMap((c) => c.other).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `other-${i}`).sort());
    expect(cycles.flatMap((c) => c.live.filter((id) => id.startsWith('shared-')))).toEqual(['shared-0', 'shared-1', 'shared-2', 'shared-3', 'shared-4']);
    expect(Math.max(...cycles.map((c) => c.other.length))).toBe(3);
    expect(await outbox.depth()).toBe(0);
  });
});
