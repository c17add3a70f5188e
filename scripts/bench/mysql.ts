/** Throwaway MariaDB/MySQL databases and the raw-INSERT baselines of the ingest benchmark. */
import { randomBytes } from 'node:crypto';
import { type Pool, type RowDataPacket, createConnection, createPool } from 'mysql2/promise';
import { type BenchReport, RAW_COLUMNS, ReportGenerator, rawRow } from './reports';
import { type PhaseResult, runConcurrently } from './stats';

/** The server URL without a database path. */
export function serverUri(url: string): string {
  const server = new URL(url);
  server.pathname = '';
  return server.toString();
}

export function databaseUri(url: string, database: string): string {
  const uri = new URL(url);
  uri.pathname = `/${database}`;
  return uri.toString();
}

export function benchDatabaseName(suffix: string): string {
  return `fd_bench_${randomBytes(4).toString('hex')}_${suffix}`;
}

export async function withConnection<T>(uri: string, work: (query: <R = RowDataPacket[]>(sql: string, params?: unknown[]) => Promise<R>) => Promise<T>): Promise<T> {
  const connection = await createConnection({ uri, timezone: 'Z', charset: 'utf8mb4' });
  try {
    return await work(async <R>(sql: string, params?: unknown[]) => (await connection.query(sql, params))[0] as R);
  } finally {
    await connection.end();
  }
}

export async function createDatabase(serverUrl: string, name: string): Promise<void> {
  await withConnection(serverUri(serverUrl), (query) => query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withConnection(serverUri(serverUrl), (query) => query(`DROP DATABASE IF EXISTS \`${name}\``));
}

export interface ServerInfo {
  version: string;
  flushLogAtTrxCommit: string;
  bufferPoolMiB: number;
}

export async function serverInfo(serverUrl: string): Promise<ServerInfo> {
  return withConnection(serverUri(serverUrl), async (query) => {
    const [row] = await query<Array<{ version: string; flush: string | number; pool: string | number }>>(
      'SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_buffer_pool_size AS pool',
    );
    return { version: row!.version, flushLogAtTrxCommit: String(row!.flush), bufferPoolMiB: Number(row!.pool) / 1024 / 1024 };
  });
}

/**
 * The `failures` table as the app's migrations built it (SHOW CREATE TABLE on the migrated
 * database), without its foreign keys: the baseline has no `services` table to point at.
 */
export async function failuresTableWithoutForeignKeys(appDatabaseUri: string): Promise<string> {
  const ddl = await withConnection(appDatabaseUri, async (query) => {
    const [row] = await query<Array<Record<string, string>>>('SHOW CREATE TABLE failures');
    return row!['Create Table']!;
  });
  const lines = ddl.split('\n').filter((line) => !/^\s*CONSTRAINT\s+\S+\s+FOREIGN KEY/i.test(line));
  // The line before the removed constraints may now end the column list with a dangling comma.
  for (let i = 1; i < lines.length; i++) {
    if (/^\s*\)/.test(lines[i]!)) lines[i - 1] = lines[i - 1]!.replace(/,\s*$/, '');
  }
  const result = lines.join('\n');
  if (/FOREIGN KEY/i.test(result)) throw new Error(`could not strip the foreign keys from:\n${ddl}`);
  return result;
}

export interface RawBaseline {
  pool: Pool;
  single(count: number, concurrency: number): Promise<PhaseResult>;
  multiRow(statements: number, rowsPerStatement: number, concurrency: number): Promise<PhaseResult>;
  count(): Promise<number>;
}

/**
 * Plain mysql2 INSERTs of the rows the service would store, into a table of the same shape:
 * what the database alone can do for the same data, the bar the service is measured against.
 */
export function rawBaseline(uri: string, connections: number, generator: ReportGenerator, serviceId: string): RawBaseline {
  const pool = createPool({ uri, connectionLimit: connections, timezone: 'Z', charset: 'utf8mb4' });
  const placeholders = `(${RAW_COLUMNS.map(() => '?').join(', ')})`;
  const insert = `INSERT INTO failures (${RAW_COLUMNS.join(', ')}) VALUES `;
  const row = (report: BenchReport, receivedAt: Date) => rawRow(report, serviceId, generator.groupIdFor(report), receivedAt);

  return {
    pool,
    async single(count, concurrency) {
      // Rows are built before the clock starts: the client should cost as little as possible.
      const receivedAt = new Date();
      const rows = Array.from({ length: count }, () => row(generator.next(), receivedAt));
      const sql = insert + placeholders;
      const { elapsedMs, latenciesMs } = await runConcurrently(count, concurrency, async (i) => {
        await pool.query(sql, rows[i]);
      });
      return { rows: count, requests: count, elapsedMs, latenciesMs };
    },
    async multiRow(statements, rowsPerStatement, concurrency) {
      const receivedAt = new Date();
      const sql = insert + Array.from({ length: rowsPerStatement }, () => placeholders).join(', ');
      const params = Array.from({ length: statements }, () => Array.from({ length: rowsPerStatement }, () => row(generator.next(), receivedAt)).flat());
      const { elapsedMs, latenciesMs } = await runConcurrently(statements, concurrency, async (i) => {
        await pool.query(sql, params[i]);
      });
      return { rows: statements * rowsPerStatement, requests: statements, elapsedMs, latenciesMs };
    },
    async count() {
      const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM failures');
      return Number(rows[0]!.n);
    },
  };
}
