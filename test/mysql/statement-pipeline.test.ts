import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createPipelineDataSource, dataSourceOptions, runPipelined, settleAll } from '../../src/platform/db';
import { type TestDatabase, createTestDatabase } from '../helpers/test-database';

type Connection = { query: (...args: unknown[]) => unknown; counted?: boolean };

/** Records the queries (round trips) made on a data source's pool connections. */
function recordQueries(dataSource: DataSource): string[] {
  const sent: string[] = [];
  const pool = (dataSource.driver as unknown as { pool: { on(event: 'acquire', listener: (connection: Connection) => void): void } }).pool;
  pool.on('acquire', (connection) => {
    if (connection.counted) return;
    connection.counted = true;
    const query = connection.query.bind(connection);
    connection.query = (...args: unknown[]) => {
      const sql = args[0];
      sent.push(typeof sql === 'string' ? sql : (sql as { sql: string }).sql);
      return query(...args);
    };
  });
  return sent;
}

describe('pipelined MySQL transactions', () => {
  let db: TestDatabase;
  let main: DataSource;
  let pipelined: DataSource;
  let sent: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    if (db.config.type !== 'mysql') throw new Error('the mysql project needs TEST_DATABASE_URL');
    main = await new DataSource({ ...dataSourceOptions(db.config, []), migrations: [] }).initialize();
    await main.query('CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(50) NOT NULL)');
    await main.query('CREATE TABLE counters (name VARCHAR(20) PRIMARY KEY, n INT NOT NULL)');
    pipelined = await createPipelineDataSource(db.config, [], 2).initialize();
    sent = recordQueries(pipelined);
  });
  afterAll(async () => {
    if (pipelined?.isInitialized) await pipelined.destroy();
    if (main?.isInitialized) await main.destroy();
    await db.drop();
  });

  it('sends statements issued side by side in one round trip, each with its own result', async () => {
    sent.length = 0;
    const result = await runPipelined(pipelined, async (manager) => {
      const inserted = await manager.queryRunner!.query("INSERT IGNORE INTO items (id, label) VALUES (1, 'a'), (2, 'b?')", [], true);
      const [count, , labels] = await settleAll<unknown>([
        manager.query('SELECT COUNT(*) AS n FROM items'),
        manager.query('INSERT INTO counters (name, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)', ["it's", 2]),
        manager.query('SELECT label FROM items WHERE id IN (?, ?) ORDER BY id', [1, 2]),
      ]);
      return { affected: inserted.affected, count, labels };
    });
    expect(result).toEqual({ affected: 2, count: [{ n: 2 }], labels: [{ label: 'a' }, { label: 'b?' }] });
    // START TRANSACTION rides with the first statement; the three go together; then COMMIT.
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatch(/^START TRANSACTION;\s*INSERT IGNORE INTO items/);
    expect(sent[1]!.split(';\n')).toHaveLength(3);
    expect(sent[2]).toBe('COMMIT');
    expect(await main.query("SELECT n FROM counters WHERE name = 'it''s'")).toEqual([{ n: 2 }]);
  });

  it('fails the statements after a failed one without sending them, and rolls the whole transaction back', async () => {
    sent.length = 0;
    const attempt = runPipelined(pipelined, async (manager) => {
      await manager.query("INSERT INTO counters (name, n) VALUES ('rolled-back', 1)");
      await settleAll([
        // A caller that shrugs off its failure (after a deadlock MySQL has already rolled back, and
        // whatever came next would run outside the transaction) gets the failure again, unsent.
        manager.query("INSERT INTO items (id, label) VALUES (1, 'duplicate')").catch(() => manager.query("INSERT INTO items (id, label) VALUES (5, 'never sent')")),
        manager.query("INSERT INTO items (id, label) VALUES (3, 'after the failure')"),
      ]);
    });
    await expect(attempt).rejects.toThrow(/Duplicate entry/);
    expect(sent.filter((sql) => sql.includes('duplicate'))).toHaveLength(1);
    expect(sent.some((sql) => sql.includes('never sent'))).toBe(false);
    expect(sent[sent.length - 1]).toBe('ROLLBACK');
    expect(await main.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await main.query("SELECT n FROM counters WHERE name = 'rolled-back'")).toEqual([]);
  });

  it('sends COMMIT at the end of the round trip of the statements issued before it', async () => {
    sent.length = 0;
    await runPipelined(pipelined, async (manager, commit) => {
      await manager.query("INSERT INTO items (id, label) VALUES (10, 'first')");
      // Issued after the commit was asked for, in the same turn of the event loop: still before it.
      const statements = [manager.query("INSERT INTO counters (name, n) VALUES ('with-commit', 1)"), commit(), manager.query("INSERT INTO items (id, label) VALUES (11, 'late')")];
      await settleAll<unknown>(statements);
    });
    expect(sent).toHaveLength(2);
    expect(sent[1]!.split(';\n')).toEqual([expect.stringMatching(/^INSERT INTO counters/), expect.stringMatching(/^INSERT INTO items/), 'COMMIT']);
    expect(await main.query('SELECT id FROM items WHERE id IN (10, 11) ORDER BY id')).toEqual([{ id: 10 }, { id: 11 }]);
    expect(await main.query("SELECT n FROM counters WHERE name = 'with-commit'")).toEqual([{ n: 1 }]);
  });

  it('does not commit when a statement of the commit round trip fails, and refuses statements after the commit', async () => {
    sent.length = 0;
    const failing = runPipelined(pipelined, async (manager, commit) => {
      await manager.query("INSERT INTO counters (name, n) VALUES ('not-committed', 1)");
      await settleAll<unknown>([manager.query("INSERT INTO items (id, label) VALUES (10, 'duplicate key')"), commit()]);
    });
    await expect(failing).rejects.toThrow(/Duplicate entry/);
    expect(sent[sent.length - 1]).toBe('ROLLBACK');
    expect(await main.query("SELECT n FROM counters WHERE name = 'not-committed'")).toEqual([]);

    let late: Promise<unknown> | undefined;
    await runPipelined(pipelined, async (manager, commit) => {
      await settleAll<unknown>([manager.query("INSERT INTO counters (name, n) VALUES ('committed', 1)"), commit()]);
      late = manager.query("INSERT INTO counters (name, n) VALUES ('after-commit', 1)");
      await late.catch(() => undefined);
    });
    await expect(late).rejects.toThrow(/after the transaction's COMMIT/);
    expect(await main.query("SELECT name FROM counters WHERE name IN ('committed', 'after-commit')")).toEqual([{ name: 'committed' }]);
  });

  it('keeps the main pool to one statement per query', async () => {
    await expect(main.query('SELECT 1; SELECT 2')).rejects.toThrow(/syntax/i);
  });
});
