import type { DataSource, EntityManager } from 'typeorm';
import type { Dialect } from './dialect';
import { runPipelined } from './statement-pipeline';

/** MySQL/MariaDB errors after which the whole transaction may simply run again. */
const RETRYABLE_MYSQL_ERRNOS = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);
const MAX_TRANSACTION_ATTEMPTS = 5;

/**
 * Runs `work` in one transaction and returns its result.
 *
 * - SQLite: better-sqlite3 is one connection, so transactions are queued one after another
 *   (interleaving two on one connection would merge them).
 * - MySQL: a deadlock or lock-wait timeout rolls the transaction back; it is retried with a
 *   short randomised pause, so `work` must be safe to run again (it only touches the database).
 */
export class TransactionRunner {
  private tail: Promise<unknown> = Promise.resolve();
  /** The after-commit hooks of each transaction open through this runner, by its manager. */
  private readonly hooks = new WeakMap<EntityManager, Array<() => void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: Dialect,
    /** MySQL: the pool for {@link runPipelined} (see createPipelineDataSource); without it, run() is used. */
    private readonly pipelineSource?: DataSource,
  ) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect.engine === 'sqlite') {
      const result = this.tail.then(() => this.withHooks((tracked) => this.dataSource.transaction(tracked), work));
      this.tail = result.catch(() => undefined);
      return result;
    }
    return this.withDeadlockRetry(() => this.withHooks((tracked) => this.dataSource.transaction(tracked), work));
  }

  /**
   * Runs `hook` once the transaction that `manager` belongs to has committed (never if it rolls
   * back; a retried attempt starts with none). Returns false, registering nothing, when
   * `manager` is not a transaction this runner has open: the caller must then learn of the
   * commit some other way. Hooks must not throw (the commit has happened whatever they do).
   */
  afterCommit(manager: EntityManager, hook: () => void): boolean {
    const hooks = this.hooks.get(manager);
    if (!hooks) return false;
    hooks.push(hook);
    return true;
  }

  /**
   * Like {@link run}, for a transaction whose statements may travel together: on MySQL, the
   * statements that `work` issues side by side go in one round trip (see runPipelined), and
   * deadlocks are retried the same way. `commit`, called right after the last statements are
   * issued, sends COMMIT with them (see runPipelined); elsewhere the commit follows `work` as usual.
   */
  runPipelined<T>(work: (manager: EntityManager, commit: () => Promise<void>) => Promise<T>): Promise<T> {
    const pipelineSource = this.pipelineSource;
    if (this.dialect.engine === 'sqlite' || !pipelineSource) return this.run((manager) => work(manager, commitAtTheEnd));
    return this.withDeadlockRetry(() => this.withHooks((tracked) => runPipelined(pipelineSource, tracked), work));
  }

  /**
   * Runs one statement as a transaction of its own. On MySQL that is the statement alone in
   * autocommit (one round trip instead of three), retried like a transaction; on SQLite it waits
   * its turn in the queue, so it never lands inside another caller's open transaction.
   */
  statement<T = unknown>(sql: string, params: unknown[]): Promise<T> {
    if (this.dialect.engine === 'sqlite') return this.run((manager) => manager.query(sql, params));
    return this.withDeadlockRetry(() => this.dataSource.query(sql, params));
  }

  /** One attempt of a transaction: `open` runs `tracked` inside it; hooks run after it committed. */
  private async withHooks<T, A extends unknown[]>(
    open: (tracked: (manager: EntityManager, ...rest: A) => Promise<T>) => Promise<T>,
    work: (manager: EntityManager, ...rest: A) => Promise<T>,
  ): Promise<T> {
    const hooks: Array<() => void> = [];
    let opened: EntityManager | undefined;
    let result: T;
    try {
      result = await open((manager, ...rest) => {
        opened = manager;
        this.hooks.set(manager, hooks);
        return work(manager, ...rest);
      });
    } finally {
      // SQLite hands every transaction the same manager: forget it before the next one opens.
      if (opened && this.hooks.get(opened) === hooks) this.hooks.delete(opened);
    }
    for (const hook of hooks) hook();
    return result;
  }

  private async withDeadlockRetry<T>(attemptOnce: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce();
      } catch (error) {
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isRetryableMysqlError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }
}

/** Without a pipeline the transaction commits when `work` returns. */
const commitAtTheEnd = (): Promise<void> => Promise.resolve();

function isRetryableMysqlError(error: unknown): boolean {
  const errno = (error as { errno?: number; driverError?: { errno?: number } })?.driverError?.errno ?? (error as { errno?: number })?.errno;
  return errno !== undefined && RETRYABLE_MYSQL_ERRNOS.has(errno);
}
