import fs from 'node:fs';
import path from 'node:path';
import { format as mysqlFormat } from 'mysql2';
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import type { DatabaseConfig } from '../../config';
import { mysqlMigrations } from './migrations/mysql';
import { sqliteMigrations } from './migrations/sqlite';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

/**
 * The DataSource for either engine, with the engine's own migrations. `synchronize` is never
 * on: the schema is exactly what the migrations build, on both engines.
 */
export function dataSourceOptions(database: DatabaseConfig, entities: Entities): DataSourceOptions {
  if (database.type === 'mysql') {
    return {
      type: 'mysql',
      url: database.url,
      timezone: 'Z',
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: false,
      poolSize: 20,
      // mysql2 captures a stack trace per query by default; it costs CPU on every statement.
      extra: { trace: false },
      multipleStatements: false,
      entities,
      migrations: mysqlMigrations,
      migrationsTableName: 'migrations',
      synchronize: false,
      logging: false,
    };
  }
  if (database.path !== ':memory:') fs.mkdirSync(path.dirname(database.path), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: database.path,
    enableWAL: database.path !== ':memory:',
    timeout: 5_000, // ms to wait for another process's write lock
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
    entities,
    migrations: sqliteMigrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
  };
}

export function createDataSource(database: DatabaseConfig, entities: Entities): DataSource {
  return new DataSource(dataSourceOptions(database, entities));
}

/**
 * MySQL only: a small second pool whose connections accept several statements per query, for
 * transactions that send their statements in few round trips (see runPipelined). Only the
 * pipelined write path uses it; every other query keeps to the main pool, where a statement
 * can never carry a second one. No migrations: the main data source runs them.
 */
export function createPipelineDataSource(database: Extract<DatabaseConfig, { type: 'mysql' }>, entities: Entities, poolSize: number): DataSource {
  const options = dataSourceOptions(database, entities) as DataSourceOptions & { extra?: Record<string, unknown> };
  return new DataSource({ ...options, extra: { ...options.extra, queryFormat: formatOnce }, poolSize, multipleStatements: true, migrations: [] } as DataSourceOptions);
}

/**
 * mysql2's own formatting, except that SQL without values is sent as it is. mysql2 formats every
 * query, also one without values: the pipeline's multi-statement query, already formatted
 * statement by statement, would be scanned again for placeholders, character by character
 * through every escaped string it holds (hundreds of kilobytes for a batch of failures).
 * Without values that scan can only give back the same text.
 */
function formatOnce(this: { config: { stringifyObjects?: boolean } }, sql: string, values: unknown, timezone: string): string {
  if (values === undefined || values === null || (Array.isArray(values) && values.length === 0)) return sql;
  return mysqlFormat(sql, values as Parameters<typeof mysqlFormat>[1], this.config.stringifyObjects, timezone);
}
