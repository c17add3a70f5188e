import type { SelectQueryBuilder, ObjectLiteral } from 'typeorm';

/** The two engines behind one code path. */
export type DbEngine = 'sqlite' | 'mysql';

/**
 * Every place where SQL must differ between SQLite and MySQL/MariaDB. Keep this small: when
 * a query can be written once in portable SQL, it is.
 */
export class Dialect {
  constructor(readonly engine: DbEngine) {}

  /** `INSERT IGNORE` / `INSERT OR IGNORE`: skip rows that violate a unique key. */
  insertIgnore(): string {
    return this.engine === 'mysql' ? 'INSERT IGNORE INTO' : 'INSERT OR IGNORE INTO';
  }

  /** Upsert clause start; follow with `col = expr` assignments. */
  onConflictUpdate(conflictColumns: readonly string[]): string {
    return this.engine === 'mysql' ? 'ON DUPLICATE KEY UPDATE' : `ON CONFLICT (${conflictColumns.join(', ')}) DO UPDATE SET`;
  }

  /** The value a conflicting INSERT tried to write into `column`, inside an upsert clause. */
  inserted(column: string): string {
    return this.engine === 'mysql' ? `VALUES(${column})` : `excluded.${column}`;
  }

  greatest(a: string, b: string): string {
    return this.engine === 'mysql' ? `GREATEST(${a}, ${b})` : `MAX(${a}, ${b})`;
  }

  least(a: string, b: string): string {
    return this.engine === 'mysql' ? `LEAST(${a}, ${b})` : `MIN(${a}, ${b})`;
  }

  /**
   * Row lock for a read inside a transaction. SQLite has no row locks: its transactions are
   * serialised by `withTransaction`, which is the same guarantee for one process.
   */
  forUpdate<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, skipLocked = false): SelectQueryBuilder<T> {
    if (this.engine !== 'mysql') return qb;
    qb.setLock('pessimistic_write');
    return skipLocked ? qb.setOnLocked('skip_locked') : qb;
  }

  /**
   * A join that keeps the written table order (the left table drives): for rollup queries whose
   * selective condition is a time range on the left table, which both planners may otherwise
   * start from the smaller right table.
   */
  orderedJoin(): string {
    return this.engine === 'mysql' ? 'STRAIGHT_JOIN' : 'CROSS JOIN';
  }

  /** A number as a double, so that dividing it is IEEE division (JavaScript's), not DECIMAL or integer division. */
  toDouble(expression: string): string {
    return this.engine === 'mysql' ? `CAST(${expression} AS DOUBLE)` : `CAST(${expression} AS REAL)`;
  }

  /** Integer division of two integer expressions. */
  intDiv(a: string, b: string): string {
    return this.engine === 'mysql' ? `(${a} DIV ${b})` : `(${a} / ${b})`;
  }

  /** Case-insensitive substring match on a column (MySQL's default collation already is). */
  containsIgnoreCase(column: string, param: string): string {
    return this.engine === 'mysql' ? `${column} LIKE :${param}` : `${column} LIKE :${param} ESCAPE '\\'`;
  }
}

/** Escapes LIKE wildcards so user text matches literally (backslash is the escape on both engines). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Timestamps are written as UTC `YYYY-MM-DD HH:MM:SS.mmm` on both engines: MySQL stores it in
 * DATETIME(3) (the connection runs with timezone 'Z'), SQLite keeps the text, which sorts
 * chronologically and is what TypeORM itself writes for Date columns.
 */
export function toDbTimestamp(date: Date): string {
  const year = date.getUTCFullYear();
  // Built from the UTC fields (a third of the time of toISOString and two replaces, once per
  // stored failure); other years (and an invalid date, which throws) go through toISOString.
  if (!(year >= 1000 && year <= 9999)) return date.toISOString().replace('T', ' ').replace('Z', '');
  const ms = date.getUTCMilliseconds();
  return (
    `${year}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())} ` +
    `${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`
  );
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
