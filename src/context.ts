import DataLoader from 'dataloader';
import type { Principal } from './auth';
import type { AuditEntryEntity } from './failures/audit-entry.entity';
import type { FailureQueryService } from './failures/failure-query.service';
import type { FailureGroupEntity } from './grouping/failure-group.entity';
import type { ServiceEntity, ServiceRegistry } from './registry';

/** Per-request batch loaders: nested fields cost one query per kind, not one per row. */
export interface Loaders {
  service: DataLoader<string, ServiceEntity | null>;
  group: DataLoader<string, FailureGroupEntity | null>;
  history: DataLoader<string, AuditEntryEntity[]>;
}

export interface GraphQLContext {
  principal: Principal | null;
  loaders: Loaders;
  requestId: string;
}

export function createLoaders(registry: ServiceRegistry, queries: FailureQueryService): Loaders {
  return {
    service: new DataLoader((ids) => registry.getByIds(ids)),
    group: new DataLoader((ids) => queries.groupsByIds(ids)),
    history: new DataLoader((ids) => queries.historyOf(ids)),
  };
}
