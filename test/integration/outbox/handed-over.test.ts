import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { Dialect, TransactionRunner, dataSourceOptions } from '../../../src/platform/db';
import { OutboxEntity, OutboxWorker } from '../../../src/platform/outbox';
import { deferred } from '../../helpers/deferred';
import { type TestDatabase, createTestDatabase } from '../../helpers/test-database';

const HOUR_MS = 3_600_000;

describe('outbox rows handed over at commit', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let dialect: Dialect;
  let transactions: TransactionRunner;
  const workers: OutboxWorker[] = [];

  /** A worker whose poller would not come round for an hour unless nudged. */
  function worker(kind: string, handle: (payload: { id: string }, attempt: number) => Promise<void>): OutboxWorker {
    const outbox = new OutboxWorker({ dataSource, dialect, transactions, logger: pino({ level: 'silent' }), pollIntervalMs: HOUR_MS, maxAttempts: 3, bulkKinds: [kind], random: () => 0 });
    outbox.register<{ id: string }>({ kind, handle });
    workers.push(outbox);
    return outbox;
  }

  async function rows(kind: string): Promise<Array<{ status: string; attempts: number; locked: boolean }>> {
    const found: Array<{ status: string; attempts: number; locked_until: unknown }> = await dataSource.query('SELECT status, attempts, locked_until FROM outbox WHERE kind = ? ORDER BY id', [kind]);
    return found.map((r) => ({ status: r.status, attempts: Number(r.attempts), locked: r.locked_until !== null }));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(db.config, [OutboxEntity]));
    await dataSource.initialize();
    await dataSource.runMigrations();
    dialect = new Dialect(db.config.type);
    transactions = new TransactionRunner(dataSource, dialect);
  });
  afterAll(async () => {
    for (const outbox of workers) await outbox.stop();
    await dataSource.destroy();
    await db.drop();
  });

  it('hands a committed row to its handler without a poll, leased so that no other worker claims it meanwhile, then marks it done', async () => {
    const kind = `test.handover.${Math.random().toString(36).slice(2)}`;
    const received = deferred<{ id: string; attempt: number }>();
    const release = deferred<void>();
    const outbox = worker(kind, async ({ id }, attempt) => {
      received.resolve({ id, attempt });
      await release.promise;
    });
    outbox.start();
    await outbox.runOnce(); // the start-up poll has come and gone: only the hand-over can deliver now
    const other = worker(kind, async () => {
      throw new Error('another worker must not get this row');
    });

    await transactions.run((manager) => outbox.enqueueUnordered(manager, kind, { id: 'a' }));
    expect(await received.promise).toEqual({ id: 'a', attempt: 1 });
    expect(await rows(kind)).toEqual([{ status: 'PENDING', attempts: 0, locked: true }]);
    expect(await other.runOnce()).toBe(0);

    release.resolve();
    await outbox.stop(); // waits for the hand-over and its DONE write
    expect(await rows(kind)).toEqual([{ status: 'DONE', attempts: 1, locked: false }]);
  });

  it('does not deliver again from its own poller a row it is still handing over, even once the lease has run out', async () => {
    const kind = `test.handover.${Math.random().toString(36).slice(2)}`;
    let clock = Date.parse('2026-03-01T00:00:00Z');
    const calls: string[] = [];
    const release = deferred<void>();
    const outbox = new OutboxWorker({ dataSource, dialect, transactions, logger: pino({ level: 'silent' }), pollIntervalMs: HOUR_MS, maxAttempts: 3, leaseMs: 60_000, bulkKinds: [kind], now: () => new Date(clock) });
    workers.push(outbox);
    outbox.register<{ id: string }>({
      kind,
      handle: async ({ id }) => {
        calls.push(id);
        await release.promise;
      },
    });
    outbox.start();
    await outbox.runOnce();
    await transactions.run((manager) => outbox.enqueueUnordered(manager, kind, { id: 'd' }));
    clock += HOUR_MS; // the lease (one minute) is long over
    expect(await outbox.runOnce()).toBe(0);
    release.resolve();
    await outbox.stop();
    expect(calls).toEqual(['d']);
    expect(await rows(kind)).toEqual([{ status: 'DONE', attempts: 1, locked: false }]);
  });

  it('never hands over the row of a transaction that rolled back', async () => {
    const kind = `test.handover.${Math.random().toString(36).slice(2)}`;
    const handled: string[] = [];
    const outbox = worker(kind, async ({ id }) => void handled.push(id));
    outbox.start();
    await expect(
      transactions.run(async (manager) => {
        await outbox.enqueueUnordered(manager, kind, { id: 'rolled-back' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await outbox.stop();
    expect(handled).toEqual([]);
    expect(await rows(kind)).toEqual([]);
  });

  it('gives a row whose hand-over failed back to the poller, which retries it as the next attempt', async () => {
    const kind = `test.handover.${Math.random().toString(36).slice(2)}`;
    const attempts: number[] = [];
    const second = deferred<void>();
    const outbox = worker(kind, async (_payload, attempt) => {
      attempts.push(attempt);
      if (attempts.length === 1) throw new Error('bus down');
      second.resolve();
    });
    outbox.start();
    await outbox.runOnce();
    await transactions.run((manager) => outbox.enqueueUnordered(manager, kind, { id: 'b' }));
    await second.promise; // nudged after the release, without waiting an hour
    await outbox.stop();
    expect(attempts).toEqual([1, 1]);
    expect(await rows(kind)).toEqual([{ status: 'DONE', attempts: 1, locked: false }]);
  });

  it('writes an ordinary row when the worker is not running, for the poller to deliver', async () => {
    const kind = `test.handover.${Math.random().toString(36).slice(2)}`;
    const handled: string[] = [];
    const outbox = worker(kind, async ({ id }) => void handled.push(id));
    await transactions.run((manager) => outbox.enqueueUnordered(manager, kind, { id: 'c' }));
    expect(await rows(kind)).toEqual([{ status: 'PENDING', attempts: 0, locked: false }]);
    expect(handled).toEqual([]);
    expect(await outbox.runOnce()).toBe(1);
    expect(handled).toEqual(['c']);
  });
});
