import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { In } from 'typeorm';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import { type Dialect, likeContains, toDbTimestamp } from '../platform/db';
import { NotFoundError } from '../platform/errors';
import { decodeCursor, encodeCursor, pageSize } from '../platform/graphql/pagination';
import type { ServiceRegistry } from '../registry';
import { AuditEntryEntity } from './audit-entry.entity';
import { FailureEntity } from './failure.entity';
import { type FailureFilter, type FailureGroupFilter, FailureGroupOrder } from './failure.types';

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

const GROUP_ORDER_COLUMN: Record<FailureGroupOrder, string> = {
  [FailureGroupOrder.LAST_SEEN]: 'last_seen_at',
  [FailureGroupOrder.FIRST_SEEN]: 'first_seen_at',
  [FailureGroupOrder.COUNT]: 'count',
  [FailureGroupOrder.RANK]: 'rank_score',
};

/**
 * Read side of failures and groups: filters and keyset pagination. Pages are ordered by a
 * sort value and the id, and the cursor holds both, so rows arriving meanwhile never shift a
 * page (newest-first lists grow at the front, before any cursor).
 */
export class FailureQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: Dialect,
    private readonly registry: ServiceRegistry,
    private readonly maxPageSize: number,
  ) {}

  async getFailure(id: string): Promise<FailureEntity> {
    const failure = await this.dataSource.getRepository(FailureEntity).findOneBy({ id });
    if (!failure) throw new NotFoundError('Failure', id);
    return failure;
  }

  async getGroup(id: string): Promise<FailureGroupEntity> {
    const group = await this.dataSource.getRepository(FailureGroupEntity).findOneBy({ id });
    if (!group) throw new NotFoundError('FailureGroup', id);
    return group;
  }

  async listFailures(filter: FailureFilter | null | undefined, first?: number | null, after?: string | null): Promise<Page<FailureEntity>> {
    const limit = pageSize(first, this.maxPageSize);
    const qb = this.dataSource.getRepository(FailureEntity).createQueryBuilder('f');
    if (!(await this.applyFailureFilter(qb, filter ?? {}))) return emptyPage();
    const totalCount = await qb.clone().getCount();
    if (after) {
      const [receivedAt, id] = decodeCursor(after, 2);
      qb.andWhere('(f.received_at < :cursorAt OR (f.received_at = :cursorAt AND f.id < :cursorId))', { cursorAt: receivedAt, cursorId: id });
    }
    const rows = await qb.orderBy('f.received_at', 'DESC').addOrderBy('f.id', 'DESC').take(limit + 1).getMany();
    return toPage(rows, limit, totalCount, (f) => [toDbTimestamp(f.receivedAt), f.id]);
  }

  async listGroups(
    filter: FailureGroupFilter | null | undefined,
    orderBy: FailureGroupOrder,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<FailureGroupEntity>> {
    const limit = pageSize(first, this.maxPageSize);
    const column = GROUP_ORDER_COLUMN[orderBy];
    const qb = this.dataSource.getRepository(FailureGroupEntity).createQueryBuilder('g');
    if (!(await this.applyGroupFilter(qb, filter ?? {}))) return emptyPage();
    const totalCount = await qb.clone().getCount();
    if (after) {
      const [value, id] = decodeCursor(after, 2);
      qb.andWhere(`(g.${column} < :cursorValue OR (g.${column} = :cursorValue AND g.id < :cursorId))`, { cursorValue: value, cursorId: id });
    }
    const rows = await qb.orderBy(`g.${column}`, 'DESC').addOrderBy('g.id', 'DESC').take(limit + 1).getMany();
    return toPage(rows, limit, totalCount, (g) => {
      if (orderBy === FailureGroupOrder.COUNT) return [g.count, g.id];
      if (orderBy === FailureGroupOrder.RANK) return [g.rankScore, g.id];
      return [toDbTimestamp(orderBy === FailureGroupOrder.FIRST_SEEN ? g.firstSeenAt : g.lastSeenAt), g.id];
    });
  }

  /** Groups by id in the order asked; for DataLoaders. */
  async groupsByIds(ids: readonly string[]): Promise<Array<FailureGroupEntity | null>> {
    const rows = await this.dataSource.getRepository(FailureGroupEntity).findBy({ id: In([...new Set(ids)]) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Audit entries of many subjects, oldest first per subject; for DataLoaders. */
  async historyOf(subjectIds: readonly string[]): Promise<AuditEntryEntity[][]> {
    const rows = await this.dataSource
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('a')
      .where('a.subject_id IN (:...ids)', { ids: [...new Set(subjectIds)] })
      .orderBy('a.at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
    const bySubject = new Map<string, AuditEntryEntity[]>();
    for (const row of rows) bySubject.set(row.subjectId, [...(bySubject.get(row.subjectId) ?? []), row]);
    return subjectIds.map((id) => bySubject.get(id) ?? []);
  }

  /** Narrows the query; false when the filter names a service that does not exist (empty result). */
  private async applyFailureFilter(qb: SelectQueryBuilder<FailureEntity>, filter: FailureFilter): Promise<boolean> {
    qb.where('1 = 1');
    if (filter.service) {
      const serviceId = await this.serviceIdOrNull(filter.service);
      if (!serviceId) return false;
      qb.andWhere('f.service_id = :serviceId', { serviceId });
    }
    if (filter.status?.length) qb.andWhere('f.status IN (:...statuses)', { statuses: filter.status });
    if (filter.severity?.length) qb.andWhere('f.severity IN (:...severities)', { severities: filter.severity });
    if (filter.pattern) qb.andWhere('f.pattern = :pattern', { pattern: filter.pattern });
    if (filter.taskType) qb.andWhere('f.task_type = :taskType', { taskType: filter.taskType });
    if (filter.group) qb.andWhere('f.group_id = :groupId', { groupId: filter.group });
    if (filter.occurredFrom) qb.andWhere('f.occurred_at >= :occurredFrom', { occurredFrom: toDbTimestamp(filter.occurredFrom) });
    if (filter.occurredTo) qb.andWhere('f.occurred_at < :occurredTo', { occurredTo: toDbTimestamp(filter.occurredTo) });
    if (filter.errorMessage) qb.andWhere(this.dialect.containsIgnoreCase('f.error_message', 'message'), { message: likeContains(filter.errorMessage) });
    return true;
  }

  private async applyGroupFilter(qb: SelectQueryBuilder<FailureGroupEntity>, filter: FailureGroupFilter): Promise<boolean> {
    qb.where('1 = 1');
    if (filter.service) {
      const serviceId = await this.serviceIdOrNull(filter.service);
      if (!serviceId) return false;
      qb.andWhere('g.service_id = :serviceId', { serviceId });
    }
    if (filter.status?.length) qb.andWhere('g.status IN (:...statuses)', { statuses: filter.status });
    if (filter.taskType) qb.andWhere('g.task_type = :taskType', { taskType: filter.taskType });
    if (filter.errorType) qb.andWhere('g.error_type = :errorType', { errorType: filter.errorType });
    if (filter.regressed !== null && filter.regressed !== undefined) qb.andWhere('g.regressed = :regressed', { regressed: filter.regressed ? 1 : 0 });
    if (filter.lastSeenFrom) qb.andWhere('g.last_seen_at >= :lastSeenFrom', { lastSeenFrom: toDbTimestamp(filter.lastSeenFrom) });
    if (filter.lastSeenTo) qb.andWhere('g.last_seen_at < :lastSeenTo', { lastSeenTo: toDbTimestamp(filter.lastSeenTo) });
    if (filter.messageTemplate) qb.andWhere(this.dialect.containsIgnoreCase('g.message_template', 'template'), { template: likeContains(filter.messageTemplate) });
    return true;
  }

  private async serviceIdOrNull(name: string): Promise<string | null> {
    try {
      return (await this.registry.getByName(name)).id;
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }
}

function emptyPage<T>(): Page<T> {
  return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0 };
}

function toPage<T>(rows: T[], limit: number, totalCount: number, key: (row: T) => Array<string | number>): Page<T> {
  const hasNextPage = rows.length > limit;
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(key(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
