import DataLoader from 'dataloader';
import type { Principal } from './auth';
import type { AuditEntryEntity } from './failures/audit-entry.entity';
import type { FailureQueryService } from './failures/failure-query.service';
import type { FailureGroupEntity } from './grouping/failure-group.entity';
import type { IncidentDeliveryEntity, IncidentEntity, IncidentService } from './incidents';
import type { RecentCountsKey, RecentCountsReader } from './insights/recent-counts';
import type { ServiceEntity, ServiceRegistry } from './registry';
import type { LiveSubscriptions } from './subscriptions/live-subscriptions';

/** Per-request batch loaders: nested fields cost one query per kind, not one per row. */
export interface Loaders {
  service: DataLoader<string, ServiceEntity | null>;
  group: DataLoader<string, FailureGroupEntity | null>;
  /** Audit entries of a failure, group or incident. */
  history: DataLoader<string, AuditEntryEntity[]>;
  deliveries: DataLoader<string, IncidentDeliveryEntity[]>;
  /** Uncached: subscription contexts live long, and incidents change. */
  incident: DataLoader<string, IncidentEntity | null>;
  /** Per-minute counts of groups (FailureGroup.recentCounts); uncached, as the minutes move on. */
  recentCounts: DataLoader<RecentCountsKey, number[], string>;
}

/** What subscription resolvers need; present on WebSocket connections only. */
export interface LiveContext {
  subscriptions: LiveSubscriptions;
  registry: ServiceRegistry;
  /** Closes the connection because it cannot keep up. */
  closeAsSlow: () => void;
}

export interface GraphQLContext {
  principal: Principal | null;
  loaders: Loaders;
  requestId: string;
  live?: LiveContext;
}

/**
 * GraphQL resolves list items through promise chains of different lengths, so loads of one
 * level can straddle several microtask flushes; waiting for setImmediate gathers them into one batch.
 */
const batchOptions = { batchScheduleFn: (dispatch: () => void) => setImmediate(dispatch) };

export function createLoaders(registry: ServiceRegistry, queries: FailureQueryService, incidents: IncidentService, recentCounts: RecentCountsReader): Loaders {
  return {
    service: new DataLoader((ids) => registry.getByIds(ids), batchOptions),
    group: new DataLoader((ids) => queries.groupsByIds(ids), batchOptions),
    history: new DataLoader((ids) => queries.historyOf(ids), batchOptions),
    deliveries: new DataLoader((ids) => incidents.deliveriesOf(ids), batchOptions),
    incident: new DataLoader((ids) => incidents.getMany(ids), { ...batchOptions, cache: false }),
    recentCounts: new DataLoader<RecentCountsKey, number[], string>((keys) => recentCounts.load(keys), { ...batchOptions, cache: false }),
  };
}
