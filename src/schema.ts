import type { GraphQLSchema } from 'graphql';
import { authChecker } from './auth';
import { FailureGroupResolver, FailureResolver } from './failures';
import { IngestionResolver } from './ingestion';
import { buildGraphQLSchema } from './platform/graphql';
import { RegistryResolver } from './registry';
import { LiveResolver } from './subscriptions/live.resolver';
import { EscalationResolver } from './escalation/escalation.resolver';
import { IncidentResolver } from './incidents/incident.resolver';
import { InsightsResolver } from './insights/insights.resolver';

/** Every resolver class of the public schema. */
export const RESOLVER_CLASSES = [RegistryResolver, IngestionResolver, FailureResolver, FailureGroupResolver, LiveResolver, IncidentResolver, EscalationResolver, InsightsResolver] as const;

/**
 * The public schema. `instances` maps each resolver class to its instance; the schema can be
 * built (and printed) without them, they are only needed to execute operations.
 */
export function buildAppSchema(instances: Map<unknown, unknown> = new Map()): GraphQLSchema {
  return buildGraphQLSchema({ resolvers: [...RESOLVER_CLASSES], instances, authChecker: authChecker as never });
}
