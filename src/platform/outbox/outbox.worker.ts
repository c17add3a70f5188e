import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { type Dialect, toDbTimestamp, type TransactionRunner } from '../db';
import { backoffDelayMs } from './backoff';
import { OutboxEntity } from './outbox.entity';
import { DeliveryError } from './outbox.errors';

/** Performs one kind of outbox row. `handle` may run more than once for a row (at-least-once). */
export interface OutboxHandler<P = unknown> {
  readonly kind: string;
  handle(payload: P, attempt: number): Promise<void>;
  /** Called once, in a transaction, when the row is given up on. */
  onDead?(payload: P, error: Error, manager: EntityManager): Promise<void>;
}

export interface OutboxMetrics {
  delivered(kind: string): void;
  failed(kind: string, permanent: boolean): void;
}

export interface OutboxOptions {
  dataSource: DataSource;
  dialect: Dialect;
  transactions: TransactionRunner;
  logger: Logger;
  pollIntervalMs: number;
  maxAttempts: number;
  /** How long a claimed row stays invisible to other workers, in ms; longer than any delivery. */
  leaseMs?: number;
  /** Rows claimed at a time, of kinds not in `bulkKinds` (their deliveries run at once). */
  batchSize?: number;
  /**
   * Kinds whose handlers are cheap and batch their own work (live events: one read and one
   * publish for all rows of a claim): claimed apart from the others, up to `bulkBatchSize` at a
   * time, so a backlog of them clears in one cycle instead of twenty rows per turn of the loop.
   */
  bulkKinds?: readonly string[];
  bulkBatchSize?: number;
  metrics?: OutboxMetrics;
  now?: () => Date;
  random?: () => number;
}

const DEFAULT_LEASE_MS = 60_000; // 1 minute
const DEFAULT_BATCH_SIZE = 20;
const DEFAULT_BULK_BATCH_SIZE = 200;
/** Ordering keys per `UPDATE … WHERE ordering_key IN (…)` when marking handed-over rows done. */
const DONE_CHUNK = 500;
/**
 * Handed-over rows are marked DONE this long after the first of them was delivered, all
 * together: one write a few times a second instead of one per commit (on SQLite each is a turn
 * in the one write queue). A crash in between only repeats them once their lease runs out.
 */
const DONE_MARK_DELAY_MS = 200;

/** A row this process wrote and delivers itself once its transaction committed. */
interface HandedOver {
  kind: string;
  key: string;
  payload: string;
}

/**
 * Transactional outbox: rows are written with the state change that causes them and delivered
 * afterwards by this worker. Several instances share one table: on MySQL each claim is
 * `SELECT … FOR UPDATE SKIP LOCKED` plus a lease, so two workers never hold one row at once.
 * Rows with one ordering key are delivered one at a time, oldest first.
 */
export class OutboxWorker {
  private readonly handlers = new Map<string, OutboxHandler<never>>();
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly bulkKinds: readonly string[];
  private readonly bulkBatchSize: number;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private pollAgain = false;
  /** The last claim hit a limit: more rows may be waiting. */
  private claimedFull = false;
  /** A row was enqueued in a transaction whose commit the worker is not told of (see `committed`). */
  private untracked = false;
  /** Handed-over deliveries in flight, and keys of delivered ones still to mark DONE. */
  private readonly handing = new Set<Promise<void>>();
  private doneKeys: string[] = [];
  /** Keys of rows handed over and not yet marked DONE: the poller leaves them to the hand-over. */
  private readonly ownKeys = new Set<string>();
  private doneTimer: NodeJS.Timeout | undefined;
  private doneWrite: Promise<void> | undefined;

  constructor(private readonly options: OutboxOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.bulkKinds = options.bulkKinds ?? [];
    this.bulkBatchSize = options.bulkBatchSize ?? DEFAULT_BULK_BATCH_SIZE;
    this.now = options.now ?? (() => new Date());
  }

  register<P>(handler: OutboxHandler<P>): void {
    this.handlers.set(handler.kind, handler as OutboxHandler<never>);
  }

  /**
   * Adds a row inside the caller's transaction; it is delivered only if that transaction commits.
   * In a transaction of the runner, its commit asks for a poll at once.
   */
  async enqueue(manager: EntityManager, kind: string, orderingKey: string, payload: unknown, availableAt?: Date): Promise<void> {
    if (!this.handlers.has(kind)) throw new Error(`No outbox handler registered for "${kind}"`);
    const now = this.now();
    if (!this.options.transactions.afterCommit(manager, () => this.nudge())) this.untracked = true;
    await manager.query(
      'INSERT INTO outbox (kind, ordering_key, payload, status, attempts, available_at, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)',
      [kind, orderingKey, JSON.stringify(payload), 'PENDING', toDbTimestamp(availableAt ?? now), toDbTimestamp(now), toDbTimestamp(now)],
    );
  }

  /**
   * Adds a row that needs no order relative to any other (a key of its own), inside the caller's
   * transaction. While the worker runs and the transaction is the runner's, the row is written
   * already leased to this process and handed to its handler the moment the transaction commits,
   * with no poll and no claim in between; it is marked DONE afterwards. If this process dies
   * first, the lease runs out and any worker delivers it as usual; if the delivery fails, the
   * lease is given up and the poller retries it with backoff. Otherwise it is an ordinary row.
   */
  async enqueueUnordered(manager: EntityManager, kind: string, payload: unknown): Promise<void> {
    if (!this.handlers.has(kind)) throw new Error(`No outbox handler registered for "${kind}"`);
    const now = this.now();
    const row: HandedOver = { kind, key: `${kind}:${randomUUID()}`, payload: JSON.stringify(payload) };
    const handedOver = this.started && this.options.transactions.afterCommit(manager, () => this.handOver(row));
    if (!handedOver && !this.options.transactions.afterCommit(manager, () => this.nudge())) this.untracked = true;
    await manager.query(
      'INSERT INTO outbox (kind, ordering_key, payload, status, attempts, available_at, locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)',
      [kind, row.key, row.payload, 'PENDING', toDbTimestamp(now), handedOver ? toDbTimestamp(new Date(now.getTime() + this.leaseMs)) : null, toDbTimestamp(now), toDbTimestamp(now)],
    );
  }

  /**
   * A caller's transaction that enqueued rows committed. Only rows enqueued outside the runner's
   * transactions need this (the runner tells the worker of its own commits): then it polls now.
   */
  committed(): void {
    if (!this.untracked) return;
    this.untracked = false;
    this.nudge();
  }

  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** Asks for a poll now (after a commit that enqueued rows) instead of at the next interval. */
  nudge(): void {
    if (!this.started) return;
    if (this.running) this.pollAgain = true;
    else this.schedule(0);
  }

  /** Stops polling and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.handing);
    clearTimeout(this.doneTimer);
    this.doneTimer = undefined;
    await this.doneWrite;
    if (this.doneKeys.length > 0) await (this.doneWrite = this.writeDone());
  }

  /** Makes every pending row of these kinds due now (after the outage that delayed them ended). */
  async makeDue(kinds: readonly string[]): Promise<void> {
    if (kinds.length === 0) return;
    await this.write(`UPDATE outbox SET available_at = ? WHERE status = 'PENDING' AND kind IN (${kinds.map(() => '?').join(', ')})`, [toDbTimestamp(this.now()), ...kinds]);
  }

  /** Deletes delivered rows older than `olderThanMs`, a bounded batch at a time (no long locks). */
  async purgeDone(olderThanMs: number, batch = 1_000): Promise<number> {
    const cutoff = toDbTimestamp(new Date(this.now().getTime() - olderThanMs));
    let purged = 0;
    for (;;) {
      const rows: Array<{ id: number }> = await this.options.dataSource.query("SELECT id FROM outbox WHERE status = 'DONE' AND updated_at < ? ORDER BY id LIMIT ?", [cutoff, batch]);
      if (rows.length === 0) return purged;
      await this.write(`DELETE FROM outbox WHERE id IN (${rows.map(() => '?').join(', ')})`, rows.map((r) => r.id));
      purged += rows.length;
      if (rows.length < batch) return purged;
    }
  }

  /** Rows still to deliver (PENDING). */
  async depth(): Promise<number> {
    const rows: Array<{ n: number | string }> = await this.options.dataSource.query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'PENDING'");
    return Number(rows[0]?.n ?? 0);
  }

  /** Claims and delivers one batch; returns how many rows it delivered or rescheduled. */
  async runOnce(): Promise<number> {
    // A row this process is still handing over may be claimable already (its lease ran out on a
    // clock that jumped, or a slow delivery): it is not delivered twice from here.
    const rows = (await this.claim()).filter((row) => !this.ownKeys.has(row.orderingKey));
    const delivered = (await Promise.all(rows.map(async (row) => ((await this.deliver(row)) ? row : undefined)))).filter((r) => r !== undefined);
    if (delivered.length > 0) {
      // One statement for the whole batch: a crash before it only means these are delivered again.
      await this.write(`UPDATE outbox SET status = 'DONE', attempts = attempts + 1, locked_until = NULL, last_error = NULL, updated_at = ? WHERE id IN (${delivered.map(() => '?').join(', ')})`, [
        toDbTimestamp(this.now()),
        ...delivered.map((r) => r.id),
      ]);
      for (const row of delivered) this.options.metrics?.delivered(row.kind);
    }
    return rows.length;
  }

  /** Delivers a committed row handed over by its transaction (see enqueueUnordered). */
  private handOver(row: HandedOver): void {
    const handler = this.handlers.get(row.kind)!;
    this.ownKeys.add(row.key);
    const delivery = (async () => {
      try {
        await handler.handle(JSON.parse(row.payload) as never, 1);
      } catch (error) {
        this.ownKeys.delete(row.key);
        // The poller takes it from here: retries with backoff, counts attempts, gives up.
        this.options.logger.debug({ kind: row.kind, err: (error as Error).message }, 'handed-over outbox delivery failed; released to the poller');
        await this.write("UPDATE outbox SET locked_until = NULL, updated_at = ? WHERE ordering_key = ? AND status = 'PENDING'", [toDbTimestamp(this.now()), row.key]).catch(
          (release: unknown) => this.options.logger.warn({ err: release, kind: row.kind }, 'outbox lease not released; the row waits out its lease'),
        );
        this.nudge();
        return;
      }
      this.options.metrics?.delivered(row.kind);
      this.doneKeys.push(row.key);
      if (!this.doneTimer && !this.doneWrite) {
        this.doneTimer = setTimeout(() => {
          this.doneTimer = undefined;
          this.doneWrite = this.writeDone();
        }, DONE_MARK_DELAY_MS);
      }
    })();
    this.handing.add(delivery);
    void delivery.finally(() => this.handing.delete(delivery));
  }

  /** Marks handed-over rows DONE, all that gathered meanwhile in one statement (per chunk); keys added during the write go too. */
  private async writeDone(): Promise<void> {
    while (this.doneKeys.length > 0) {
      const keys = this.doneKeys.splice(0, DONE_CHUNK);
      try {
        await this.write(
          `UPDATE outbox SET status = 'DONE', attempts = attempts + 1, locked_until = NULL, last_error = NULL, updated_at = ? WHERE ordering_key IN (${keys.map(() => '?').join(', ')})`,
          [toDbTimestamp(this.now()), ...keys],
        );
      } catch (error) {
        // Delivered but still PENDING: once the lease runs out they are delivered again (at least once).
        this.options.logger.warn({ err: error, rows: keys.length }, 'handed-over outbox rows not marked done');
      }
      for (const key of keys) this.ownKeys.delete(key);
    }
    this.doneWrite = undefined;
  }

  /** Single-statement writes go through the runner: on SQLite that keeps them out of another caller's open transaction. */
  private write(sql: string, params: unknown[]): Promise<unknown> {
    return this.options.transactions.statement(sql, params);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delayMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (!this.started || this.running) return;
    this.claimedFull = false;
    this.running = (async () => {
      try {
        await this.runOnce();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'outbox poll failed');
      }
    })();
    await this.running;
    this.running = undefined;
    if (!this.started) return;
    const again = this.pollAgain || this.claimedFull;
    this.pollAgain = false;
    this.schedule(again ? 0 : this.options.pollIntervalMs);
  }

  private claim(): Promise<OutboxEntity[]> {
    return this.options.transactions.run(async (manager) => {
      const now = this.now();
      const select = async (kinds: 'bulk' | 'other' | 'all', limit: number): Promise<OutboxEntity[]> => {
        const qb = manager
          .getRepository(OutboxEntity)
          .createQueryBuilder('o')
          .where("o.status = 'PENDING'")
          .andWhere('o.available_at <= :now', { now: toDbTimestamp(now) })
          .andWhere('(o.locked_until IS NULL OR o.locked_until < :now)')
          .andWhere("NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.status = 'PENDING' AND p.id < o.id)");
        if (kinds === 'bulk') qb.andWhere('o.kind IN (:...bulkKinds)', { bulkKinds: this.bulkKinds });
        if (kinds === 'other') qb.andWhere('o.kind NOT IN (:...bulkKinds)', { bulkKinds: this.bulkKinds });
        const rows = await this.options.dialect.forUpdate(qb.orderBy('o.id', 'ASC').limit(limit), true).getMany();
        if (rows.length === limit) this.claimedFull = true;
        return rows;
      };
      const rows = this.bulkKinds.length ? [...(await select('bulk', this.bulkBatchSize)), ...(await select('other', this.batchSize))] : await select('all', this.batchSize);
      if (rows.length === 0) return rows;
      const lockedUntil = new Date(now.getTime() + this.leaseMs);
      await manager.query(`UPDATE outbox SET locked_until = ?, updated_at = ? WHERE id IN (${rows.map(() => '?').join(', ')})`, [
        toDbTimestamp(lockedUntil),
        toDbTimestamp(now),
        ...rows.map((r) => r.id),
      ]);
      return rows;
    });
  }

  /** True when delivered; failures are recorded here (rescheduled or given up). */
  private async deliver(row: OutboxEntity): Promise<boolean> {
    const handler = this.handlers.get(row.kind);
    const attempt = row.attempts + 1;
    const payload = JSON.parse(row.payload) as never;
    try {
      if (!handler) throw new DeliveryError(`No handler for outbox kind "${row.kind}"`, false);
      await handler.handle(payload, attempt);
      return true;
    } catch (raw) {
      const error = raw instanceof Error ? raw : new Error(String(raw));
      if (error instanceof DeliveryError && error.deferOnly) {
        await this.write('UPDATE outbox SET available_at = ?, locked_until = NULL, updated_at = ? WHERE id = ?', [
          toDbTimestamp(new Date(this.now().getTime() + (error.retryAfterMs ?? 1_000))),
          toDbTimestamp(this.now()),
          row.id,
        ]);
        return false;
      }
      const retryable = !(error instanceof DeliveryError) || error.retryable;
      const permanent = !retryable || attempt >= this.options.maxAttempts;
      this.options.metrics?.failed(row.kind, permanent);
      this.options.logger.warn({ outboxId: row.id, kind: row.kind, attempt, permanent, error: error.message }, 'outbox delivery failed');
      if (permanent) {
        await this.options.transactions.run(async (manager) => {
          await manager.query("UPDATE outbox SET status = 'DEAD', attempts = ?, locked_until = NULL, last_error = ?, updated_at = ? WHERE id = ?", [
            attempt,
            error.message.slice(0, 2000),
            toDbTimestamp(this.now()),
            row.id,
          ]);
          await handler?.onDead?.(payload, error, manager);
        });
        return false;
      }
      const delay = Math.max(backoffDelayMs(attempt, this.options.random), error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0);
      await this.write('UPDATE outbox SET attempts = ?, available_at = ?, locked_until = NULL, last_error = ?, updated_at = ? WHERE id = ?', [
        attempt,
        toDbTimestamp(new Date(this.now().getTime() + delay)),
        error.message.slice(0, 2000),
        toDbTimestamp(this.now()),
        row.id,
      ]);
      return false;
    }
  }
}
