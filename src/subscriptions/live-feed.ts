import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import type { Logger } from 'pino';
import type { Change, ChangeLog } from '../failures/change-log';
import { FailureEntity } from '../failures/failure.entity';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { AppMetrics } from '../platform/metrics';
import { DeliveryError, type OutboxHandler, type OutboxWorker } from '../platform/outbox';
import { KeyedCoalescer } from '../platform/keyed-coalescer';
import type { EventBus } from '../platform/pubsub';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import { IncidentEntity } from '../incidents/incident.entity';
import { type FailuresReportedEvent, type FailuresUpdatedEvent, type GroupsUpdatedEvent, type IncidentUpdatedEvent, LiveTopic, snapshotFailure, snapshotGroup } from './live-events';

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
  /** Others that act on committed changes (escalation), before the live events go out. */
  followers?: Array<(change: Change) => Promise<void>>;
}

/**
 * The publishing side of the live feeds. Write transactions record their changes as outbox
 * rows (`record`); the outbox worker hands each committed row to `handle`, which publishes
 * the stored failures at once and the changed groups through the coalescer. So a rolled-back
 * report is never shown, and a committed one is published even if this process dies first.
 */
export class LiveFeed implements ChangeLog, OutboxHandler<Change> {
  readonly kind = LIVE_CHANGES_KIND;
  readonly groups: KeyedCoalescer;

  constructor(private readonly options: LiveFeedOptions) {
    this.groups = new KeyedCoalescer(options.coalesceMs, (ids) => this.publishGroups(ids), options.logger);
  }

  async record(manager: EntityManager, change: Change): Promise<void> {
    // A key of its own: live rows need no order between them, so they never wait for each other.
    await this.options.outbox.enqueue(manager, LIVE_CHANGES_KIND, `live:${randomUUID()}`, change);
  }

  committed(): void {
    this.options.outbox.nudge();
  }

  async handle(change: Change): Promise<void> {
    for (const follow of this.options.followers ?? []) await follow(change);
    if (change.reportedFailureIds?.length) await this.publishFailures(LiveTopic.FAILURE_REPORTED, change.reportedFailureIds);
    if (change.updatedFailureIds?.length) await this.publishFailures(LiveTopic.FAILURE_UPDATED, change.updatedFailureIds);
    if (change.groupIds?.length) void this.groups.touch(change.groupIds);
    if (change.incidentIds?.length) await this.publishIncidents(change.incidentIds);
  }

  async stop(): Promise<void> {
    await this.groups.flush();
  }

  /** Both failure topics carry the same event: the failures as stored now, with their service and group. */
  private async publishFailures(topic: typeof LiveTopic.FAILURE_REPORTED | typeof LiveTopic.FAILURE_UPDATED, ids: string[]): Promise<void> {
    if (!this.options.bus.mayHaveListeners(topic)) return;
    const failures = await this.options.dataSource.getRepository(FailureEntity).findBy({ id: In(ids) });
    if (failures.length === 0) return;
    const groups = await this.loadGroups([...new Set(failures.map((f) => f.groupId))]);
    const services = await this.loadServices(failures.map((f) => f.serviceId));
    const order = new Map(ids.map((id, i) => [id, i]));
    failures.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const event: FailuresReportedEvent | FailuresUpdatedEvent = {
      failures: failures.map((f) => snapshotFailure(f, services.get(f.serviceId)!, groups.get(f.groupId)!)),
    };
    await this.publish(topic, event);
  }

  private async publishIncidents(ids: string[]): Promise<void> {
    if (!this.options.bus.mayHaveListeners(LiveTopic.INCIDENT_UPDATED)) return;
    const rows = await this.options.dataSource.getRepository(IncidentEntity).findBy({ id: In(ids) });
    for (const incident of rows) {
      const event: IncidentUpdatedEvent = {
        incidentId: incident.id,
        groupId: incident.groupId,
        serviceId: incident.serviceId,
        status: incident.status,
        severity: incident.severity,
        deliveryError: incident.deliveryError,
        at: incident.updatedAt.toISOString(),
      };
      await this.publish(LiveTopic.INCIDENT_UPDATED, event);
    }
  }

  private async publishGroups(ids: string[]): Promise<void> {
    if (!this.options.bus.mayHaveListeners(LiveTopic.FAILURE_GROUP_UPDATED)) return;
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

