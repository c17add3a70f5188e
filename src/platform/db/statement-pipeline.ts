import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { QueryResult } from 'typeorm';

/** The callback API of a mysql2 connection, as far as the pipeline uses it. */
interface MysqlConnection {
  format(sql: string, values?: unknown): string;
  query(sql: string, callback: (error: Error | null, results: unknown) => void): void;
}

interface Pending {
  sql: string;
  params: unknown[] | undefined;
  structured: boolean;
  resolve?: (value: unknown) => void;
  reject?: (error: unknown) => void;
}

const START_TRANSACTION = 'START TRANSACTION';
const COMMIT = 'COMMIT';
const ROLLBACK = 'ROLLBACK';

/**
 * Runs `work` in one MySQL transaction whose statements travel in as few round trips as
 * possible. Statements issued before the event loop turns go together as one multi-statement
 * query: callers that run side by side (see {@link settleAll}) share round trips, while a caller
 * that awaits each statement still gets its own results in order. `START TRANSACTION` travels
 * with the first statement. Once a statement fails, every later one fails without being sent,
 * so nothing can run on the connection after the database rolled the transaction back.
 *
 * `work` may call `commit` right after issuing its last statements, without awaiting them:
 * `COMMIT` then travels at the end of the same round trip, so the row locks those statements
 * take are released as soon as the database has run them, not one event-loop turn and one more
 * round trip later. Every statement issued before that round trip leaves goes before the
 * COMMIT; a statement issued after it is refused (it would run outside the transaction), and
 * `work` must not fail after its commit succeeded. Without a call, the commit follows `work`.
 *
 * The data source's connections must allow multiple statements (mysql2 `multipleStatements`);
 * statements are formatted (escaped) one by one exactly as mysql2 does for a single query.
 */
export async function runPipelined<T>(dataSource: DataSource, work: (manager: EntityManager, commit: () => Promise<void>) => Promise<T>): Promise<T> {
  const queryRunner = dataSource.createQueryRunner();
  let committing: Promise<void> | undefined;
  const commit = (): Promise<void> => (committing ??= queryRunner.commitTransaction());
  try {
    pipeline(queryRunner);
    await queryRunner.startTransaction();
    try {
      const result = await work(queryRunner.manager, commit);
      await commit();
      return result;
    } catch (error) {
      committing?.catch(() => undefined);
      await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await queryRunner.release();
  }
}

/**
 * Waits for every promise, then throws the first failure: side-by-side writers of one
 * transaction must all have stopped before it is rolled back and its connection handed on.
 */
export async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}

function pipeline(queryRunner: QueryRunner): void {
  type Query = (sql: string, params?: unknown[], structured?: boolean) => Promise<unknown>;
  const send = queryRunner.query.bind(queryRunner) as Query;
  let queue: Pending[] = [];
  /** A COMMIT asked for: it goes last in the next round trip, after whatever else is issued until then. */
  let commit: Pending | undefined;
  let committed = false;
  let scheduled = false;
  let failure: unknown;

  const flush = async (): Promise<void> => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (commit) {
      batch.push(commit);
      commit = undefined;
      committed = true;
    }
    if (failure !== undefined) {
      for (const entry of batch) entry.reject?.(failure);
      return;
    }
    // A lone statement (COMMIT, ROLLBACK, a read that the next one depends on) goes the usual way.
    if (batch.length === 1 && batch[0]!.resolve) {
      const [only] = batch as [Required<Pending>];
      send(only.sql, only.params, only.structured).then(only.resolve, (error: unknown) => {
        failure = error;
        only.reject(error);
      });
      return;
    }
    try {
      const connection = (await (queryRunner as unknown as { connect(): Promise<MysqlConnection> }).connect()) as MysqlConnection;
      const sql = batch.map((entry) => connection.format(entry.sql, entry.params)).join(';\n');
      const results = await new Promise<unknown[]>((resolve, reject) =>
        connection.query(sql, (error, value) => (error ? reject(error) : resolve(batch.length === 1 ? [value] : (value as unknown[])))),
      );
      batch.forEach((entry, i) => entry.resolve?.(entry.structured ? structuredResult(results[i]) : results[i]));
    } catch (error) {
      failure = error;
      for (const entry of batch) entry.reject?.(error);
    }
  };

  const pipelined: Query = (sql, params, structured = false) => {
    // Always sent, also after a failure: the connection must not go back to the pool mid-transaction.
    if (sql === ROLLBACK) return send(sql, params, structured);
    // The transaction's first statement carries START TRANSACTION; nothing waits for it alone.
    if (sql === START_TRANSACTION && queue.length === 0) {
      queue.push({ sql, params, structured });
      return Promise.resolve(structured ? new QueryResult() : undefined);
    }
    if (committed || (commit && sql === COMMIT)) return Promise.reject(new Error(`Statement issued after the transaction's COMMIT: ${sql.slice(0, 60)}`));
    return new Promise((resolve, reject) => {
      if (sql === COMMIT) commit = { sql, params, structured, resolve, reject };
      else queue.push({ sql, params, structured, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
  };
  queryRunner.query = pipelined as QueryRunner['query'];
}

/** What TypeORM's MySQL query runner returns for `query(sql, params, true)`. */
function structuredResult(raw: unknown): QueryResult {
  const result = new QueryResult();
  result.raw = raw;
  if (Array.isArray(raw)) result.records = raw;
  if (raw && typeof raw === 'object' && 'affectedRows' in raw) result.affected = (raw as { affectedRows: number }).affectedRows;
  return result;
}
