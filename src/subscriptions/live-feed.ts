import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import type { Logger } from 'pino';
import type { Change, ChangeLog } from '../failures/change-log';
import { FailureEntity } from '../failures/failure.entity';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { AppMetrics } from '../platform/metrics';
import { DeliveryError, type OutboxHandler, type OutboxWorker } from '../platform/outbox';
import type { EventBus } from '../platform/pubsub';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import { type FailuresReportedEvent, type GroupsUpdatedEvent, LiveTopic, snapshotFailure, snapshotGroup } from './live-events';

export const LIVE_CHANGES_KIND = 'live.changes';

export interface LiveFeedOptions {
  dataSource: DataSource;
  registry: ServiceRegistry;
  outbox: OutboxWorker;
  bus: EventBus;
  metrics: AppMetrics;
  logger: Logger;
  /** At most one group update per group per this many milliseconds. */
  coalesceMs: number;
}

/**
 * The publishing side of the live feeds. Write transactions record their changes as outbox
 * rows (`record`); the outbox worker hands each committed row to `handle`, which publishes
 * the stored failures at once and the changed groups through the coalescer. So a rolled-back
 * report is never shown, and a committed one is published even if this process dies first.
 */
export class LiveFeed implements ChangeLog, OutboxHandler<Change> {
  readonly kind = LIVE_CHANGES_KIND;
  readonly groups: GroupUpdateCoalescer;

  constructor(private readonly options: LiveFeedOptions) {
    this.groups = new GroupUpdateCoalescer(options.coalesceMs, (ids) => this.publishGroups(ids), options.logger);
  }

  async record(manager: EntityManager, change: Change): Promise<void> {
    // A key of its own: live rows need no order between them, so they never wait for each other.
    await this.options.outbox.enqueue(manager, LIVE_CHANGES_KIND, `live:${randomUUID()}`, change);
  }

  committed(): void {
    this.options.outbox.nudge();
  }

  async handle(change: Change): Promise<void> {
    if (change.reportedFailureIds?.length) await this.publishFailures(change.reportedFailureIds);
    if (change.groupIds?.length) this.groups.touch(change.groupIds);
  }

  async stop(): Promise<void> {
    await this.groups.flush();
  }

  private async publishFailures(ids: string[]): Promise<void> {
    const failures = await this.options.dataSource.getRepository(FailureEntity).findBy({ id: In(ids) });
    if (failures.length === 0) return;
    const groups = await this.loadGroups([...new Set(failures.map((f) => f.groupId))]);
    const services = await this.loadServices(failures.map((f) => f.serviceId));
    failures.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    const event: FailuresReportedEvent = {
      failures: failures.map((f) => snapshotFailure(f, services.get(f.serviceId)!, groups.get(f.groupId)!)),
    };
    await this.publish(LiveTopic.FAILURE_REPORTED, event);
  }

  private async publishGroups(ids: string[]): Promise<void> {
    const groups = await this.loadGroups(ids);
    if (groups.size === 0) return;
    const services = await this.loadServices([...groups.values()].map((g) => g.serviceId));
    const event: GroupsUpdatedEvent = { groups: [...groups.values()].map((g) => snapshotGroup(g, services.get(g.serviceId)!)) };
    await this.publish(LiveTopic.FAILURE_GROUP_UPDATED, event);
  }

  private async publish(topic: string, event: unknown): Promise<void> {
    try {
      await this.options.bus.publish(topic, event);
      this.options.metrics.liveEventsPublished.inc({ topic });
    } catch (error) {
      throw new DeliveryError(`live event not published: ${(error as Error).message}`, true);
    }
  }

  private async loadGroups(ids: string[]): Promise<Map<string, FailureGroupEntity>> {
    const rows = await this.options.dataSource.getRepository(FailureGroupEntity).findBy({ id: In(ids) });
    return new Map(rows.map((g) => [g.id, g]));
  }

  private async loadServices(ids: string[]): Promise<Map<string, ServiceEntity>> {
    const unique = [...new Set(ids)];
    const rows = await this.options.registry.getByIds(unique);
    return new Map(rows.filter((s): s is ServiceEntity => s !== null).map((s) => [s.id, s]));
  }
}

/**
 * Collapses bursts of group changes: the first change of a quiet group is published at once,
 * later ones at most once per window, carrying the state current at publication time. A storm
 * of 10,000 failures in one group becomes a handful of events.
 */
export class GroupUpdateCoalescer {
  private readonly lastPublished = new Map<string, number>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly windowMs: number,
    private readonly publish: (groupIds: string[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  touch(groupIds: readonly string[]): void {
    const now = this.now();
    const immediate: string[] = [];
    for (const id of groupIds) {
      const last = this.lastPublished.get(id);
      if (!this.pending.has(id) && (last === undefined || now - last >= this.windowMs)) {
        immediate.push(id);
        this.lastPublished.set(id, now);
      } else {
        this.pending.add(id);
      }
    }
    if (immediate.length) this.run(immediate);
    if (this.pending.size && !this.timer) {
      this.timer = setTimeout(() => this.fire(), this.windowMs);
      this.timer.unref();
    }
  }

  /** Publishes what is pending now (used at shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.fire();
    await this.inFlight;
  }

  private fire(): void {
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    const now = this.now();
    for (const id of ids) this.lastPublished.set(id, now);
    // Forget quiet groups so the map stays as small as the set of active groups.
    for (const [id, at] of this.lastPublished) if (now - at > this.windowMs * 4) this.lastPublished.delete(id);
    if (ids.length) this.run(ids);
  }

  private run(ids: string[]): void {
    this.inFlight = this.inFlight.then(() =>
      this.publish(ids).catch((error: unknown) => {
        // Not lost: the next window publishes the then-current state of these groups.
        this.logger.debug({ err: (error as Error).message, groups: ids.length }, 'group update not published; will retry');
        for (const id of ids) this.pending.add(id);
        if (!this.timer) {
          this.timer = setTimeout(() => this.fire(), this.windowMs);
          this.timer.unref();
        }
      }),
    );
  }
}
