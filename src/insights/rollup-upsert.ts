import type { EntityManager } from 'typeorm';
import type { Dialect } from '../platform/db';

/** Rows per statement: a few thousand parameters, under both engines' limits. */
const UPSERT_CHUNK = 200;

/**
 * Waits for statements issued side by side in one transaction (on MySQL they may then travel in
 * one round trip), then throws the first failure: none is still running when the caller's
 * transaction rolls back.
 */
export async function sideBySide(statements: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const outcomes = await Promise.allSettled(statements);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Adds rows to a rollup table: multi-row INSERTs that add their counters to the rows already
 * there (`ON DUPLICATE KEY UPDATE c = c + VALUES(c)` / `ON CONFLICT … DO UPDATE`), exact under
 * concurrency on both engines. Each row is its key columns then its counters, in the order given
 * (callers sort them, so that concurrent writers lock rows in one order). `conflictColumns` are
 * the table's primary key when the key columns hold more (a value that depends on the key).
 * Returns the statements, issued in order and not awaited, for {@link sideBySide}.
 */
export function upsertAdding(
  manager: EntityManager,
  dialect: Dialect,
  table: string,
  keyColumns: readonly string[],
  counters: readonly string[],
  rows: readonly unknown[][],
  conflictColumns: readonly string[] = keyColumns,
): Array<Promise<unknown>> {
  const placeholders = `(${[...keyColumns, ...counters].map(() => '?').join(', ')})`;
  const statements: Array<Promise<unknown>> = [];
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const chunk = rows.slice(i, i + UPSERT_CHUNK);
    statements.push(
      manager.query(
        `INSERT INTO ${table} (${[...keyColumns, ...counters].join(', ')}) VALUES ${chunk.map(() => placeholders).join(', ')}
         ${dialect.onConflictUpdate(conflictColumns)} ${counters.map((c) => `${c} = ${c} + ${dialect.inserted(c)}`).join(', ')}`,
        chunk.flat(),
      ),
    );
  }
  return statements;
}
