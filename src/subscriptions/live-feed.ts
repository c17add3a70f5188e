import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import type { Logger } from 'pino';
import type { Change, ChangeLog } from '../failures/change-log';
import { FailureEntity } from '../failures/failure.entity';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { AppMetrics } from '../platform/metrics';
import { DeliveryError, type OutboxHandler, type OutboxWorker } from '../platform/outbox';
import { KeyedCoalescer } from '../platform/keyed-coalescer';
import { TickBatcher } from '../platform/tick-batcher';
import type { EventBus } from '../platform/pubsub';
import { settleAll } from '../platform/db';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import { IncidentEntity } from '../incidents/incident.entity';
import { type FailuresReportedEvent, type FailuresUpdatedEvent, type GroupsUpdatedEvent, type IncidentUpdatedEvent, LiveTopic, snapshotFailure, snapshotGroup } from './live-events';

export const LIVE_CHANGES_KIND = 'live.changes';
/** Ids per IN (…) list when reading back what a batch of rows changed. */
const READ_CHUNK = 500;

export interface LiveFeedOptions {
  dataSource: DataSource;
  registry: ServiceRegistry;
  outbox: OutboxWorker;
  bus: EventBus;
  metrics: AppMetrics;
  logger: Logger;
  /** At most one group update per group per this many milliseconds. */
  coalesceMs: number;
  /**
   * Failure events start at least this many ms apart (LIVE_FLUSH_INTERVAL_MS; default 0): the
   * first change after a quiet spell is published at once, those that follow within this time
   * go together in the next event (one read, one publish, one bus message for all of them).
   */
  batchIntervalMs?: number;
  /** Others that act on committed changes (escalation), side by side with the live events. */
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

  /** The failures of every row the outbox hands over within one batch (see batchIntervalMs): one read, one event. */
  private readonly reported: TickBatcher<string>;
  private readonly updated: TickBatcher<string>;

  constructor(private readonly options: LiveFeedOptions) {
    this.groups = new KeyedCoalescer(options.coalesceMs, (ids) => this.publishGroups(ids), options.logger);
    this.reported = new TickBatcher((ids) => this.publishFailures(LiveTopic.FAILURE_REPORTED, ids), options.batchIntervalMs);
    this.updated = new TickBatcher((ids) => this.publishFailures(LiveTopic.FAILURE_UPDATED, ids), options.batchIntervalMs);
  }

  async record(manager: EntityManager, change: Change): Promise<void> {
    // Live rows need no order between them: each is handed over the moment its transaction commits.
    await this.options.outbox.enqueueUnordered(manager, LIVE_CHANGES_KIND, change);
  }

  committed(): void {
    this.options.outbox.committed();
  }

  async handle(change: Change): Promise<void> {
    // Followers (an escalation evaluation: a transaction of its own) do not hold the live events
    // back; the row is done once both are, so a crash before then still repeats both.
    await settleAll([...(this.options.followers ?? []).map((follow) => follow(change)), this.publishChange(change)]);
  }

  private async publishChange(change: Change): Promise<void> {
    // Rows handled together are published together; a failed publish fails (and reschedules) each of them.
    if (change.reportedFailureIds?.length) await this.reported.add(change.reportedFailureIds);
    if (change.updatedFailureIds?.length) await this.updated.add(change.updatedFailureIds);
    if (change.groupIds?.length) void this.groups.touch(change.groupIds);
    if (change.incidentIds?.length) await this.publishIncidents(change.incidentIds);
  }

  async stop(): Promise<void> {
    await this.groups.flush();
  }

  /**
   * Both failure topics carry the same event: the failures as stored now, with their service
   * and group, in the order given (an id given twice appears twice).
   */
  private async publishFailures(topic: typeof LiveTopic.FAILURE_REPORTED | typeof LiveTopic.FAILURE_UPDATED, ids: string[]): Promise<void> {
    if (!this.options.bus.mayHaveListeners(topic)) return;
    const unique = [...new Set(ids)];
    const rows: FailureEntity[] = [];
    for (let i = 0; i < unique.length; i += READ_CHUNK) {
      rows.push(...(await this.options.dataSource.getRepository(FailureEntity).findBy({ id: In(unique.slice(i, i + READ_CHUNK)) })));
    }
    if (rows.length === 0) return;
    const groups = await this.loadGroups([...new Set(rows.map((f) => f.groupId))]);
    const services = await this.loadServices(rows.map((f) => f.serviceId));
    const byId = new Map(rows.map((f) => [f.id, snapshotFailure(f, services.get(f.serviceId)!, groups.get(f.groupId)!)]));
    const event: FailuresReportedEvent | FailuresUpdatedEvent = { failures: ids.flatMap((id) => byId.get(id) ?? []) };
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

