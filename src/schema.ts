import type { GraphQLSchema } from 'graphql';
import { Role, authChecker, requireRole } from './auth';
import type { GraphQLContext } from './context';
import { FailureGroupResolver, FailureResolver } from './failures';
import { INGESTION_ROLES, IngestionResolver } from './ingestion';
import type { RawReport } from './ingestion/report-normalizer';
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
  const { schema } = buildGraphQLSchema({ resolvers: [...RESOLVER_CLASSES], instances, authChecker: authChecker as never, entities: ENTITIES as never });
  // The federation fields follow the same rules as the rest of the API: the SDL for any valid
  // token (as `me`), entities for viewers and above (as the queries that return them).
  guardQueryField(schema, '_service', (context) => requireRole(context.principal, [Role.REPORTER, Role.VIEWER]));
  guardQueryField(schema, '_entities', (context) => requireRole(context.principal, [Role.VIEWER]));
  const ingestion = instances.get(IngestionResolver) as IngestionResolver | undefined;
  if (ingestion) {
    // A batch of reports is up to 1,000 input objects, already coerced by graphql-js; type-graphql
    // would copy each into a FailureReportInput instance first (no validation is configured:
    // `validate: false`), only for prepareReport to read the same fields. Same role check as
    // @Authorized, then the resolver method with the coerced input as it is.
    resolveMutationField(schema, 'reportFailure', (args, context) => {
      requireRole(context.principal, INGESTION_ROLES);
      return ingestion.reportFailure(args.input as RawReport, context);
    });
    resolveMutationField(schema, 'reportFailures', (args, context) => {
      requireRole(context.principal, INGESTION_ROLES);
      return ingestion.reportFailures(args.input as RawReport[], context);
    });
  }
  return schema;
}

/** Replaces the resolver of a mutation field: (args, context) → result. */
function resolveMutationField(schema: GraphQLSchema, name: string, resolve: (args: Record<string, unknown>, context: GraphQLContext) => unknown): void {
  const field = schema.getMutationType()?.getFields()[name];
  if (!field?.resolve) throw new Error(`The schema has no resolver for Mutation.${name}`);
  field.resolve = (_source, args, context: GraphQLContext) => resolve(args, context);
}

function guardQueryField(schema: GraphQLSchema, name: string, check: (context: GraphQLContext) => void): void {
  const field = schema.getQueryType()?.getFields()[name];
  if (!field?.resolve) throw new Error(`The subgraph schema has no resolver for Query.${name}`);
  const resolve = field.resolve;
  field.resolve = (source, args, context: GraphQLContext, info) => {
    check(context);
    return resolve(source, args, context, info);
  };
}

/** The subgraph SDL, sorted, as committed in schema/schema.graphql (`npm run schema:emit`). */
export function appSchemaSdl(): string {
  return buildGraphQLSchema({ resolvers: [...RESOLVER_CLASSES], instances: new Map(), authChecker: authChecker as never }).sdl;
}

/**
 * The federation entities (`@key(fields: "id")`) and how a supergraph loads one by id, with the
 * request's loaders (so a list of references costs one query per type); an unknown id is null.
 */
const ENTITIES: Record<string, (reference: { id: string }, context: GraphQLContext) => Promise<unknown>> = {
  Service: (reference, context) => context.loaders.service.load(reference.id),
  FailureGroup: (reference, context) => context.loaders.group.load(reference.id),
  Incident: (reference, context) => context.loaders.incident.load(reference.id),
};
