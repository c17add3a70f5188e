import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditLog, type ChangeLog } from '../failures';
import type { Severity } from '../failures/failure.entity';
import type { FailureGroupEntity } from '../grouping/failure-group.entity';
import { type Dialect, toDbTimestamp, type TransactionRunner } from '../platform/db';
import { NotFoundError } from '../platform/errors';
import { decodeCursor, encodeCursor, pageSize } from '../platform/graphql/pagination';
import type { OutboxWorker } from '../platform/outbox';
import type { ServiceRegistry } from '../registry';
import { type DeliveryAction, IncidentDeliveryEntity, type DeliveryStatus } from './incident-delivery.entity';
import { IncidentEntity } from './incident.entity';
import { IncidentStatus, assertIncidentTransition, canTransitionIncident } from './incident.state';
import type { IncidentFilter } from './incident.types';

export const ESCALATION_DELIVERY_KIND = 'escalation.deliver';

/** One provider call to make for an incident (an outbox row; delivered in order per incident). */
export interface DeliveryRequest {
  incidentId: string;
  action: DeliveryAction;
}

export interface OpenIncidentInput {
  group: FailureGroupEntity;
  policyId: string;
  provider: string;
  severity: Severity;
  rankScore: number;
  rankReasons: string[];
  /** Seconds to wait before the first page (the policy's group wait; 0 for CRITICAL). */
  delaySeconds: number;
  why: string;
}

export interface IncidentServiceOptions {
  dataSource: DataSource;
  dialect: Dialect;
  transactions: TransactionRunner;
  outbox: OutboxWorker;
  changes: ChangeLog;
  registry: ServiceRegistry;
  maxPageSize: number;
  now?: () => Date;
}

/** How a state change reached us: an operator here, or the pager (which needs no call back). */
export interface ChangeOrigin {
  actor: string;
  note?: string | null;
  /** True when the provider already knows (inbound webhook): nothing is sent to it. */
  fromProvider?: boolean;
}

/**
 * The incident lifecycle: open, re-notify, acknowledge, resolve. Every change is one
 * transaction holding the state change, its audit entry, the provider call as an outbox row
 * and the live event, so a page is never lost and never sent for a change that rolled back.
 */
export class IncidentService {
  private readonly now: () => Date;
  private readonly audit = new AuditLog();

  constructor(private readonly options: IncidentServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async open(manager: EntityManager, input: OpenIncidentInput): Promise<IncidentEntity> {
    const now = this.now();
    const id = randomUUID();
    const incident = Object.assign(new IncidentEntity(), {
      id,
      groupId: input.group.id,
      openGroupId: input.group.id,
      serviceId: input.group.serviceId,
      status: IncidentStatus.TRIGGERED,
      severity: input.severity,
      rankScore: input.rankScore,
      rankReasonsJson: JSON.stringify(input.rankReasons),
      provider: input.provider,
      policyId: input.policyId,
      externalKey: `failure-desk-${id}`,
      failureCount: input.group.count,
      lastNotifiedAt: null,
      notifiedCount: 0,
      deliveryError: null,
      triggeredAt: now,
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      updatedAt: now,
    } satisfies IncidentEntity);
    await manager.getRepository(IncidentEntity).insert(incident);
    await this.audit.record(manager, { subjectType: 'INCIDENT', subjectId: id, action: 'TRIGGERED', actor: 'failure-desk', note: input.why, at: now });
    await this.enqueue(manager, id, 'TRIGGER', input.delaySeconds);
    await this.options.changes.record(manager, { incidentIds: [id] });
    return incident;
  }

  /** Pages again for an open incident (repeat interval), with the current counts and rank. */
  async renotify(manager: EntityManager, incident: IncidentEntity, group: FailureGroupEntity, rank: { score: number; severity: Severity; reasons: string[] }, why: string): Promise<void> {
    const now = this.now();
    await manager.query('UPDATE incidents SET failure_count = ?, rank_score = ?, severity = ?, rank_reasons = ?, last_notified_at = ?, updated_at = ? WHERE id = ?', [
      group.count,
      rank.score,
      rank.severity,
      JSON.stringify(rank.reasons),
      toDbTimestamp(now),
      toDbTimestamp(now),
      incident.id,
    ]);
    await this.audit.record(manager, { subjectType: 'INCIDENT', subjectId: incident.id, action: 'RENOTIFIED', actor: 'failure-desk', note: why, at: now });
    await this.enqueue(manager, incident.id, 'TRIGGER', 0);
  }

  /** Keeps an open incident's counts and rank in step with its group, without paging. */
  async refresh(manager: EntityManager, incident: IncidentEntity, group: FailureGroupEntity, rank: { score: number; severity: Severity; reasons: string[] }): Promise<void> {
    await manager.query('UPDATE incidents SET failure_count = ?, rank_score = ?, severity = ?, rank_reasons = ?, updated_at = ? WHERE id = ?', [
      group.count,
      rank.score,
      rank.severity,
      JSON.stringify(rank.reasons),
      toDbTimestamp(this.now()),
      incident.id,
    ]);
  }

  acknowledge(id: string, origin: ChangeOrigin): Promise<IncidentEntity> {
    return this.change(id, IncidentStatus.ACKNOWLEDGED, origin);
  }

  resolve(id: string, origin: ChangeOrigin): Promise<IncidentEntity> {
    return this.change(id, IncidentStatus.RESOLVED, origin);
  }

  /** Moves a locked incident inside the caller's transaction. Returns false when it already is there. */
  async moveLocked(manager: EntityManager, incident: IncidentEntity, to: IncidentStatus, origin: ChangeOrigin): Promise<boolean> {
    if (incident.status === to) return false;
    assertIncidentTransition(incident.id, incident.status, to);
    const now = this.now();
    incident.status = to;
    incident.updatedAt = now;
    if (to === IncidentStatus.ACKNOWLEDGED) Object.assign(incident, { acknowledgedAt: now, acknowledgedBy: origin.actor });
    if (to === IncidentStatus.RESOLVED) Object.assign(incident, { resolvedAt: now, resolvedBy: origin.actor, openGroupId: null });
    await manager.query(
      'UPDATE incidents SET status = ?, open_group_id = ?, acknowledged_at = ?, acknowledged_by = ?, resolved_at = ?, resolved_by = ?, updated_at = ? WHERE id = ?',
      [
        incident.status,
        incident.openGroupId,
        incident.acknowledgedAt ? toDbTimestamp(incident.acknowledgedAt) : null,
        incident.acknowledgedBy,
        incident.resolvedAt ? toDbTimestamp(incident.resolvedAt) : null,
        incident.resolvedBy,
        toDbTimestamp(now),
        incident.id,
      ],
    );
    await this.audit.record(manager, { subjectType: 'INCIDENT', subjectId: incident.id, action: to, actor: origin.actor, note: origin.note ?? null, at: now });
    // Tell the pager only what it does not know yet, and only about alerts it has.
    if (!origin.fromProvider && incident.notifiedCount > 0) await this.enqueue(manager, incident.id, to === IncidentStatus.RESOLVED ? 'RESOLVE' : 'ACKNOWLEDGE', 0);
    await this.options.changes.record(manager, { incidentIds: [incident.id] });
    return true;
  }

  lock(manager: EntityManager, id: string, skipLocked = false): Promise<IncidentEntity | null> {
    const qb = manager.getRepository(IncidentEntity).createQueryBuilder('i').where('i.id = :id', { id });
    return this.options.dialect.forUpdate(qb, skipLocked).getOne();
  }

  lockOpenForGroup(manager: EntityManager, groupId: string): Promise<IncidentEntity | null> {
    const qb = manager.getRepository(IncidentEntity).createQueryBuilder('i').where('i.open_group_id = :groupId', { groupId });
    return this.options.dialect.forUpdate(qb).getOne();
  }

  /** Open incidents, oldest first, claimed so that several instances sweep disjoint sets. */
  lockOpen(manager: EntityManager, limit: number): Promise<IncidentEntity[]> {
    const qb = manager
      .getRepository(IncidentEntity)
      .createQueryBuilder('i')
      .where('i.status IN (:...open)', { open: [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED] })
      .orderBy('i.triggered_at', 'ASC')
      .limit(limit);
    return this.options.dialect.forUpdate(qb, true).getMany();
  }

  findByExternalKey(key: string): Promise<IncidentEntity | null> {
    return this.options.dataSource.getRepository(IncidentEntity).findOneBy({ externalKey: key });
  }

  /** Records one delivery attempt (outside any other transaction: it must survive the failure it records). */
  async recordDelivery(incidentId: string, action: DeliveryAction, status: DeliveryStatus, attempt: number, outcome: { httpStatus?: number; error?: string }): Promise<void> {
    const now = this.now();
    await this.options.transactions.run(async (manager) => {
      // The incident first: whoever sees the attempt also sees what it did to the incident.
      if (status === 'DELIVERED') {
        const notified = action === 'TRIGGER' ? ', notified_count = notified_count + 1, last_notified_at = ?' : '';
        await manager.query(`UPDATE incidents SET delivery_error = NULL${notified}, updated_at = ? WHERE id = ?`, [
          ...(action === 'TRIGGER' ? [toDbTimestamp(now)] : []),
          toDbTimestamp(now),
          incidentId,
        ]);
      } else {
        await manager.query('UPDATE incidents SET delivery_error = ?, updated_at = ? WHERE id = ?', [`${action}: ${outcome.error ?? 'failed'}`.slice(0, 2_000), toDbTimestamp(now), incidentId]);
      }
      await manager.getRepository(IncidentDeliveryEntity).insert({
        id: randomUUID(),
        incidentId,
        action,
        status,
        httpStatus: outcome.httpStatus ?? null,
        error: outcome.error?.slice(0, 2_000) ?? null,
        attempt,
        at: now,
      });
      if (status !== 'RETRYING') await this.options.changes.record(manager, { incidentIds: [incidentId] });
    });
    if (status !== 'RETRYING') this.options.changes.committed();
  }

  async get(id: string): Promise<IncidentEntity> {
    const incident = await this.options.dataSource.getRepository(IncidentEntity).findOneBy({ id });
    if (!incident) throw new NotFoundError('Incident', id);
    return incident;
  }

  async getMany(ids: readonly string[]): Promise<Array<IncidentEntity | null>> {
    const rows = ids.length ? await this.options.dataSource.getRepository(IncidentEntity).createQueryBuilder('i').whereInIds([...new Set(ids)]).getMany() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async deliveriesOf(ids: readonly string[]): Promise<IncidentDeliveryEntity[][]> {
    const rows = await this.options.dataSource
      .getRepository(IncidentDeliveryEntity)
      .createQueryBuilder('d')
      .where('d.incident_id IN (:...ids)', { ids: [...new Set(ids)] })
      .orderBy('d.at', 'ASC')
      .getMany();
    return ids.map((id) => rows.filter((r) => r.incidentId === id));
  }

  async list(filter: IncidentFilter | null | undefined, first?: number | null, after?: string | null) {
    const limit = pageSize(first, this.options.maxPageSize);
    const f = filter ?? {};
    const qb = this.options.dataSource.getRepository(IncidentEntity).createQueryBuilder('i').where('1 = 1');
    if (f.service) {
      const service = await this.options.registry.getByName(f.service).catch(() => null);
      if (!service) return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0 };
      qb.andWhere('i.service_id = :serviceId', { serviceId: service.id });
    }
    if (f.status?.length) qb.andWhere('i.status IN (:...statuses)', { statuses: f.status });
    if (f.severity?.length) qb.andWhere('i.severity IN (:...severities)', { severities: f.severity });
    if (f.group) qb.andWhere('i.group_id = :groupId', { groupId: f.group });
    if (f.triggeredFrom) qb.andWhere('i.triggered_at >= :from', { from: toDbTimestamp(f.triggeredFrom) });
    if (f.triggeredTo) qb.andWhere('i.triggered_at < :to', { to: toDbTimestamp(f.triggeredTo) });
    const totalCount = await qb.clone().getCount();
    if (after) {
      const [at, id] = decodeCursor(after, 2);
      qb.andWhere('(i.triggered_at < :cursorAt OR (i.triggered_at = :cursorAt AND i.id < :cursorId))', { cursorAt: at, cursorId: id });
    }
    const rows = await qb.orderBy('i.triggered_at', 'DESC').addOrderBy('i.id', 'DESC').take(limit + 1).getMany();
    const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor([toDbTimestamp(node.triggeredAt), node.id]), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount,
    };
  }

  private async change(id: string, to: IncidentStatus, origin: ChangeOrigin): Promise<IncidentEntity> {
    const incident = await this.options.transactions.run(async (manager) => {
      const current = await this.lock(manager, id);
      if (!current) throw new NotFoundError('Incident', id);
      if (origin.fromProvider && !canTransitionIncident(current.status, to)) return current; // the pager may repeat itself
      await this.moveLocked(manager, current, to, origin);
      return current;
    });
    this.options.outbox.nudge();
    this.options.changes.committed();
    return incident;
  }

  private enqueue(manager: EntityManager, incidentId: string, action: DeliveryAction, delaySeconds: number): Promise<void> {
    const availableAt = delaySeconds > 0 ? new Date(this.now().getTime() + delaySeconds * 1000) : undefined;
    return this.options.outbox.enqueue(manager, ESCALATION_DELIVERY_KIND, `incident:${incidentId}`, { incidentId, action } satisfies DeliveryRequest, availableAt);
  }
}
