import { Arg, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import { Role, requireRole, requireServiceAccess } from '../auth';
import type { GraphQLContext } from '../context';
import { Failure, FailureGroup } from '../failures/failure.types';
import { BadUserInputError } from '../platform/errors';
import type { IncidentUpdatedEvent, LiveFailure, LiveGroup } from './live-events';
import { failureFilter, groupFilter, incidentFilter } from './live-filters';
import type { LiveRetryRequest } from './live-subscriptions';
import { IncidentUpdate, LiveFailureFilter, LiveFailureGroupFilter, LiveIncidentFilter, RetryRequest } from './subscriptions.types';

type SubscribeData = { args: Record<string, unknown>; context: GraphQLContext };

/** The live context exists on WebSocket connections only. */
function live(context: GraphQLContext) {
  if (!context.live) throw new BadUserInputError('Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql');
  return context.live;
}

@Resolver()
export class LiveResolver {
  @Subscription(() => Failure, {
    description: 'Each newly stored failure (not duplicates) matching the filter. Viewers and above.',
    subscribe: ({ args, context }: SubscribeData) => {
      requireRole(context.principal, [Role.VIEWER]);
      const l = live(context);
      return l.subscriptions.failureReported(failureFilter(args.filter as LiveFailureFilter), l.closeAsSlow);
    },
  })
  failureReported(@Root() failure: LiveFailure, @Arg('filter', () => LiveFailureFilter, { nullable: true }) _filter: LiveFailureFilter | null): LiveFailure {
    return failure;
  }

  @Subscription(() => Failure, {
    description:
      "A failure's status changed: retry requested, retry succeeded, failed, undeliverable or timed out, discarded, resolved (one by one or by a group action). Carries the failure as it is when the event is sent. Viewers and above.",
    subscribe: ({ args, context }: SubscribeData) => {
      requireRole(context.principal, [Role.VIEWER]);
      const l = live(context);
      return l.subscriptions.failureUpdated(failureFilter(args.filter as LiveFailureFilter), l.closeAsSlow);
    },
  })
  failureUpdated(@Root() failure: LiveFailure, @Arg('filter', () => LiveFailureFilter, { nullable: true }) _filter: LiveFailureFilter | null): LiveFailure {
    return failure;
  }

  @Subscription(() => FailureGroup, {
    description: `A group's counters or status changed; at most one event per group per LIVE_COALESCE_MS, with the latest state. Viewers and above.`,
    subscribe: ({ args, context }: SubscribeData) => {
      requireRole(context.principal, [Role.VIEWER]);
      const l = live(context);
      return l.subscriptions.failureGroupUpdated(groupFilter(args.filter as LiveFailureGroupFilter), l.closeAsSlow);
    },
  })
  failureGroupUpdated(@Root() group: LiveGroup, @Arg('filter', () => LiveFailureGroupFilter, { nullable: true }) _filter: LiveFailureGroupFilter | null): LiveGroup {
    return group;
  }

  @Subscription(() => IncidentUpdate, {
    description: 'An incident was triggered, acknowledged or resolved. Viewers and above.',
    subscribe: async ({ args, context }: SubscribeData) => {
      requireRole(context.principal, [Role.VIEWER]);
      const l = live(context);
      const filter = (args.filter ?? {}) as LiveIncidentFilter;
      const serviceId = filter.service ? (await l.registry.getByName(filter.service)).id : null;
      return l.subscriptions.incidentUpdated(incidentFilter({ serviceId, minSeverity: filter.minSeverity }), l.closeAsSlow);
    },
  })
  async incidentUpdated(
    @Root() event: IncidentUpdatedEvent,
    @Arg('filter', () => LiveIncidentFilter, { nullable: true }) _filter: LiveIncidentFilter | null,
    @Ctx() context: GraphQLContext,
  ): Promise<IncidentUpdate> {
    const incident = await context.loaders.incident.load(event.incidentId);
    return { ...event, severity: event.severity as IncidentUpdate['severity'], at: new Date(event.at), incident: incident as unknown as IncidentUpdate['incident'] };
  }

  @Subscription(() => RetryRequest, {
    description: "Retry requests for one service, for that service's REPORTER tokens only. Answer each with completeRetry.",
    subscribe: async ({ args, context }: SubscribeData) => {
      const principal = requireRole(context.principal, [Role.REPORTER]);
      const l = live(context);
      const service = await l.registry.getByName(args.service as string);
      requireServiceAccess(principal, service.id, service.name);
      return l.subscriptions.retryRequested(service.id, l.closeAsSlow);
    },
  })
  retryRequested(@Root() request: LiveRetryRequest, @Arg('service', () => String) _service: string): LiveRetryRequest {
    return request;
  }
}
